"""Archive metadata made ready for one target project, the way Jam.py's import reads it.

- Identifiers take the target database's case when the archive comes from another
  database type (facts §4.5), and an index-level DESC flag (Firebird) is translated.
- Hidden fields keep the target's values for existing rows and are empty for new rows
  (facts §4.4); new items on databases with generators get ``<TABLE>_SEQ`` (facts §4.6).
- Only fields the target's admin tables know are kept (Jam.py drops unknown file fields).
"""
import json

from ..db.registry import dialect_for
from ..errors import JamDeployError
from ..jam import defs as j
from ..jam.layouts import LAYOUTS
from ..jam.metadata import AdminTable, Metadata


def check_layouts(current, archived):
    """Refuse an archive of another Jam.py version than the project's."""
    if current.layout != archived.layout:
        raise JamDeployError(
            f"the archive holds Jam.py {archived.layout} metadata but the project is a Jam.py "
            f"{current.layout} project; export it again with the Jam.py version the project "
            "runs (Jam.py cannot import across these versions either)")


def prepare(archived, current, target_db_type):
    """The admin rows the target should hold after importing ``archived`` into the project
    whose metadata is ``current``, on a ``target_db_type`` database."""
    check_layouts(current, archived)
    source, target_dialect = dialect_for(archived.db_type), dialect_for(target_db_type)
    tables = {}
    for name, table in archived.tables.items():
        target = current.tables.get(name)
        known = target.fields if target is not None else table.fields
        fields = [f for f in table.fields if f in known]
        rows = {row_id: {f: row.get(f) for f in fields} for row_id, row in table.rows.items()}
        if source is not target_dialect:
            _convert_identifiers(name, rows, target_dialect)
        _keep_hidden(name, rows, target)
        tables[name] = AdminTable(name, _with_hidden(name, fields, known), rows)
    if source.index_level_descending != target_dialect.index_level_descending:
        _convert_index_descending(tables["sys_indices"].rows, target_dialect)
    _assign_generators(tables["sys_items"].rows, current, target_dialect)
    _keep_self_maintained_params(tables, current)
    return Metadata(target_db_type, archived.layout, tables)


def _keep_self_maintained_params(tables, current):
    """SYS_PARAMS values a running Jam.py rewrites at every start: F_JAM_VERSION (its own
    version) and F_FIELD_ID_GEN (reset to the highest field ID). Copying them, as Jam.py's
    import does, would make every import after a restart a change; the target keeps them
    (the field ID counter only while it covers the imported fields)."""
    new, old = tables["sys_params"].rows, current.tables["sys_params"].rows
    highest = max(tables["sys_fields"].rows, default=0)
    for row_id, row in new.items():
        existing = old.get(row_id)
        if not existing:
            continue
        if "f_jam_version" in row and existing.get("f_jam_version"):
            row["f_jam_version"] = existing["f_jam_version"]
        counter = existing.get("f_field_id_gen")
        if "f_field_id_gen" in row and isinstance(counter, int) and counter >= highest:
            row["f_field_id_gen"] = counter


def _with_hidden(name, fields, known):
    hidden = [f for f in j.HIDDEN_FIELDS.get(name, ()) if f in known and f not in fields]
    return list(fields) + sorted(hidden)


def _convert_identifiers(name, rows, dialect):
    # Jam.py reads a NULL text field as '' and writes the converted value back.
    for field in j.IDENTIFIER_FIELDS.get(name, ()):
        for row in rows.values():
            if field in row:
                row[field] = dialect.identifier_case(row[field] or "")


def _keep_hidden(name, rows, target):
    hidden = j.HIDDEN_FIELDS.get(name, ())
    for row_id, row in rows.items():
        existing = target.rows.get(row_id) if target is not None else None
        for field in hidden:
            if target is None or field in target.fields:
                row[field] = existing.get(field) if existing else None


def _convert_index_descending(rows, target_dialect):
    """Between one DESC flag per index (Firebird) and one per column (facts §4.5)."""
    for row in rows.values():
        try:
            entries = json.loads(row.get("f_fields_list") or "null")
        except ValueError:
            continue
        if not entries:
            continue
        if target_dialect.index_level_descending:
            desc = bool(row.get("descending"))
            entries = [[entry[0], desc] for entry in entries]
        else:
            row["descending"] = entries[0][1]
        row["f_fields_list"] = json.dumps(entries)


def _assign_generators(items, current, dialect):
    """New items on a database with generators get Jam.py's generator name (facts §4.8)."""
    if not dialect.needs_generator(current.layout):
        return
    layout = LAYOUTS[current.layout]
    for item_id, row in items.items():
        if item_id in current.items or row.get("f_gen_name"):
            continue
        if not row.get("f_primary_key") or row.get("f_virtual_table"):
            continue
        name = layout.new_generator(row)
        if name:
            row["f_gen_name"] = dialect.identifier_case(name)
