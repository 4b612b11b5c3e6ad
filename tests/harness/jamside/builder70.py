"""Build a Jam.py 7.0 app headlessly, the way 7.0's Application Builder page does it.

Usage: builder70.py <project_dir> <spec.json>   (spec = JSON list of {"op": ...} objects)

Runs inside a Jam.py 7.0 venv. Like builder_ops.py (5.x), each operation opens copies of
the admin items, sets the values 7.0's jam/js/admin.js sets (a new item copies its group's
common fields with new IDs; a new field gets the Default value the field dialog gives its
type) and applies through the on_apply handlers Jam.py registered (items_apply_changes:
the project database's DDL). Copies carry no on_apply of their own, so it is set from the
admin item, as the Builder's own create_system_item does. Operations:

  {"op": "complete", "db_type": 1, "database": "<file>", ...}   the new-project dialogs
  {"op": "lookup_list", "name": ..., "values": [[1, "New"], ...]}
  {"op": "add_item", "group": "catalogs"|"journals", "name": ..., "fields": [...]}
      field: {"name", "type" (text, integer, ...), "size", "default", "lookup": [item,
      field], "lookup_list": name}
  {"op": "set_default", "item": ..., "field": ..., "default": ...}

Prints {"items": {name: id}} on stdout.
"""
import json
import sys

from jam.wsgi import create_application  # first: it puts Jam.py's bundled libraries on sys.path
from jam.common import consts

TYPES = {
    "text": consts.TEXT, "integer": consts.INTEGER, "float": consts.FLOAT,
    "currency": consts.CURRENCY, "date": consts.DATE, "datetime": consts.DATETIME,
    "boolean": consts.BOOLEAN, "longtext": consts.LONGTEXT, "keys": consts.KEYS,
    "file": consts.FILE, "image": consts.IMAGE,
}
# Item type of a new item in a group of this type (Events3.on_after_append).
ITEM_TYPE_IN = {consts.ITEMS_TYPE: consts.ITEM_TYPE, consts.TABLES_TYPE: consts.TABLE_TYPE}
# SYS_ITEMS fields that point at the common fields (create_common_fields).
COMMON = ("f_primary_key", "f_deleted_flag", "f_master_id", "f_master_rec_id",
          "f_record_version")


def call(admin, name, *args):
    """A server function, called as App.server_func calls it for the Builder page."""
    return getattr(admin, name)(admin, *args)


def apply(admin, dataset, item_name, params=None):
    dataset.on_apply = getattr(admin, item_name).on_apply
    dataset.apply(params=params if params is not None else {"manual_update": False})


def complete(admin, op):
    """Language dialog, then the project/database dialog (admin.js Events8, Events00)."""
    params = admin.sys_params.copy()
    params.open()
    params.edit()
    params.f_language.value = 1
    params.post()
    apply(admin, params, "sys_params", {})
    call(admin, "server_set_project_langage", 1)
    tasks = admin.sys_tasks.copy()
    tasks.open()
    tasks.edit()
    # The dialog leaves the fields a database does not use empty (NULL), not "".
    values = {"f_name": op.get("name", "Shop"), "f_item_name": op.get("item_name", "shop"),
              "f_db_type": op["db_type"], "f_alias": op["database"],
              "f_login": op.get("user") or None, "f_password": op.get("password") or None,
              "f_host": op.get("host") or None, "f_port": op.get("port") or None,
              "f_encoding": op.get("encoding") or None, "f_server": None, "f_dsn": None,
              "f_python_library": 1 if op["db_type"] == consts.MYSQL else None,
              "f_manual_update": False}
    for name, value in values.items():
        tasks.field_by_name(name).value = value
    error = call(admin, "server_check_connection", op["db_type"], op["database"],
                 op.get("user"), op.get("password"), op.get("host"), op.get("port"),
                 op.get("encoding"), None, values["f_python_library"], None)
    if error:
        raise SystemExit(f"server_check_connection: {error}")
    call(admin, "server_set_task_name", values["f_name"], values["f_item_name"])
    tasks.post()
    apply(admin, tasks, "sys_tasks", {})
    call(admin, "server_create_task")


def _item(admin, name):
    items = admin.sys_items.copy(handlers=False)
    items.set_where(f_item_name=name)
    items.open()
    return items


def _task_id(admin):
    items = admin.sys_items.copy(handlers=False)
    items.set_where(type_id=consts.TASK_TYPE)
    items.open(fields=["id"])
    return items.id.value


def _field_id(admin, item_id, name):
    fields = admin.sys_fields.copy(handlers=False)
    fields.set_where(owner_rec_id=item_id, f_field_name=name)
    fields.open(fields=["id"])
    return fields.id.value


def _lookup_list_id(admin, name):
    lists = admin.sys_lookup_lists.copy(handlers=False)
    lists.set_where(f_name=name)
    lists.open(fields=["id"])
    return lists.id.value


def lookup_list(admin, op):
    lists = admin.sys_lookup_lists.copy()
    lists.open(open_empty=True)
    lists.append()
    lists.f_name.value = op["name"]
    lists.f_lookup_values_text.value = json.dumps(op["values"])
    lists.post()
    apply(admin, lists, "sys_lookup_lists", {})


def _set_field(admin, fields, spec):
    """A new field as the field dialog leaves it (Events26 on_field_changed,
    update_default_value): data type, size, lookup, Default value, alignment."""
    error = call(admin, "server_valid_field_name", spec["name"])
    if error:
        raise SystemExit(f"{spec['name']}: {error}")
    data_type = TYPES[spec.get("type", "text")]
    fields.f_name.value = spec.get("caption", spec["name"].replace("_", " ").capitalize())
    fields.f_field_name.value = spec["name"]
    fields.f_db_field_name.value = call(admin, "server_set_literal_case", spec["name"])
    fields.f_enable_typehead.value = True
    lookup = spec.get("lookup")
    if lookup:
        target = _item(admin, lookup[0]).id.value
        fields.f_object.value = target
        if data_type != consts.KEYS:
            key = call(admin, "server_get_primary_key_type", target)
            data_type = key["data_type"]
            fields.f_size.value = key["size"]
        fields.f_object_field.value = _field_id(admin, target, lookup[1])
    if spec.get("lookup_list"):
        fields.f_lookup_values.value = _lookup_list_id(admin, spec["lookup_list"])
        data_type = consts.INTEGER
    fields.f_data_type.value = data_type
    if data_type == consts.TEXT and not lookup:
        fields.f_size.value = spec.get("size", 100)
    elif not lookup:
        fields.f_size.value = None
    if "default" in spec:
        fields.f_default_value.value = spec["default"]
    elif data_type == consts.BOOLEAN:
        fields.f_default_value.value = "false"
    elif data_type in (consts.TEXT, consts.FILE, consts.IMAGE) and not lookup:
        fields.f_default_value.value = ""
    if data_type == consts.BOOLEAN:
        fields.f_default_lookup_value.value = 1 if fields.f_default_value.value == "true" else 0
    elif data_type in (consts.DATE, consts.DATETIME) and spec.get("default"):
        fields.f_default_lookup_value.value = 1
    elif spec.get("lookup_list") and spec.get("default"):
        fields.f_default_lookup_value.value = int(spec["default"])
    if lookup or spec.get("lookup_list"):
        fields.f_alignment.value = 1
    elif data_type in (consts.INTEGER, consts.FLOAT, consts.CURRENCY):
        fields.f_alignment.value = 3
    elif data_type in (consts.DATE, consts.DATETIME):
        fields.f_alignment.value = 2
    else:
        fields.f_alignment.value = 1
    fields.task_id.value = _task_id(admin)
    fields.id.value = call(admin, "get_fields_next_id")


def add_item(admin, op):
    """A new item in a group: on_after_append, get_new_table_name, create_common_fields,
    the fields, on_before_post, apply (CREATE TABLE and the lookup fields' indexes)."""
    group = _item(admin, op["group"])
    group.sys_fields.open()
    items = admin.sys_items.copy()
    items.set_where(parent=group.id.value)
    items.open()
    count = items.rec_count
    items.append()
    items.f_visible.value = True
    items.parent.value = group.id.value
    items.task_id.value = group.task_id.value
    items.table_id.value = 0
    items.f_index.value = count
    items.type_id.value = ITEM_TYPE_IN[group.type_id.value]
    items.f_name.value = op.get("caption", op["name"].capitalize())
    items.f_item_name.value = op["name"]
    table_name, gen_name = call(admin, "get_new_table_name", op["name"])
    items.f_table_name.value = table_name
    items.f_gen_name.value = gen_name if admin.task_db_module.NEED_GENERATOR else None
    items.sys_fields.open()
    for common in group.sys_fields:
        items.sys_fields.append()
        for field in items.sys_fields.fields:
            source = common.field_by_name(field.field_name)
            if source is not None:
                field.data = source.data
        items.sys_fields.id.data = call(admin, "get_fields_next_id")
        items.sys_fields.post()
        for name in COMMON:
            if group.field_by_name(name).value == common.id.value:
                items.field_by_name(name).value = items.sys_fields.id.value
    items.f_soft_delete.value = bool(items.f_deleted_flag.value)
    for spec in op["fields"]:
        items.sys_fields.append()
        _set_field(admin, items.sys_fields, spec)
        items.sys_fields.post()
    items.post()
    apply(admin, items, "sys_items")


def set_default(admin, op):
    """The field dialog's Default value changed and the item saved (DDL: change_field)."""
    items = admin.sys_items.copy()
    items.set_where(id=_item(admin, op["item"]).id.value)
    items.open()
    items.edit()
    items.sys_fields.open()
    if not items.sys_fields.locate("f_field_name", op["field"]):
        raise SystemExit(f"no field {op['field']} in {op['item']}")
    items.sys_fields.edit()
    items.sys_fields.f_default_value.value = op["default"]
    items.sys_fields.post()
    items.post()
    apply(admin, items, "sys_items")


OPS = {"complete": complete, "lookup_list": lookup_list, "add_item": add_item,
       "set_default": set_default}


def main():
    app = create_application(sys.argv[1], testing=True)
    with open(sys.argv[2], encoding="utf-8") as f:
        spec = json.load(f)
    stdout, sys.stdout = sys.stdout, sys.stderr  # Jam.py prints while it rebuilds tables
    for op in spec:
        OPS[op["op"]](app.admin, op)
    sys.stdout = stdout
    items = app.admin.sys_items.copy(handlers=False)
    items.open(fields=["id", "f_item_name"])
    print(json.dumps({"items": {i.f_item_name.value: i.id.value for i in items}}))


if __name__ == "__main__":
    main()
