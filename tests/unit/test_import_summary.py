"""jam_import's summary and one-line message: a plan from one Catalogs item to another
version of it, read back in Jam.py's terms."""
import copy

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import LAYOUT_54
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.metadata import (
    AdminTable, Metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.plan import build_plan
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.summary import (
    one_line, summarize)


def _item(item_id, name, caption):
    return {"id": item_id, "type_id": j.ITEM_TYPE, "parent": 2, "f_item_name": name,
            "f_name": caption, "f_table_name": f"SHOP_{name.upper()}",
            "f_primary_key": item_id * 10 + 1, "deleted": 0}


def _fields(item_id, *own):
    rows = {}
    for n, (name, caption, size) in enumerate(
            [("id", "ID", None), ("deleted", "Deleted", None)] + list(own), 1):
        field_id = item_id * 10 + n
        rows[field_id] = {"id": field_id, "owner_rec_id": item_id, "f_field_name": name,
                          "f_name": caption, "f_db_field_name": name.upper(),
                          "f_data_type": j.TEXT if size else j.INTEGER, "f_size": size,
                          "deleted": 0}
    return rows


def _metadata(items, fields, indices=()):
    first = next(iter(fields.values()))
    return Metadata(j.SQLITE, LAYOUT_54, {
        "sys_items": AdminTable("sys_items", next(iter(items.values())), items),
        "sys_fields": AdminTable("sys_fields", first, fields),
        "sys_indices": AdminTable("sys_indices", ("id", "owner_rec_id", "f_index_name"),
                                  {i["id"]: i for i in indices})})


def test_summary_names_what_changes_by_caption_and_name():
    customers = _item(1, "customers", "Customers")
    before = _metadata({1: customers}, _fields(1, ("email", "Email", 50), ("notes", "Notes", 20)))
    after_fields = _fields(1, ("mail", "Email", 50), ("notes", "Notes", 80))
    after_fields.update(_fields(2, ("name", "Name", 60)))
    after = _metadata({1: customers, 2: _item(2, "suppliers", "Suppliers")}, after_fields)

    plan = build_plan(before, after, j.SQLITE)
    summary = summarize(plan, before, after)

    assert summary["items"] == {"added": ["Suppliers (suppliers)"]}
    assert summary["fields"] == {
        "added": ["Suppliers / ID (suppliers.id)", "Suppliers / Deleted (suppliers.deleted)",
                  "Suppliers / Name (suppliers.name)"],
        "renamed": ["Customers / Email (customers.mail), was email"],
        "changed": ["Customers / Notes (customers.notes): size"]}
    assert summary["tables"] == {"added": ["SHOP_SUPPLIERS"], "changed": ["SHOP_CUSTOMERS"]}
    assert summary["counts"]["fields"] == {"added": 3, "renamed": 1, "changed": 1}

    assert one_line(summary, 5, len(plan.admin), 0, True) == (
        f"would add 1 item, 3 fields, 1 table; rename 1 field; change 1 field, 1 table; "
        f"5 SQL statements, {len(plan.admin)} admin.sqlite changes")
    assert one_line(summary, 5, len(plan.admin), 1, False).startswith(
        "imported: added 1 item, 3 fields, 1 table; renamed 1 field; changed 1 field")


def test_removals_are_labelled_from_the_current_metadata():
    before_fields = _fields(1, ("name", "Name", 50))
    before_fields.update(_fields(2, ("x", "X", 10)))
    before = _metadata({1: _item(1, "customers", "Customers"), 2: _item(2, "scratch", "Scratch")},
                       before_fields,
                       [{"id": 7, "owner_rec_id": 1, "f_index_name": "SHOP_CUSTOMERS_NAME_IDX"}])
    after = _metadata({1: _item(1, "customers", "Customers")}, _fields(1, ("name", "Name", 50)))
    after.tables["sys_indices"] = AdminTable("sys_indices", ("id", "owner_rec_id", "f_index_name"), {})

    summary = summarize(build_plan(before, after, j.SQLITE), before, after)

    assert summary["items"] == {"removed": ["Scratch (scratch)"]}
    assert "Scratch / X (scratch.x)" in summary["fields"]["removed"]
    assert summary["indexes"] == {"removed": ["SHOP_CUSTOMERS_NAME_IDX of Customers (customers)"]}
    assert summary["tables"]["removed"] == ["SHOP_SCRATCH"]


def test_nothing_to_import():
    meta = _metadata({1: _item(1, "customers", "Customers")}, _fields(1, ("name", "Name", 50)))
    summary = summarize(build_plan(meta, copy.deepcopy(meta), j.SQLITE), meta, meta)
    assert summary == {"counts": {}}
    assert one_line(summary, 0, 0, 0, True) == one_line(summary, 0, 0, 0, False) == (
        "nothing to import")
    assert one_line(summary, 0, 3, 0, True) == "would import: 3 admin.sqlite changes"
