"""Build a Jam.py 5.4 app headlessly, the way the Application Builder page does it.

Usage: builder_ops.py <project_dir> <spec.json>   (spec = JSON list of {"op": ...} objects)

Runs inside the Jam.py venv. Every operation does in-process what the Builder page does
over /api: it opens copies of the admin items, sets the values that jam/js/admin.js sets
(its on_after_append / on_field_changed / on_before_post / on_before_apply handlers),
calls the same server functions the page calls and applies through the on_apply handlers
that jam.admin.builder.register_events installed (items_apply_changes,
indices_apply_changes, ...), so admin.sqlite and the project database end up as a
Builder user would leave them. A run ends like a Builder page reload (refresh_tree →
server_update_has_children). Prints a JSON summary of the project's items, fields and
indexes (ids by name) on stdout; progress goes to stderr.
"""
import json
import os
import re
import sys
import time

import jam
from jam.wsgi import create_application  # first: it puts Jam.py's bundled libraries on sys.path
from jam.admin import builder
from jam.common import consts

TYPES = {
    "text": consts.TEXT, "integer": consts.INTEGER, "float": consts.FLOAT,
    "currency": consts.CURRENCY, "date": consts.DATE, "datetime": consts.DATETIME,
    "boolean": consts.BOOLEAN, "longtext": consts.LONGTEXT, "keys": consts.KEYS,
    "file": consts.FILE, "image": consts.IMAGE,
}
TABLE_TYPES = [consts.ITEM_TYPE, consts.TABLE_TYPE]
# The item/field editors refuse to rename these group fields (sys_fields on_edit_form_created).
FIXED_FIELDS = ("id", "deleted", "owner_id", "owner_rec_id")


class BuilderError(Exception):
    """What the Builder page would show instead of saving."""


def log(message):
    print(message, file=sys.stderr, flush=True)


def valid_identifier(name):
    """admin.js valid_identifier: ASCII letter or '_' first, then letters, digits, '_'."""
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or ""))


def js_item_properties():
    """Names the page refuses for items and fields: properties of a new jam.js Item
    (`check_item[name] !== undefined`), read from the jam.js this Jam.py ships."""
    with open(os.path.join(os.path.dirname(jam.__file__), "js", "jam.js"), encoding="utf-8") as f:
        text = f.read()
    names = {"constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable",
             "toLocaleString", "toString", "valueOf", "__proto__"}
    for cls, proto_start, end in (
        ("AbsrtactItem", "AbsrtactItem.prototype = {", "Task.prototype = new AbsrtactItem"),
        ("Item", "$.extend(Item.prototype, {", "Report.prototype = new AbsrtactItem"),
    ):
        ctor = text[text.index("function %s(" % cls):text.index(proto_start)]
        proto = text[text.index(proto_start):text.index(end)]
        names |= set(re.findall(r"this\.(\w+)\s*=(?!=)", ctor))
        names |= set(re.findall(r'Object\.defineProperty\(this,\s*"(\w+)"', ctor))
        names |= set(re.findall(r"^ {8}(\w+)\s*:", proto, re.M))
    return names


class Builder:
    def __init__(self, project_dir):
        self.app = create_application(project_dir, testing=True)  # chdirs into the project
        self.task = self.app.admin
        self.manual_update = False  # the page's "DB manual mode": a session flag, never stored
        self.reserved = js_item_properties()

    # ---------------------------------------------------------------- plumbing

    def copy(self, name, **kwargs):
        """A copy of an admin item wired to the on_apply handler /api apply would run."""
        ds = getattr(self.task, name).copy(**kwargs)
        ds.on_apply = getattr(self.task, name).on_apply
        return ds

    def apply(self, ds):
        # on_before_apply of sys_items / sys_indices: params.manual_update = task._manual_update
        ds.apply(params={"manual_update": self.manual_update})

    def rows(self, name, fields=None, order_by=None, **where):
        ds = getattr(self.task, name).copy(handlers=False, details=False)
        ds.set_where(**where)  # set_where/set_order_by only apply to the next open()
        ds.open(fields=fields, order_by=order_by)
        return ds

    def task_record(self):
        return self.rows("sys_items", type_id=consts.TASK_TYPE)

    def item(self, name):
        it = self.rows("sys_items", f_item_name=name, type_id__in=TABLE_TYPES)
        if it.record_count() != 1:
            raise BuilderError("no item (catalog/journal/detail table) named %r" % name)
        return it

    def field(self, item, name):
        """A field of the item or of its group (5.4 items inherit the group's fields)."""
        f = self.rows("sys_fields", owner_rec_id__in=[item.id.value, item.parent.value],
                      f_field_name=name)
        if f.record_count() != 1:
            raise BuilderError("item %s has no field %r" % (item.f_item_name.value, name))
        return f

    def check_can_modify(self):
        # sys_items/sys_indices on_view_form_created: can_modify = !(production && !manual)
        production = self.task.select("SELECT F_PRODUCTION FROM SYS_PARAMS")[0][0]
        if production and not self.manual_update:
            raise BuilderError("production mode: the Builder only allows this in DB manual mode")

    def check_name(self, name, what):
        if not valid_identifier(name):
            raise BuilderError("invalid %s name %r" % (what, name))
        if name in self.reserved:
            raise BuilderError("%r is a reserved word (a jam.js item property)" % name)

    def db_options(self):
        return builder.server_get_db_options(self.task, self.task.task_db_type)[0]

    def page_loaded(self):
        builder.server_update_has_children(self.task)  # refresh_tree

    # ---------------------------------------------------------------- project

    def op_complete(self, db_type, database, name, item_name, user=None, password=None,
                    host=None, port=None, encoding=None, server=None, language=1):
        """The new-project dialogs: language, then the project/database dialog (facts §9)."""
        task = self.task
        params = self.copy("sys_params")
        params.open()
        if not params.f_language.value:
            params.edit()
            params.f_language.value = language
            params.post()
            params.apply()
            # sys_params on_after_apply, then the page reloads
            builder.server_set_project_langage(task, language)
        tasks = self.copy("sys_tasks")
        tasks.open()
        if tasks.f_db_type.value:
            raise BuilderError("the project is already complete")
        builder.server_set_project_langage(task, params.f_language.value)  # on_page_loaded
        tasks.edit()
        tasks.f_manual_update.value = False  # on_after_edit
        tasks.f_name.value = name
        tasks.f_item_name.value = item_name
        tasks.f_db_type.value = db_type
        # empty inputs stay null: on_field_changed(f_db_type) cleared them
        for field, value in (("f_alias", database), ("f_login", user), ("f_password", password),
                             ("f_host", host), ("f_port", port), ("f_encoding", encoding),
                             ("f_server", server)):
            tasks.field_by_name(field).value = value if value not in ("", None) else None
        if not valid_identifier(item_name):  # sys_tasks on_field_validate
            raise BuilderError("invalid project name %r" % item_name)
        # sys_tasks on_before_post
        error = builder.server_check_connection(task, db_type, database, user, password,
                                                host, port, encoding, server)
        if error:
            raise BuilderError("database connection failed: %s" % error)
        builder.server_set_task_name(task, name, item_name)
        self.manual_update = bool(tasks.f_manual_update.value)
        tasks.f_manual_update.value = False
        tasks.post()
        tasks.apply()
        builder.server_create_task(task)  # sys_tasks on_after_apply (init_project)
        self.page_loaded()

    def op_manual_update(self, value=True):
        """The Database dialog's "DB manual mode" checkbox (kept by the page, not stored)."""
        tasks = self.copy("sys_tasks")
        tasks.open()
        tasks.edit()
        tasks.f_manual_update.value = bool(value)
        error = builder.server_check_connection(
            self.task, tasks.f_db_type.value, tasks.f_alias.value, tasks.f_login.value,
            tasks.f_password.value, tasks.f_host.value, tasks.f_port.value,
            tasks.f_encoding.value, tasks.f_server.value)
        if error:
            raise BuilderError("database connection failed: %s" % error)
        self.manual_update = bool(value)
        tasks.f_manual_update.value = False
        tasks.post()
        tasks.apply()

    # ---------------------------------------------------------------- items

    def set_item_name(self, items, name):
        """sys_items on_field_changed(f_item_name) for a new item: derive the table name."""
        items.f_item_name.value = name
        if items.type_id.value != consts.ITEMS_TYPE and not items.f_virtual_table.value \
                and not self.manual_update:
            table_name, gen_name = builder.get_new_table_name(self.task, name)
            items.f_table_name.value = table_name
            if self.db_options()["NEED_GENERATOR"]:
                items.f_gen_name.value = gen_name

    def op_add_item(self, group, name, caption=None, fields=(), soft_delete=None,
                    keep_history=False, table_name=None):
        """A new catalog/journal (ITEM_TYPE) or detail table (TABLE_TYPE) with its fields."""
        self.check_can_modify()
        grp = self.rows("sys_items", f_item_name=group,
                        type_id__in=[consts.ITEMS_TYPE, consts.TABLES_TYPE])
        if grp.record_count() != 1:
            raise BuilderError("no item group named %r" % group)
        items = self.copy("sys_items")
        items.set_where(parent=grp.id.value)  # the group's view in the Builder
        items.open()
        items.append()
        # sys_items on_after_append
        items.f_visible.value = True
        items.parent.value = grp.id.value
        items.task_id.value = grp.task_id.value
        items.table_id.value = 0
        items.f_index.value = items.record_count()
        items.type_id.value = consts.ITEM_TYPE if grp.type_id.value == consts.ITEMS_TYPE \
            else consts.TABLE_TYPE
        for attr in ("f_primary_key", "f_deleted_flag", "f_master_id", "f_master_rec_id"):
            # .data: in jam.js a null lookup field reads as null, Python's .value gives 0
            items.field_by_name(attr).value = grp.field_by_name(attr).data
        if items.f_deleted_flag.value:
            items.f_soft_delete.value = True
        # the item editor: caption first (it proposes the name), then the name
        caption = caption or name
        items.f_name.value = caption
        ident = caption.replace(" ", "_").lower()
        if valid_identifier(ident):
            self.set_item_name(items, ident)
        self.check_name(name, "item")
        error = builder.server_valid_item_name(self.task, None, grp.id.value, name,
                                               items.type_id.value)
        if error:
            raise BuilderError("item %r: %s" % (name, error))
        self.set_item_name(items, name)
        if self.manual_update:  # no table name is derived in manual mode: the user types one
            items.f_table_name.value = table_name or builder.get_new_table_name(self.task, name)[0]
        if soft_delete is not None and items.f_deleted_flag.value:
            items.f_soft_delete.value = bool(soft_delete)
        if keep_history:
            items.f_keep_history.value = True
        items.sys_fields.open()
        for spec in fields:
            self.new_field(items, spec)
        if not items.f_primary_key.value:  # sys_items on_before_post
            items.f_gen_name.value = None
        items.post()
        self.apply(items)  # items_apply_changes: CREATE TABLE, privileges, interface

    def edit_item(self, name):
        """Open the item editor of an existing item (its fields ordered as the page shows)."""
        self.check_can_modify()  # without can_modify the editor hides its OK button
        it = self.item(name)
        items = self.copy("sys_items")
        items.set_where(id=it.id.value)
        items.open()
        items.edit()
        items.sys_fields.open(order_by=["f_field_name"])
        return items

    def op_system_item(self, kind):
        """The Parameters dialog's History / Locks lookup: the item created on demand."""
        result, error = builder.create_system_item(self.task, "f_%s_item" % kind)
        if error:
            raise BuilderError(error)
        log(result)

    def op_keep_history(self, item, value=True):
        """The item editor's "Keep history" check box."""
        items = self.edit_item(item)
        items.f_keep_history.value = bool(value)
        items.post()
        self.apply(items)

    def op_delete_item(self, item):
        self.check_can_modify()
        it = self.item(item)
        error = builder.server_can_delete(self.task.sys_items, it.id.value)
        if error:
            raise BuilderError(error)
        items = self.copy("sys_items")
        items.set_where(parent=it.parent.value)
        items.open()
        items.locate("id", it.id.value)
        items.delete()
        self.apply(items)

    def op_add_detail(self, item, detail):
        """The Details dialog of a catalog/journal: attach a detail table (DETAIL_TYPE)."""
        master = self.item(item)
        table = self.item(detail)
        if master.type_id.value != consts.ITEM_TYPE or table.type_id.value != consts.TABLE_TYPE:
            raise BuilderError("details attach a detail table to a catalog or journal")
        used = self.rows("sys_items", table_id=table.id.value)  # valid_detail
        if not table.f_master_id.value and used.record_count() and \
                used.parent.value != master.id.value:
            raise BuilderError("%s is used as a detail elsewhere" % detail)
        current = self.rows("sys_items", order_by=["f_index"], parent=master.id.value)
        dest_list = [[d.table_id.value] for d in current]
        if [table.id.value] not in dest_list:
            dest_list.append([table.id.value])
            builder.server_update_details(self.task.sys_items, master.id.value, dest_list)
            self.page_loaded()

    # ---------------------------------------------------------------- fields

    def set_data_type(self, f, data_type):
        """sys_fields on_field_changed(f_data_type)."""
        f.f_data_type.value = data_type
        if data_type == consts.FILE:  # update_iterface_tab
            if not f.f_file_download_btn.value and not f.f_file_open_btn.value:
                f.f_file_download_btn.value = True
                f.f_file_open_btn.value = True
        elif data_type == consts.IMAGE:
            if not f.f_image_view_width.value and not f.f_image_view_height.value:
                f.f_image_view_width.value = 100
            if not f.f_image_edit_width.value and not f.f_image_edit_height.value:
                f.f_image_edit_width.value = 200
        f.f_default_value.value = None  # update_default_value(item, true)
        f.f_default_lookup_value.value = None
        if data_type == consts.TEXT:
            f.f_size.value = 100
        elif data_type == consts.BOOLEAN:
            f.f_default_lookup_value.value = 0
        else:
            f.f_size.value = None
        self.set_alignment(f)

    def set_alignment(self, f):
        f.f_alignment.value = builder.get_alignment(f.f_data_type.value, f.f_object.value,
                                                    f.f_lookup_values.value)

    def set_field_name(self, f, name, db_field_name=None):
        f.f_field_name.value = name
        # on_field_changed: the column follows the name unless in DB manual mode
        if not self.manual_update:
            f.f_db_field_name.value = builder.server_set_literal_case(self.task, name)
        elif db_field_name or not f.f_db_field_name.value:  # typed by the user
            f.f_db_field_name.value = db_field_name or \
                builder.server_set_literal_case(self.task, name)

    def check_field_name(self, fields, name):
        """sys_fields check_valid_field_name (only the item's own fields are compared)."""
        self.check_name(name, "field")
        clone = fields.clone()
        for c in clone:
            if c.rec_no != fields.rec_no and c.f_field_name.value == name:
                raise BuilderError("There is a field with this name: %r" % name)

    def lookup_list(self, name, values):
        """The "Lookup lists" dialog: a SYS_LOOKUP_LISTS row (JSON text as JSON.stringify)."""
        lists = self.copy("sys_lookup_lists")
        lists.open()
        lists.append()
        lists.f_name.value = name
        lists.f_lookup_values_text.value = json.dumps(
            [[int(v), t] for v, t in values], separators=(",", ":"), ensure_ascii=False)
        lists.post()
        lists.apply()
        return lists.id.value

    def new_field(self, items, spec):
        """The field editor for a new field, in the order a user fills it in."""
        f = items.sys_fields
        name = spec["name"]
        caption = spec.get("caption") or name
        data_type = TYPES[spec.get("type", "text")]
        f.append()
        f.f_name.value = caption  # on_field_changed(f_name) proposes the name
        ident = caption.replace(" ", "_").lower()
        if valid_identifier(ident):
            self.set_field_name(f, ident)
        self.check_field_name(f, name)
        self.set_field_name(f, name, spec.get("db_field_name"))
        lookup = spec.get("lookup")
        if not lookup or data_type == consts.KEYS:
            self.set_data_type(f, data_type)
        if data_type == consts.TEXT:
            f.f_size.value = int(spec.get("size") or 100)
        if lookup:
            obj = self.item(lookup["item"])
            f.f_object.value = obj.id.value
            # on_field_changed(f_object)
            f.f_default_value.value = None
            f.f_default_lookup_value.value = None
            for attr in ("f_object_field", "f_object_field1", "f_object_field2",
                         "f_lookup_values", "f_master_field"):
                f.field_by_name(attr).value = None
            pk = builder.server_get_primary_key_type(self.task, obj.id.value)
            if data_type == consts.KEYS:
                f.f_object_field.value = pk["field_id"]
            else:
                f.f_data_type.value = pk["data_type"]
                f.f_size.value = pk["size"]
                f.f_object_field.value = self.field(obj, lookup["field"]).id.value
            self.set_alignment(f)
        elif spec.get("lookup_values"):
            list_id = self.lookup_list(spec.get("lookup_list") or caption, spec["lookup_values"])
            f.f_lookup_values.value = list_id
            # on_field_changed(f_lookup_values)
            f.f_object.value = None
            f.f_object_field.value = None
            f.f_master_field.value = None
            f.f_data_type.value = consts.INTEGER
            f.f_default_value.value = None
            f.f_default_lookup_value.value = None
            self.set_alignment(f)
        if spec.get("required"):
            f.f_required.value = True
        if data_type == consts.FILE:  # on_field_validate(f_file_accept): required and valid
            accept = spec.get("accept", ".txt, .pdf")
            if not builder.server_valid_field_accept_value(self.task, accept):
                raise BuilderError("invalid accept value %r" % accept)
            f.f_file_accept.value = accept
        # on_before_post
        if f.f_data_type.value != consts.TEXT:
            f.f_size.value = None
        f.task_id.value = items.task_id.value
        f.id.value = builder.get_fields_next_id(self.task)
        f.post()

    def op_add_field(self, item, **spec):
        items = self.edit_item(item)
        self.new_field(items, spec)
        items.post()
        self.apply(items)  # ALTER TABLE ADD (or the SQLite rebuild)

    def own_field(self, items, name):
        f = items.sys_fields
        if not f.locate("f_field_name", name):
            raise BuilderError("%s has no own field %r" % (items.f_item_name.value, name))
        return f

    def op_delete_field(self, item, field):
        items = self.edit_item(item)
        f = self.own_field(items, field)
        clone = f.clone()  # sys_fields can_delete: a master field of a lookup sibling
        for c in clone:
            if f.f_object.value and c.f_object.value == f.f_object.value and \
                    c.f_master_field.value == f.id.value:
                raise BuilderError("%s is the master field of %s" % (field, c.f_field_name.value))
        error = builder.server_can_delete_field(self.task.sys_fields, f.id.value)
        if error:
            raise BuilderError(error)
        for attr in ("f_primary_key", "f_deleted_flag", "f_master_id", "f_master_rec_id"):
            if items.field_by_name(attr).value == f.id.value:  # sys_fields on_before_delete
                items.field_by_name(attr).value = None
                break
        f.delete()
        items.post()
        self.apply(items)

    def op_rename_field(self, item, field, new_name, db_field_name=None, caption=None):
        """Rename a field: outside DB manual mode the column follows (RENAME / rebuild);
        the column name itself can only be typed in DB manual mode (no DDL then)."""
        if db_field_name and not self.manual_update:
            raise BuilderError("the db field name is only editable in DB manual mode")
        items = self.edit_item(item)
        f = self.own_field(items, field)
        if field in FIXED_FIELDS:
            raise BuilderError("the Builder does not allow renaming %r" % field)
        f.edit()
        self.check_field_name(f, new_name)
        if caption:
            f.f_name.value = caption
        self.set_field_name(f, new_name, db_field_name)
        f.post()
        items.post()
        self.apply(items)

    def op_resize_field(self, item, field, size):
        """Change a text field's size where the field editor leaves f_size editable."""
        items = self.edit_item(item)
        f = self.own_field(items, field)
        if f.f_data_type.value != consts.TEXT:
            raise BuilderError("%s is not a text field" % field)
        if not self.manual_update and not items.f_virtual_table.value:
            # update_fields_read_only for an existing field
            if not self.db_options()["CAN_CHANGE_SIZE"] or f.f_object.value or \
                    items.f_primary_key.value == f.id.value:
                raise BuilderError("the Builder does not allow resizing %s on this database "
                                   "outside DB manual mode" % field)
        f.edit()
        f.f_size.value = int(size)
        f.post()
        items.post()
        self.apply(items)

    # ---------------------------------------------------------------- indexes

    def indices(self, it, foreign):
        ind = self.copy("sys_indices")
        ind.set_where(owner_rec_id=it.id.value, f_foreign_index=foreign)
        ind.open()
        return ind

    def op_add_index(self, item, fields, name=None, unique=False):
        """The Indices dialog: fields are names or [name, descending] pairs."""
        self.check_can_modify()
        it = self.item(item)
        ind = self.indices(it, False)
        ind.append()
        # sys_indices on_after_append
        task_name = self.task_record().f_item_name.value
        ind.f_index_name.value = builder.server_set_literal_case(
            self.task, task_name + "_" + it.f_item_name.value + "_idx")
        ind.task_id.value = it.task_id.value
        ind.owner_rec_id.value = it.id.value
        ind.f_foreign_index.value = False
        if name:
            ind.f_index_name.value = name
        clone = ind.clone()  # on_field_validate(f_index_name)
        for c in clone:
            if c.rec_no != ind.rec_no and c.f_index_name.value == ind.f_index_name.value:
                raise BuilderError("There is index with this name: %s" % ind.f_index_name.value)
        if unique:
            ind.f_unique_index.value = True
        dest_list = []
        for entry in fields:
            field_name, desc = (entry, False) if isinstance(entry, str) else entry
            fld = self.field(it, field_name)
            if fld.f_master_field.value:
                raise BuilderError("%s shares another field's column" % field_name)
            dest_list.append([fld.id.value, bool(desc)])
        if not dest_list:
            raise BuilderError("an index needs fields")
        ind.f_fields_list.value = builder.server_dump_index_fields(self.task.sys_indices,
                                                                   dest_list)
        ind.post()
        self.apply(ind)  # indices_apply_changes: CREATE INDEX

    def op_add_foreign_key(self, item, field):
        """The Foreign keys dialog: a constraint for a lookup field."""
        self.check_can_modify()
        it = self.item(item)
        fld = self.field(it, field)
        # on_field_select_value: lookup fields whose item is not soft-deleted, not used yet
        if not fld.f_object.value or fld.f_master_field.value:
            raise BuilderError("%s is not a lookup field with its own column" % field)
        if self.task.sys_items.field_by_id(fld.f_object.value, "f_soft_delete"):
            raise BuilderError("the Builder offers no foreign key to a soft-delete item")
        ind = self.indices(it, True)
        if ind.locate("f_foreign_field", fld.id.value):
            raise BuilderError("%s already has a foreign key" % field)
        ind.append()
        ind.task_id.value = it.task_id.value
        ind.owner_rec_id.value = it.id.value
        ind.f_foreign_index.value = True
        ind.f_foreign_field.value = fld.id.value
        # on_field_changed(f_foreign_field): the display text is the field name
        ind.f_index_name.value = "FK_" + it.f_table_name.value.upper() + "_" + \
            fld.f_field_name.value.upper()
        ind.post()
        self.apply(ind)  # ALTER TABLE ADD CONSTRAINT (SQLite: table rebuild)

    def op_delete_index(self, item, name):
        self.check_can_modify()
        it = self.item(item)
        for foreign in (False, True):
            ind = self.indices(it, foreign)
            if ind.locate("f_index_name", name):
                ind.delete()
                self.apply(ind)
                return
        raise BuilderError("%s has no index %r" % (item, name))

    # ---------------------------------------------------------------- benchmarks

    def op_generate(self, items, fields_per_item=30, indexes_per_item=5, group="catalogs",
                    prefix="gen"):
        """A large project: item i has a 'name' field, lookups (with foreign keys) to the two
        items before it and plain fields of every scalar type; its indexes are those
        foreign keys plus plain, unique, descending and two-column indexes."""
        kinds = [("text", 20), ("integer", None), ("float", None), ("currency", None),
                 ("date", None), ("datetime", None), ("boolean", None), ("longtext", None),
                 ("text", 60)]
        task_name = self.task_record().f_item_name.value
        started = time.time()
        for i in range(items):
            name = "%s%03d" % (prefix, i + 1)
            refs = ["%s%03d" % (prefix, i + 1 - k) for k in (1, 2) if i - k >= 0]
            refs = refs[:max(0, min(len(refs), indexes_per_item, fields_per_item - 1))]
            fields = [{"name": "name", "caption": "Name", "type": "text", "size": 64,
                       "required": True}]
            fields += [{"name": "ref%d" % (k + 1), "caption": "Ref %d" % (k + 1),
                        "lookup": {"item": ref, "field": "name"}} for k, ref in enumerate(refs)]
            plain = []
            for j in range(fields_per_item - len(fields)):
                kind, size = kinds[j % len(kinds)]
                plain.append("f%02d" % (j + 1))
                fields.append({"name": plain[-1], "type": kind, "size": size})
            self.op_add_item(group, name, caption="Generated %d" % (i + 1), fields=fields,
                             soft_delete=False)
            for k in range(len(refs)):
                self.op_add_foreign_key(name, "ref%d" % (k + 1))
            columns = ["name"] + plain
            for k in range(indexes_per_item - len(refs)):
                first = columns[k % len(columns)]
                second = columns[(k + 1) % len(columns)]
                index_fields = [[first, k % 3 == 1]] + ([second] if k % 3 == 2 else [])
                self.op_add_index(name, index_fields, unique=(k == 0),
                                  name=builder.server_set_literal_case(
                                      self.task, "%s_%s_idx%d" % (task_name, name, k + 1)))
            if (i + 1) % 10 == 0 or i + 1 == items:
                log("generate: %d/%d items, %.0f s" % (i + 1, items, time.time() - started))

    # ---------------------------------------------------------------- summary

    def summary(self):
        task = self.task_record()
        tasks = self.rows("sys_tasks")
        result = {"task": task.f_item_name.value, "caption": task.f_name.value,
                  "db_type": tasks.f_db_type.value, "groups": {}, "items": {}, "details": {},
                  "lookup_lists": {}}
        items = self.rows("sys_items", fields=["id", "parent", "type_id", "f_item_name",
                                               "f_table_name", "f_gen_name"])
        names = {it.id.value: it.f_item_name.value for it in items}
        fields, indices = {}, {}
        for f in self.rows("sys_fields", fields=["id", "owner_rec_id", "f_field_name"]):
            fields.setdefault(f.owner_rec_id.value, {})[f.f_field_name.value] = f.id.value
        for ind in self.rows("sys_indices", fields=["id", "owner_rec_id", "f_index_name"]):
            indices.setdefault(ind.owner_rec_id.value, {})[ind.f_index_name.value] = ind.id.value
        for it in items:
            key = it.f_item_name.value
            if it.type_id.value in (consts.ITEMS_TYPE, consts.TABLES_TYPE):
                result["groups"][key] = {"id": it.id.value, "type_id": it.type_id.value,
                                         "fields": fields.get(it.id.value, {})}
            elif it.type_id.value in TABLE_TYPES:
                result["items"][key] = {
                    "id": it.id.value, "type_id": it.type_id.value,
                    "group": names.get(it.parent.value), "table": it.f_table_name.data,
                    "gen_name": it.f_gen_name.data, "fields": fields.get(it.id.value, {}),
                    "indices": indices.get(it.id.value, {})}
            elif it.type_id.value == consts.DETAIL_TYPE:
                result["details"]["%s.%s" % (names.get(it.parent.value), key)] = it.id.value
        for ll in self.rows("sys_lookup_lists", fields=["id", "f_name"]):
            result["lookup_lists"][ll.f_name.value] = ll.id.value
        result["counts"] = {
            "items": len(result["items"]),
            "fields": self.task.select("SELECT COUNT(*) FROM SYS_FIELDS")[0][0],
            "indices": self.task.select("SELECT COUNT(*) FROM SYS_INDICES")[0][0],
            "foreign_keys": self.task.select(
                "SELECT COUNT(*) FROM SYS_INDICES WHERE F_FOREIGN_INDEX = 1")[0][0]}
        return result


def main(project_dir, spec_path):
    with open(spec_path, encoding="utf-8") as f:
        ops = json.load(f)
    b = Builder(project_dir)
    for n, op in enumerate(ops, 1):
        args = dict(op)
        name = args.pop("op")
        log("builder_ops: %d/%d %s %s" % (n, len(ops), name,
                                          args.get("name") or args.get("item") or ""))
        getattr(b, "op_" + name)(**args)
    if b.rows("sys_tasks").f_db_type.value:
        b.page_loaded()
    json.dump(b.summary(), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
