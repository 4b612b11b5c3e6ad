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
  {"op": "add_field", "item": ..., <field>}   a field added to an existing item (ALTER)
      a calculated field: {"name", "type", "calc": [item, field, "sum"|"avg"|"count"|...]}
  {"op": "rename_field", "item": ..., "field": ..., "new_name": ...}
  {"op": "delete_field", "item": ..., "field": ...}
  {"op": "add_index", "item": ..., "fields": [name | [name, descending]], "unique": bool,
      "name": <default task_item_idx>}
  {"op": "add_foreign_key", "item": ..., "field": <lookup field>}
  {"op": "add_detail", "item": <master>, "detail": <item>, "field": <its lookup field>}
  {"op": "copy_item", "item": <source>, "name": ...}   an item copy (F_COPY_OF)
  {"op": "field_privilege", "role": <role name>, "item": ..., "field": ...,
      "read_only": bool, "prohibited": bool}
  {"op": "delete_item", "item": ...}

Prints {"items": {name: id}} on stdout.
"""
import contextlib
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
CALC_OPS = ["SUM", "AVG", "COUNT", "MIN", "MAX"]  # F_CALC_OP 1..5


def call(item, name, *args):
    """A server function of the task or of an admin item, called as App.server_func calls
    it for the Builder page."""
    return getattr(item, name)(item, *args)


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


def _task(admin):
    items = admin.sys_items.copy(handlers=False)
    items.set_where(type_id=consts.TASK_TYPE)
    items.open(fields=["id", "f_item_name"])
    return items


def _task_id(admin):
    return _task(admin).id.value


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
    if spec.get("calc"):
        _set_calculation(admin, fields, *spec["calc"])
    fields.task_id.value = _task_id(admin)
    fields.id.value = call(admin, "get_fields_next_id")


def _set_calculation(admin, fields, item_name, field_name, op):
    """The field dialog's Calculation tab (Events26 on_field_changed: f_calc_item picks the
    calc item's only field that looks this item up; f_calc_field gives its number type;
    COUNT makes an integer; the alignment goes right)."""
    calc_item = _item(admin, item_name).id.value
    fields.f_calc_item.value = calc_item
    owner = fields.owner
    lookups = admin.sys_fields.copy(handlers=False)
    lookups.set_where(owner_rec_id=calc_item, f_object=owner.f_copy_of.value or owner.id.value,
                      f_master_field__isnull=True)
    lookups.open()
    if lookups.rec_count == 1:
        fields.f_calc_lookup_field.value = lookups.id.value
    calc_field = admin.sys_fields.copy(handlers=False)
    calc_field.set_where(owner_rec_id=calc_item, f_field_name=field_name)
    calc_field.open()
    fields.f_calc_field.value = calc_field.id.value
    if calc_field.f_data_type.value in (consts.INTEGER, consts.FLOAT, consts.CURRENCY):
        fields.f_data_type.value = calc_field.f_data_type.value
    fields.f_calc_op.value = CALC_OPS.index(op.upper()) + 1
    if op.upper() == "COUNT":
        fields.f_data_type.value = consts.INTEGER
    fields.f_alignment.value = 3
    if fields.f_data_type.value != consts.TEXT:  # Events26 on_before_post
        fields.f_size.value = None


def _edit_item(admin, name):
    """The item's edit form: its SYS_ITEMS row in edit state with its fields open."""
    items = admin.sys_items.copy()
    items.set_where(id=_item(admin, name).id.value)
    items.open()
    items.edit()
    items.sys_fields.open()
    return items


def _locate_field(items, name):
    if not items.sys_fields.locate("f_field_name", name):
        raise SystemExit(f"no field {name} in {items.f_item_name.value}")


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


@contextlib.contextmanager
def _field_dialog(admin, op):
    """A field's dialog opened from its item's edit form; on leaving, the field and the
    item are saved and applied."""
    items = _edit_item(admin, op["item"])
    _locate_field(items, op["field"])
    items.sys_fields.edit()
    yield items.sys_fields
    items.sys_fields.post()
    items.post()
    apply(admin, items, "sys_items")


def set_default(admin, op):
    """The field dialog's Default value changed and the item saved (DDL: change_field)."""
    with _field_dialog(admin, op) as field:
        field.f_default_value.value = op["default"]


def add_field(admin, op):
    """A new field in the item's edit form, then the item saved (ALTER TABLE ADD and the
    lookup field's index; none for a calculated field)."""
    items = _edit_item(admin, op["item"])
    items.sys_fields.append()
    _set_field(admin, items.sys_fields, op)
    items.sys_fields.post()
    items.post()
    apply(admin, items, "sys_items")


def rename_field(admin, op):
    """The field dialog's Name changed: the db field name follows (on_field_changed)."""
    with _field_dialog(admin, op) as field:
        field.f_field_name.value = op["new_name"]
        field.f_db_field_name.value = call(admin, "server_set_literal_case", op["new_name"])


def delete_field(admin, op):
    """do_delete_field: server_can_delete_field, then delete and apply."""
    items = _edit_item(admin, op["item"])
    _locate_field(items, op["field"])
    error = call(admin.sys_fields, "server_can_delete_field", items.sys_fields.id.value)
    if error:
        raise SystemExit(f"delete {op['item']}.{op['field']}: {error}")
    items.sys_fields.delete()
    items.post()
    apply(admin, items, "sys_items")


def _indices(admin, item_id):
    indices = admin.sys_indices.copy()
    indices.set_where(owner_rec_id=item_id)
    indices.open()
    indices.append()
    indices.task_id.value = _task_id(admin)
    indices.owner_rec_id.value = item_id
    return indices


def add_index(admin, op):
    """Events22 on_after_append and edit_index's save_edit (indices_apply_changes)."""
    item = _item(admin, op["item"])
    indices = _indices(admin, item.id.value)
    indices.f_index_name.value = op.get("name") or call(
        admin, "server_set_literal_case",
        f"{_task(admin).f_item_name.value}_{op['item']}_idx")
    indices.f_foreign_index.value = False
    indices.f_unique_index.value = bool(op.get("unique"))
    dest = [[_field_id(admin, item.id.value, f), False] if isinstance(f, str)
            else [_field_id(admin, item.id.value, f[0]), bool(f[1])] for f in op["fields"]]
    indices.f_fields_list.value = call(admin.sys_indices, "server_dump_index_fields", dest)
    indices.post()
    apply(admin, indices, "sys_indices")


def add_foreign_key(admin, op):
    """A foreign key: the lookup field chosen, the name the dialog derives from it."""
    item = _item(admin, op["item"])
    indices = _indices(admin, item.id.value)
    indices.f_foreign_index.value = True
    indices.f_foreign_field.value = _field_id(admin, item.id.value, op["field"])
    indices.f_index_name.value = f"FK_{item.f_table_name.value.upper()}_{op['field'].upper()}"
    indices.post()
    apply(admin, indices, "sys_indices")


def add_detail(admin, op):
    """The Details dialog (details_setup): the current list plus the item attached by its
    lookup field to the master, saved by server_update_details."""
    master = _item(admin, op["item"]).id.value
    details = admin.sys_items.copy(handlers=False)
    details.set_where(parent=master)
    details.set_order_by(["f_index"])
    details.open()
    dest = []
    for d in details:
        field_id = d.f_master_field.value
        name = admin.sys_fields.field_by_id(field_id, "f_field_name") if field_id else ""
        dest.append([d.table_id.value, name, field_id])
    detail = _item(admin, op["detail"]).id.value
    dest.append([detail, op["field"], _field_id(admin, detail, op["field"])])
    call(admin.sys_items, "server_update_details", master, dest)


def copy_item(admin, op):
    """The Copy button (on_view_form_created) with every field selected
    (add_fields_to_copy), the copy named in its edit form and saved: no DDL."""
    source = _item(admin, op["item"])
    items = admin.sys_items.copy()
    items.set_where(parent=source.parent.value)
    items.open()
    count = items.rec_count
    items.append()
    system = {"id", "deleted", *COMMON[:4]}
    for field in items.fields:
        if field.field_name not in system:
            field.data = source.field_by_name(field.field_name).data
    items.f_copy_of.value = source.id.value
    items.f_name.value = op.get("caption", op["name"].capitalize())
    items.f_item_name.value = op["name"]
    items.f_index.value = count
    fields = admin.sys_fields.copy(handlers=False)
    fields.set_where(owner_rec_id=source.id.value)
    fields.set_order_by(["f_field_name"])
    fields.open()
    names = {}
    items.sys_fields.open()
    for f in fields:
        items.sys_fields.append()
        for field in items.sys_fields.fields:
            if field.field_name != "id":
                field.data = f.field_by_name(field.field_name).data
        items.sys_fields.id.value = call(admin, "get_fields_next_id")
        items.sys_fields.post()
        names[f.f_field_name.value] = items.sys_fields.id.value
    for f in items.sys_fields:
        if f.f_master_field.value:
            f.edit()
            f.f_master_field.value = names[fields.field_by_id(f.f_master_field.value,
                                                              "f_field_name")]
            f.post()
    for name in COMMON:
        if source.field_by_name(name).value:
            items.field_by_name(name).value = names[
                fields.field_by_id(source.field_by_name(name).value, "f_field_name")]
    items.post()
    apply(admin, items, "sys_items")


def field_privilege(admin, op):
    """A click in the role's field privileges (field_priv_clicked), then roles_changed."""
    roles = admin.sys_roles.copy(handlers=False)
    roles.set_where(f_name=op["role"])
    roles.open()
    item = _item(admin, op["item"]).id.value
    field = _field_id(admin, item, op["field"])
    pr_id = None
    for name in ("f_read_only", "f_prohibited"):
        if name[2:] in op:
            pr_id = call(admin, "server_change_field_privilege", pr_id, roles.id.value, item,
                         field, name, bool(op[name[2:]]))
    call(admin.sys_roles, "roles_changed")


def delete_item(admin, op):
    """The Delete button: can_delete_item (server_can_delete), then delete and apply."""
    items = admin.sys_items.copy()
    items.set_where(id=_item(admin, op["item"]).id.value)
    items.open()
    error = call(admin.sys_items, "server_can_delete", items.id.value)
    if error:
        raise SystemExit(f"delete {op['item']}: {error}")
    items.delete()
    apply(admin, items, "sys_items")


OPS = {"complete": complete, "lookup_list": lookup_list, "add_item": add_item,
       "set_default": set_default, "add_field": add_field, "rename_field": rename_field,
       "delete_field": delete_field, "add_index": add_index,
       "add_foreign_key": add_foreign_key, "add_detail": add_detail, "copy_item": copy_item,
       "field_privilege": field_privilege, "delete_item": delete_item}


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
