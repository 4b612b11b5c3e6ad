"""Realistic Jam.py apps, built headlessly with Jam.py's own Builder code (facts §14).

`build(project_dir, ops)` runs ``jamside/builder_ops.py`` in the Jam.py venv; it performs
the operations the way the Application Builder page does (same server functions, same
admin rows, same DDL) and returns its summary: the project's items, fields and indexes
with their ids by name. The helpers below return operation dicts, so an app is plain data:

    apps.build(project, [apps.complete(db), *apps.SHOP_APP, apps.add_field("customers", ...)])

Project folders come from `projects.create_project` (Jam.py's own `jam-project.py`).
"""
import json
import os
import tempfile
from pathlib import Path

from . import jamenv
from .databases import SQLITE, ProjectDatabase


def build(project_dir, ops, timeout=900, jam=None):
    """Apply the operations to the project; return the summary the script prints.
    ``jam``: the release (a `jamenv.JamEnv`) whose Builder code runs, the reference 5.4.136
    when not given: ``builder_ops.py`` follows 5.x's Builder, ``builder70.py`` 7.0's (its
    own operations, see there)."""
    # The spec can hold a database password: a private temp file, removed afterwards.
    fd, spec = tempfile.mkstemp(prefix="jam-builder-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(list(ops), f)
        jam = jam or jamenv.REFERENCE
        script = "builder70.py" if jam.major >= 7 else "builder_ops.py"
        result = jam.run_jamside(script, Path(project_dir).resolve(), spec, timeout=timeout)
    finally:
        os.unlink(spec)
    return json.loads(result.stdout)


def sqlite_database(file_name="shop.sqlite"):
    """A SQLite project database; a relative name lives in the project folder."""
    return ProjectDatabase(SQLITE, file_name)


# ---------------------------------------------------------------------------- operations

def complete(db, name="Shop", item_name="shop"):
    """The new-project dialogs: English, project caption/name, database connection."""
    return {"op": "complete", **db.as_connection(), "name": name, "item_name": item_name}


def field(name, caption=None, type="text", size=None, required=False, lookup=None,
          lookup_values=None, **extra):
    """A field definition; lookup=(item, field) makes a lookup field, lookup_values a list
    of [value, text] pairs (a Builder lookup list). `extra` passes e.g. accept= for files."""
    spec = {"name": name, "caption": caption or name.replace("_", " ").capitalize(),
            "type": type, **extra}
    if size:
        spec["size"] = size
    if required:
        spec["required"] = True
    if lookup:
        spec["lookup"] = {"item": lookup[0], "field": lookup[1]}
    if lookup_values:
        spec["lookup_values"] = [list(v) for v in lookup_values]
    return spec


def add_item(group, name, caption=None, fields=(), soft_delete=None, keep_history=False):
    """A catalog/journal (group "catalogs"/"journals") or detail table (group "details")."""
    op = {"op": "add_item", "group": group, "name": name, "caption": caption or name,
          "fields": list(fields)}
    if soft_delete is not None:
        op["soft_delete"] = soft_delete
    if keep_history:
        op["keep_history"] = True
    return op


def add_field(item, name, caption=None, type="text", **kwargs):
    return {"op": "add_field", "item": item, **field(name, caption, type, **kwargs)}


def delete_field(item, field_name):
    return {"op": "delete_field", "item": item, "field": field_name}


def rename_field(item, field_name, new_name, db_field_name=None):
    """The column follows outside DB manual mode; db_field_name only in manual mode."""
    op = {"op": "rename_field", "item": item, "field": field_name, "new_name": new_name}
    if db_field_name:
        op["db_field_name"] = db_field_name
    return op


def resize_field(item, field_name, size):
    """Allowed by the Builder on SQLite or in DB manual mode only (no DDL either way)."""
    return {"op": "resize_field", "item": item, "field": field_name, "size": size}


def add_index(item, fields, unique=False, name=None):
    """fields: names or [name, descending] pairs; name defaults to the Builder's."""
    fields = [f if isinstance(f, str) else list(f) for f in fields]
    op = {"op": "add_index", "item": item, "fields": fields, "unique": unique}
    if name:
        op["name"] = name
    return op


def delete_index(item, name):
    return {"op": "delete_index", "item": item, "name": name}


def add_foreign_key(item, field_name):
    """FK_<TABLE>_<FIELD> for a lookup field (its item must not be soft-delete)."""
    return {"op": "add_foreign_key", "item": item, "field": field_name}


def add_detail(item, detail):
    """Attach a detail table to a catalog/journal (also creates the detail index)."""
    return {"op": "add_detail", "item": item, "detail": detail}


def delete_item(item):
    return {"op": "delete_item", "item": item}


def manual_update(value=True):
    """The Database dialog's "DB manual mode": structure edits change admin.sqlite only.
    Like the page's flag it lasts until the end of the build() call (a page load)."""
    return {"op": "manual_update", "value": value}


def system_item(kind):
    """The project's "history" or "lock" item (Parameters dialog: History, Locks)."""
    return {"op": "system_item", "kind": kind}


def keep_history(item, value=True):
    return {"op": "keep_history", "item": item, "value": value}


def generate(items, fields_per_item=30, indexes_per_item=5, prefix="gen"):
    """A benchmark project: 300 items ≈ 9,000 fields, 1,500 indexes, 600 foreign keys."""
    return {"op": "generate", "items": items, "fields_per_item": fields_per_item,
            "indexes_per_item": indexes_per_item, "prefix": prefix}


# ---------------------------------------------------------------------------- apps

# A small shop: every field type, lookups with foreign keys, a lookup list, a detail table,
# a unique index (with the Builder's default name) and a descending one.
SHOP_APP = [
    add_item("catalogs", "customers", "Customers", soft_delete=False, fields=[
        field("name", "Name", size=80, required=True),
        field("email", "Email", size=120),
        field("notes", "Notes", "longtext"),
    ]),
    add_item("catalogs", "products", "Products", soft_delete=False, fields=[
        field("name", "Name", size=100, required=True),
        field("price", "Price", "currency"),
        field("weight", "Weight", "float"),
        field("in_stock", "In stock", "boolean"),
        field("photo", "Photo", "image"),
        field("manual", "Manual", "file", accept=".pdf, .txt"),
    ]),
    add_item("journals", "orders", "Orders", fields=[
        field("order_date", "Date", "date", required=True),
        field("customer", "Customer", lookup=("customers", "name"), required=True),
        field("status", "Status", lookup_values=[(1, "New"), (2, "Paid"), (3, "Shipped")]),
        field("paid", "Paid", "boolean"),
        field("total", "Total", "currency"),
        field("created", "Created", "datetime"),
        field("promo", "Promo products", "keys", lookup=("products", "name")),
    ]),
    add_item("details", "order_lines", "Order lines", fields=[
        field("product", "Product", lookup=("products", "name"), required=True),
        field("quantity", "Quantity", "integer"),
        field("price", "Price", "currency"),
    ]),
    add_detail("orders", "order_lines"),
    add_foreign_key("orders", "customer"),
    add_foreign_key("order_lines", "product"),
    add_index("customers", ["name"], unique=True),
    add_index("orders", [("order_date", True)], name="SHOP_ORDERS_DATE_IDX"),
]

# One of each evolution step on SHOP_APP (what later migrations must carry over).
SHOP_EVOLUTION = [
    add_field("customers", "phone", "Phone", size=30),
    resize_field("customers", "name", 120),
    rename_field("customers", "email", "mail"),
    delete_field("customers", "notes"),
    add_index("products", [("price", True), "name"], name="SHOP_PRODUCTS_PRICE_IDX"),
    delete_index("orders", "SHOP_ORDERS_DATE_IDX"),
    add_item("catalogs", "suppliers", "Suppliers", soft_delete=False,
             fields=[field("name", "Name", size=60, required=True)]),
    add_field("products", "supplier", "Supplier", lookup=("suppliers", "name")),
    add_foreign_key("products", "supplier"),
    add_item("details", "order_notes", "Order notes",
             fields=[field("note", "Note", "longtext")]),
    add_detail("orders", "order_notes"),
    add_item("catalogs", "scratch", "Scratch", fields=[field("x", "X", "integer")]),
    delete_item("scratch"),
]

# The shop with what a data refresh must handle: a catalog referencing itself
# (customers.referred_by) and two catalogs referencing each other (products.supplier and
# suppliers.preferred_product), all with foreign keys, next to lookups and a detail.
REFRESH_APP = SHOP_APP + [
    add_item("catalogs", "suppliers", "Suppliers", soft_delete=False, fields=[
        field("name", "Name", size=80, required=True),
        field("email", "Email", size=120),
        field("preferred_product", "Preferred product", lookup=("products", "name")),
    ]),
    add_field("products", "supplier", "Supplier", lookup=("suppliers", "name")),
    add_field("customers", "referred_by", "Referred by", lookup=("customers", "name")),
    add_field("customers", "phone", "Phone", size=30),
    add_foreign_key("products", "supplier"),
    add_foreign_key("suppliers", "preferred_product"),
    add_foreign_key("customers", "referred_by"),
    system_item("history"),
    system_item("lock"),
    keep_history("customers"),
]
