"""Metadata validated as a whole: what it means, beyond the shape ``read`` checks.

Run before any plan of an import (check mode too) and before an export, so that metadata
Jam.py could not load, or a database could not take, is refused with every problem named
and nothing touched. The rules:

- types and ranges of the values the import uses: item and data types, text sizes, flags,
  the index field lists;
- the texts Jam.py reads when it loads a project (its admin.sqlite keeps them as given,
  in BLOB columns): text or nothing; a server module is Python that compiles, an item's
  form layout (F_INFO) Jam.py's ``json`` form or, as older projects hold it, a pickle of
  plain data (Jam.py unpickles any text that is not ``json``: a pickle naming a class or
  function would run code), and a lookup list a JSON list of [value, text] pairs (never
  empty: Jam.py parses every list);
- references: owners, parents, detail tables, copies, key and lookup fields (a lookup
  item is a catalog, journal or table, as the Builder offers them), lookup lists,
  master and calculated fields, indexes' fields, filters, report parameters, privileges'
  roles and items, the history and locks items;
- uniqueness: item names (details: per master), field names per item, table names and
  column names per table, index names per database (per table where the database scopes
  them so);
- what Jam.py's Builder enforces when it creates them: names are identifiers (a letter or
  ``_``, then letters, digits, ``_``), a TEXT field has a size, its reserved words (7.0's
  ``jam/keywords.py``; SYSTEM and HISTORY only for the items Jam.py names so), and names
  within the target database's length.

Rows marked deleted are left out, as Jam.py's export leaves them out; a row's ``deleted``
is 0 or 1 (Jam.py reads the rows whose DELETED = 0: a NULL hides the row from it, not
from the import).
"""
import io
import json
import pickle
import re
import warnings

from ..db.dialects.base import Dialect
from ..db.registry import DIALECTS
from ..errors import InvalidMetadataError
from ..jam import defs as j
from ..jam import installed
from ..jam.layouts import LAYOUTS, installed_layout
from ..schema.derive import column_fields_by_owner, owns_table, table_fields

# Metadata of a project without a database yet: no database's limits apply.
_NO_DATABASE = Dialect()
# The most problems one message lists.
MAX_LISTED = 40

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ITEM_TYPES = frozenset(range(j.ROOT_TYPE, j.DETAIL_TYPE + 1))
_DATA_TYPES = frozenset(range(j.TEXT, j.IMAGE + 1))
# Item types whose name the Builder checks as an identifier (the four system roots of
# the template are named by Jam.py itself).
_NAMED_TYPES = frozenset(range(j.TASK_TYPE, j.DETAIL_TYPE + 1))
# The names the Builder keeps for the items it creates itself: the system group and
# the history item.
_SYSTEM_NAMES = frozenset({"SYSTEM", "HISTORY"})
# A lookup field's field of its lookup item, and of the items that one looks up.
_LOOKUP_CHAIN = ("f_object_field", "f_object_field1", "f_object_field2")
# SYS_ITEMS fields that hold the ID of one of the item's own fields.
_ITEM_FIELD_REFS = ("f_primary_key", "f_deleted_flag", "f_master_id", "f_master_rec_id",
                    "f_record_version")
_FLAGS = {
    "sys_items": ("f_visible", "f_soft_delete", "f_virtual_table", "f_js_external",
                  "f_keep_history", "f_edit_lock", "f_select_all", "f_master_applies"),
    "sys_fields": ("f_required", "f_read_only", "f_multi_select", "f_multi_select_all",
                   "f_enable_typehead", "f_calculated"),
    "sys_indices": ("f_unique_index", "f_foreign_index", "descending"),
    "sys_privileges": ("f_can_view", "f_can_create", "f_can_edit", "f_can_delete"),
    "sys_field_privileges": ("f_prohibited", "f_read_only"),
}
# The LONGTEXT fields of Jam.py's admin items (BLOB columns of its admin.sqlite: a number
# stays a number, and Jam.py's task load fails on it), the same in 5.4 and 7.0.
_TEXTS = {
    "sys_items": ("f_server_module", "f_web_client_module", "f_js_funcs", "f_info"),
    "sys_fields": ("f_help",),
    "sys_filters": ("f_help",),
    "sys_report_params": ("f_help",),
    "sys_lookup_lists": ("f_lookup_values_text",),
}
# F_INFO in the form Jam.py writes it: "json" and an object of these lists (view and edit
# are objects since 5.4's form designer).
_INFO_PREFIX = "json"
_INFO_KEYS = {"view": (list, dict), "edit": (list, dict), "order": (list,)}
# Texts Jam.py parses whatever they hold (json.loads of every lookup list).
_REQUIRED_TEXTS = frozenset({"f_lookup_values_text"})


def validate_metadata(metadata, db_type=None, keywords=None, what="the metadata"):
    """Raise InvalidMetadataError listing every problem of ``metadata`` for a database of
    ``db_type`` (its own by default); ``keywords``: the reserved names (by default those
    of the installed Jam.py when it has the metadata's layout)."""
    problems = find_problems(metadata, db_type, keywords)
    if problems:
        listed = problems[:MAX_LISTED]
        more = len(problems) - len(listed)
        raise InvalidMetadataError(
            f"{what} is not valid Jam.py metadata ({len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''}; nothing was changed):\n- "
            + "\n- ".join(listed)
            + (f"\n- ... and {more} more" if more else "")
            + "\nCorrect them in the Application Builder of the development project and "
              "export again.")


def find_problems(metadata, db_type=None, keywords=None):
    """Every problem of ``metadata`` as a sentence naming the row (empty: valid)."""
    dialect = DIALECTS.get(db_type or metadata.db_type, _NO_DATABASE)
    check = _Check(metadata, dialect,
                   _reserved(metadata) if keywords is None else keywords)
    check.deleted_marks()
    check.items()
    check.fields()
    check.tables()
    check.indices()
    check.filters_and_params()
    check.privileges()
    check.params()
    check.texts()
    return check.problems


def _reserved(metadata):
    jam = installed.resolve(installed.THIS_PYTHON)
    if installed_layout(jam) != metadata.layout:
        return frozenset()
    return jam.keywords()


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _live(table):
    return {row_id: row for row_id, row in table.rows.items() if not row.get("deleted")}


class _Check:
    def __init__(self, metadata, dialect, keywords):
        self.metadata = metadata
        self.layout = LAYOUTS[metadata.layout]
        self.dialect = dialect
        self.keywords = frozenset(k.upper() for k in keywords)
        self.problems = []
        tables = metadata.tables
        self.rows = {name: _live(table) for name, table in tables.items()}
        self.item_rows = self.rows["sys_items"]
        self.field_rows = self.rows["sys_fields"]

    # -- naming rows -----------------------------------------------------------------
    def item(self, item_id):
        # A row marked deleted is named too (when its mark is the problem).
        row = self.metadata.tables["sys_items"].rows.get(item_id) or {}
        return f"item {row.get('f_name')!r} ({row.get('f_item_name')}, id {item_id})"

    def field(self, row):
        return (f"field {row.get('f_name')!r} ({row.get('f_field_name')}, id {row['id']}) "
                f"of {self.item(row.get('owner_rec_id'))}")

    def row(self, name, row_id, row):
        """A row of the admin item ``name`` as the messages name it."""
        owner = f"of {self.item(row.get('owner_rec_id'))}"
        if name == "sys_items":
            return self.item(row_id)
        if name == "sys_fields":
            return self.field(row)
        if name == "sys_indices":
            return f"index {row.get('f_index_name')!r:.80} (id {row_id}) {owner}"
        if name == "sys_filters":
            return f"filter {row.get('f_name')!r} (id {row_id}) {owner}"
        if name == "sys_report_params":
            return (f"report parameter {row.get('f_name')!r} ({row.get('f_param_name')}, "
                    f"id {row_id}) {owner}")
        if name == "sys_lookup_lists":
            return f"lookup list {row.get('f_name')!r} (id {row_id})"
        if name == "sys_privileges":
            return f"privilege id {row_id}"
        if name == "sys_field_privileges":
            return f"field privilege id {row_id}"
        if name == "sys_params":
            return f"project parameters (id {row_id})"
        return f"{name} row id {row_id}"

    def add(self, where, problem):
        self.problems.append(f"{where}: {problem}")

    # -- value rules -----------------------------------------------------------------
    def flags(self, name, row, where):
        for flag in _FLAGS.get(name, ()):
            if row.get(flag) not in (None, True, False, 0, 1):
                self.add(where, f"{flag} is {row[flag]!r:.40}, not a yes/no flag (0 or 1)")

    def identifier(self, where, label, value, required=True, length=True):
        if value in (None, ""):
            if required:
                self.add(where, f"{label} is empty")
            return False
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            self.add(where, f"{label} {value!r:.80} is not a name Jam.py's Builder accepts "
                            "(a letter or _, then letters, digits or _)")
            return False
        limit = self.dialect.max_identifier_length
        if length and limit and len(value) > limit:
            self.add(where, f"{label} {value!r} is {len(value)} characters long; "
                            f"{self.dialect.name} takes at most {limit}")
        return True

    def reference(self, where, label, value, rows, kind, optional=True):
        """``value`` must be the ID of a row of ``rows`` (0 or None: none, if optional)."""
        if value in (None, 0) and optional:
            return None
        if not _is_int(value) or value not in rows:
            self.add(where, f"{label} {value!r:.40} is not the id of an existing {kind}")
            return None
        return rows[value]

    def lookup_item(self, where, row):
        """The item ``row``'s f_object looks up: one the Builder offers as a lookup item."""
        lookup = self.reference(where, "f_object", row.get("f_object"), self.item_rows, "item")
        # The Builder offers catalogs, journals and tables (5.4.136 and 7.0.120
        # jam/js/admin.js: type_id__in ITEM_TYPE, TABLE_TYPE); another item breaks the
        # task load.
        if lookup is not None and lookup.get("type_id") not in j.TABLE_ITEM_TYPES:
            self.add(where, f"f_object {lookup['id']} is {self.item(lookup['id'])}, not an "
                            "item with records of its own (a catalog, journal or table)")
            return None
        return lookup

    def owned_field(self, where, label, field_id, item_id):
        """``field_id`` must be a field of the item ``item_id`` (5.4: or of its group)."""
        row = self.reference(where, label, field_id, self.field_rows, "field")
        if row is not None and row.get("owner_rec_id") not in self._owners(item_id):
            self.add(where, f"{label} {field_id} is {self.field(row)}, not one of "
                            f"{self.item(item_id)}")
        return row

    def _owners(self, item_id):
        owners = {item_id}
        item = self.item_rows.get(item_id) or {}
        if self.layout.group_fields and item.get("parent"):
            owners.add(item["parent"])
        if self.layout.item_copies and item.get("f_copy_of"):
            owners.add(item["f_copy_of"])
        return owners

    # -- items -------------------------------------------------------------------------
    def items(self):
        names, detail_names = {}, {}
        # The system group is named by Jam.py too (SYS_PARAMS F_SYS_GROUP).
        system_groups = {row.get("f_sys_group") for row in self.rows["sys_params"].values()}
        for item_id, row in self.item_rows.items():
            where = self.item(item_id)
            type_id = row.get("type_id")
            self.flags("sys_items", row, where)
            if type_id not in _ITEM_TYPES:
                self.add(where, f"type_id {type_id!r:.40} is not a Jam.py item type")
                continue
            if type_id > j.ROOT_TYPE:
                self.reference(where, "parent", row.get("parent"), self.item_rows, "item",
                               optional=False)
            if type_id == j.DETAIL_TYPE:
                self.reference(where, "table_id", row.get("table_id"), self.item_rows, "item",
                               optional=False)
            if self.layout.item_copies:
                self.reference(where, "f_copy_of", row.get("f_copy_of"), self.item_rows, "item")
            for ref in _ITEM_FIELD_REFS:
                self.owned_field(where, ref, row.get(ref), item_id)
            if self.layout.item_copies and row.get("f_master_field"):
                self.owned_field(where, "f_master_field", row["f_master_field"],
                                 row.get("table_id"))
            if row.get("sys_id") not in (None, 0, j.HISTORY_SYS_ID, j.LOCKS_SYS_ID):
                self.add(where, f"sys_id {row['sys_id']!r:.40} is not one Jam.py sets")
            if type_id in _NAMED_TYPES:
                self._item_name(where, row, names, detail_names, system_groups)

    def _item_name(self, where, row, names, detail_names, system_groups):
        name = row.get("f_item_name")
        if not self.identifier(where, "f_item_name", name, length=False):
            return
        upper = name.upper()
        if upper in self.keywords:
            self.add(where, f"f_item_name {name!r} is a word Jam.py reserves")
        if upper in _SYSTEM_NAMES and not (row.get("sys_id") or row["id"] in system_groups):
            self.add(where, f"f_item_name {name!r} is reserved for the item Jam.py "
                            "creates with that name")
        if row.get("type_id") == j.DETAIL_TYPE:
            seen = detail_names.setdefault(row.get("parent"), {})
        else:
            seen = names
        if upper in seen:
            self.add(where, f"f_item_name {name!r} is also the name of {self.item(seen[upper])}")
        else:
            seen[upper] = row["id"]

    # -- fields --------------------------------------------------------------------------
    def fields(self):
        names = {}
        lookup_lists = self.rows["sys_lookup_lists"]
        for field_id, row in self.field_rows.items():
            where = self.field(row)
            self.flags("sys_fields", row, where)
            owner = self.reference(where, "owner_rec_id", row.get("owner_rec_id"),
                                   self.item_rows, "item", optional=False)
            name = row.get("f_field_name")
            if self.identifier(where, "f_field_name", name, length=False) and owner:
                if name.upper() in self.keywords:
                    self.add(where, f"f_field_name {name!r} is a word Jam.py reserves")
                seen = names.setdefault(row["owner_rec_id"], {})
                if name in seen:
                    self.add(where, f"f_field_name {name!r} is also the name of "
                                    f"{self.field(self.field_rows[seen[name]])}")
                seen[name] = field_id
            self._data_type(where, row, "f_data_type", "f_size")
            lookup = self.lookup_item(where, row)
            if lookup is not None:
                self._lookup_chain(where, row)
            elif not row.get("f_object"):
                # Jam.py takes a field with a lookup field for a lookup field.
                for ref in _LOOKUP_CHAIN:
                    if row.get(ref):
                        self.add(where, f"{ref} is {row[ref]!r:.40}, but the field has no "
                                        "lookup item (f_object)")
            self.reference(where, "f_lookup_values", row.get("f_lookup_values"),
                           lookup_lists, "lookup list")
            if row.get("f_master_field"):
                self.owned_field(where, "f_master_field", row["f_master_field"],
                                 row.get("owner_rec_id"))
            if self.layout.calculated_fields and row.get("f_calc_item"):
                calc = self.reference(where, "f_calc_item", row["f_calc_item"], self.item_rows,
                                      "item")
                if calc is not None:
                    self.owned_field(where, "f_calc_field", row.get("f_calc_field"), calc["id"])

    def _data_type(self, where, row, type_field, size_field, column=True):
        """A known data type; a whole size, for a TEXT column positive and within what
        the database's text column holds (report parameters have no column)."""
        data_type, size = row.get(type_field), row.get(size_field)
        if data_type not in _DATA_TYPES or not _is_int(data_type):
            self.add(where, f"{type_field} {data_type!r:.40} is not a Jam.py data type "
                            f"({j.TEXT}-{j.IMAGE})")
            return
        if size is not None and not _is_int(size):
            self.add(where, f"{size_field} {size!r:.40} is not a whole number")
        elif data_type == j.TEXT and column:
            limit = self.dialect.max_text_size
            if not size or size < 0:
                self.add(where, f"a TEXT field needs a positive {size_field}, not {size!r}")
            elif limit and size > limit:
                self.add(where, f"{size_field} {size} is above the {limit} characters a "
                                f"{self.dialect.name} text column holds")

    def _lookup_chain(self, where, row):
        # F_OBJECT_FIELD is a field of the lookup item, F_OBJECT_FIELD1 of the item that
        # field looks up, F_OBJECT_FIELD2 of the next one.
        item_id = row["f_object"]
        for ref in _LOOKUP_CHAIN:
            if not row.get(ref):
                return
            target = self.owned_field(where, ref, row[ref], item_id)
            if target is None or not target.get("f_object"):
                return
            item_id = target["f_object"]

    # -- tables and columns ------------------------------------------------------------
    def tables(self):
        tables = {}
        by_owner = column_fields_by_owner(self.metadata)
        for item_id, item in self.item_rows.items():
            if not owns_table(self.layout, item):
                continue
            where = self.item(item_id)
            table = item.get("f_table_name")
            if not self.identifier(where, "f_table_name", table):
                continue
            if table.upper() in tables:
                self.add(where, f"table {table} is also the table of "
                                f"{self.item(tables[table.upper()])}")
            tables[table.upper()] = item_id
            if item.get("f_gen_name"):
                self.identifier(where, "f_gen_name", item["f_gen_name"])
            columns = {}
            for row in table_fields(self.metadata, item, by_owner):
                if row.get("deleted"):
                    continue
                column = row.get("f_db_field_name")
                if not self.identifier(self.field(row), "f_db_field_name", column):
                    continue
                other = columns.get(column.upper())
                if other is not None:
                    self.add(self.field(row), f"column {column} of table {table} is also "
                                              f"the column of {self.field(other)}")
                columns[column.upper()] = row

    # -- indexes -----------------------------------------------------------------------
    def indices(self):
        names = {}
        per_table = self.dialect.index_names_per_table
        for index_id, row in self.rows["sys_indices"].items():
            name = row.get("f_index_name")
            owner_id = row.get("owner_rec_id")
            where = self.row("sys_indices", index_id, row)
            self.flags("sys_indices", row, where)
            owner = self.reference(where, "owner_rec_id", owner_id, self.item_rows, "item",
                                   optional=False)
            if self.identifier(where, "f_index_name", name):
                key = (owner_id if per_table else None, name.upper())
                if key in names:
                    self.add(where, f"index name {name} is also used by index id {names[key]}")
                names[key] = index_id
            if owner is None:
                continue
            if row.get("f_foreign_index"):
                field = self.owned_field(where, "f_foreign_field", row.get("f_foreign_field"),
                                         owner_id)
                if field is not None and not field.get("f_object"):
                    self.add(where, f"f_foreign_field {field['id']} is {self.field(field)}, "
                                    "which is not a lookup field")
                if row.get("f_foreign_field") in (None, 0):
                    self.add(where, "a foreign key index needs f_foreign_field")
            else:
                self._index_fields(where, row, owner_id)

    def _index_fields(self, where, row, owner_id):
        text = row.get("f_fields_list")
        try:
            entries = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            entries = None
        if not isinstance(entries, list) or not entries or not all(
                isinstance(e, list) and len(e) == 2 and _is_int(e[0])
                and e[1] in (True, False, 0, 1) for e in entries):
            self.add(where, f"f_fields_list {text!r:.80} is not Jam.py's JSON list of "
                            "[field id, descending] pairs")
            return
        for field_id, _desc in entries:
            self.owned_field(where, "f_fields_list field", field_id, owner_id)

    # -- filters, report parameters, privileges, parameters ---------------------------
    def filters_and_params(self):
        for filter_id, row in self.rows["sys_filters"].items():
            where = self.row("sys_filters", filter_id, row)
            if self.reference(where, "owner_rec_id", row.get("owner_rec_id"), self.item_rows,
                              "item", optional=False):
                self.owned_field(where, "f_field", row.get("f_field"), row["owner_rec_id"])
        for param_id, row in self.rows["sys_report_params"].items():
            where = self.row("sys_report_params", param_id, row)
            self.reference(where, "owner_rec_id", row.get("owner_rec_id"), self.item_rows,
                           "item", optional=False)
            self.identifier(where, "f_param_name", row.get("f_param_name"), length=False)
            self._data_type(where, row, "f_data_type", "f_size", column=False)
            if self.lookup_item(where, row):
                self.owned_field(where, "f_object_field", row.get("f_object_field"),
                                 row["f_object"])

    def privileges(self):
        roles = self.rows["sys_roles"]
        for privilege_id, row in self.rows["sys_privileges"].items():
            where = self.row("sys_privileges", privilege_id, row)
            self.flags("sys_privileges", row, where)
            self.reference(where, "owner_rec_id (role)", row.get("owner_rec_id"), roles,
                           "role", optional=False)
            # Jam.py keeps the privileges of an item it deletes (all three demos have
            # such rows): an item that is gone is no error, an ID that is no number is.
            if not _is_int(row.get("item_id")):
                self.add(where, f"item_id {row.get('item_id')!r:.40} is not an item id")
        for privilege_id, row in self.rows.get("sys_field_privileges", {}).items():
            where = self.row("sys_field_privileges", privilege_id, row)
            self.flags("sys_field_privileges", row, where)
            self.reference(where, "owner_rec_id (role)", row.get("owner_rec_id"), roles,
                           "role", optional=False)
            if self.reference(where, "item", row.get("item"), self.item_rows, "item",
                              optional=False):
                self.owned_field(where, "field", row.get("field"), row["item"])

    def params(self):
        for param_id, row in self.rows["sys_params"].items():
            where = self.row("sys_params", param_id, row)
            for ref in ("f_history_item", "f_lock_item", "f_sys_group"):
                self.reference(where, ref, row.get(ref), self.item_rows, "item")

    # -- the texts Jam.py reads when it loads the project -------------------------------
    def texts(self):
        for name, fields in _TEXTS.items():
            for row_id, row in self.rows.get(name, {}).items():
                where = self.row(name, row_id, row)
                for field in fields:
                    value = row.get(field)
                    if value is None and field in _REQUIRED_TEXTS:
                        self.add(where, f"{field} is empty")
                    elif value is not None and not isinstance(value, str):
                        self.add(where, f"{field} is {value!r:.40}, not text")
                    elif value and field in _TEXT_RULES:
                        problem = _TEXT_RULES[field](value)
                        if problem:
                            self.add(where, f"{field} {problem}")

    def deleted_marks(self):
        for name, table in self.metadata.tables.items():
            for row_id, row in table.rows.items():
                if "deleted" in row and row["deleted"] not in (0, 1):
                    self.add(self.row(name, row_id, row),
                             f"deleted is {row['deleted']!r:.40}, not 0 or 1 (Jam.py reads "
                             "the rows whose deleted is 0)")


def _server_module_problem(code):
    # Compiled, never run: Jam.py runs it when it loads the task.
    try:
        with warnings.catch_warnings():  # Jam.py's own compile shows them, not ours
            warnings.simplefilter("ignore")
            compile(code, "f_server_module", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return f"is not Python that compiles (line {getattr(error, 'lineno', '?')}: " \
               f"{getattr(error, 'msg', error)})"
    return None


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles plain data only: a pickle that names a class or function is refused
    before anything of it is imported or called."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"it names {module}.{name}")


def _info_problem(text):
    if text.startswith(_INFO_PREFIX):
        try:
            lists = json.loads(text[len(_INFO_PREFIX):])
        except ValueError:
            lists = None
    else:
        # How Jam.py reads the layouts of older projects (to_bytes, pickle.loads).
        try:
            lists = _PlainUnpickler(io.BytesIO(text.encode("utf-8"))).load()
        except Exception as error:  # a malformed pickle raises many kinds
            return (f"{text!r:.60} is neither the item's form layout as Jam.py writes it "
                    "(\"json\" and an object) nor a pickle of plain data, which Jam.py "
                    f"would unpickle ({error})")
    if not isinstance(lists, dict) or not all(
            isinstance(lists.get(key), kinds) for key, kinds in _INFO_KEYS.items()) \
            or not isinstance(lists.get("reports", []), list):
        return (f"{text!r:.60} is not the item's form layout as Jam.py writes it (\"json\" "
                "and an object with view, edit and order)")
    return None


def _lookup_values_problem(text):
    try:
        pairs = json.loads(text)
    except ValueError:
        pairs = None
    if not isinstance(pairs, list) or not all(
            isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        return f"{text!r:.60} is not a JSON list of [value, text] pairs"
    return None


_TEXT_RULES = {
    "f_server_module": _server_module_problem,
    "f_info": _info_problem,
    "f_lookup_values_text": _lookup_values_problem,
}
