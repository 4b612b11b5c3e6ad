"""The physical schema a running Jam.py expects in the project database.

``schema_from_metadata`` derives it from Metadata alone (facts §4.5–4.8), column
defaults of 7.0 included (``defaults.field_default``), so it can be
compared with another Metadata's schema (the import plan) and with the live database
reflected by ``reflect`` (drift). What depends on the database is the dialect's, what
depends on the Jam.py version the layout's.
"""
import json

from ..db.registry import dialect_for
from ..jam import defs as j
from ..jam.layouts import LAYOUTS
from .defaults import field_default
from .model import Column, ForeignKey, Index, Schema, Table


def column_fields_by_owner(metadata):
    """{owner item ID: field rows that are columns, in ID order}.

    Fields sharing the column of another field (F_MASTER_FIELD) have none of their own,
    nor have 7.0 calculated fields (the Builder creates no column for them).
    """
    calculated = LAYOUTS[metadata.layout].calculated_fields
    by_owner = {}
    for row in metadata.fields.values():
        if row.get("f_master_field") or (calculated and row.get("f_calc_item")):
            continue
        by_owner.setdefault(row.get("owner_rec_id"), []).append(row)
    return by_owner


def table_fields(metadata, item, by_owner):
    """Column field rows of an item's table, in ID order; 5.4 items inherit their group's
    common fields (ID, DELETED, ...)."""
    rows = list(by_owner.get(item["id"], ()))
    if LAYOUTS[metadata.layout].group_fields and item.get("parent"):
        rows.extend(by_owner.get(item["parent"], ()))
        rows.sort(key=lambda row: row["id"])
    return rows


def calculated_columns(metadata):
    """(TABLE, COLUMN) names, upper-cased, of the 7.0 calculated fields of items that own a
    table: the columns Jam.py 7's import creates for them (``migrate.omissions``)."""
    layout = LAYOUTS[metadata.layout]
    if not layout.calculated_fields:
        return frozenset()
    found = set()
    for row in metadata.fields.values():
        item = metadata.items.get(row.get("owner_rec_id"))
        if row.get("f_calc_item") and item and owns_table(layout, item):
            found.add((item["f_table_name"].upper(), (row.get("f_db_field_name") or "").upper()))
    return frozenset(found)


def copy_indexes(metadata):
    """(TABLE, INDEX) names, upper-cased, of the indexes defined on 7.0 item copies, on the
    table the copy shares with its source: the indexes Jam.py 7's import creates for a new
    copy while its Builder creates none (``migrate.omissions``)."""
    layout = LAYOUTS[metadata.layout]
    if not layout.item_copies:
        return frozenset()
    found = set()
    for index in metadata.indices.values():
        item = metadata.items.get(index.get("owner_rec_id"))
        if item and item.get("f_copy_of") and item.get("f_table_name") \
                and not index.get("f_foreign_index"):
            found.add((item["f_table_name"].upper(), (index.get("f_index_name") or "").upper()))
    return frozenset(found)


def owns_table(layout, item):
    """Whether ``item`` (a SYS_ITEMS row) has a table of its own in the project database."""
    if item.get("type_id") not in j.TABLE_ITEM_TYPES or not item.get("f_table_name"):
        return False
    if item.get("f_virtual_table"):
        return False
    return not (layout.item_copies and item.get("f_copy_of"))


def _index_columns(metadata, index, dialect):
    try:
        entries = json.loads(index.get("f_fields_list") or "[]")
    except ValueError:
        entries = []
    columns = []
    for entry in entries:
        field_row = metadata.fields.get(entry[0]) if isinstance(entry, list) and entry else None
        if field_row:
            desc = index.get("descending") if dialect.index_level_descending else entry[1]
            columns.append((field_row["f_db_field_name"], bool(desc)))
    return tuple(columns)


def schema_from_metadata(metadata, db_type=None):
    """The Schema Jam.py would create for ``metadata`` in a database of ``db_type`` (the
    metadata's own by default)."""
    db_type = db_type or metadata.db_type
    dialect = dialect_for(db_type)
    layout = LAYOUTS[metadata.layout]
    schema = Schema(db_type, {})
    by_item = {}
    by_owner = column_fields_by_owner(metadata)
    for item in metadata.items.values():
        if not owns_table(layout, item):
            continue
        columns = []
        pk_id = item.get("f_primary_key")
        for row in table_fields(metadata, item, by_owner):
            is_pk = bool(pk_id) and row["id"] == pk_id
            # A key draws its values from its generator, never from a default.
            default = field_default(row, item.get("f_item_name")) \
                if layout.column_defaults and not is_pk else None
            column = Column(
                name=row["f_db_field_name"],
                type=dialect.column_type(layout.name, row["f_data_type"], row.get("f_size")),
                primary_key=is_pk,
                # Jam.py declares no column NOT NULL; a primary key is NOT NULL by itself.
                nullable=not is_pk or dialect.primary_key_nullable,
                default=default,
                field_id=row["id"],
                **(dialect.key_generation(layout.name, item) if is_pk else {}),
            )
            columns.append(column)
            if column.sequence:
                schema.sequences.add(column.sequence)
        if dialect.separate_generator and pk_id and item.get("f_gen_name"):
            schema.sequences.add(item["f_gen_name"])
        table = Table(item["f_table_name"], columns, item_id=item["id"])
        schema.tables[table.name] = table
        by_item[item["id"]] = table
    for index in metadata.indices.values():
        table = by_item.get(index.get("owner_rec_id"))
        if table is None:
            continue
        if index.get("f_foreign_index"):
            fk = _foreign_key(metadata, index, dialect)
            if fk:
                table.foreign_keys.append(fk)
        else:
            columns = _index_columns(metadata, index, dialect)
            if columns:
                table.indexes.append(Index(index["f_index_name"], columns,
                                           bool(index.get("f_unique_index")), index["id"]))
    return schema


def _foreign_key(metadata, index, dialect):
    key_field = metadata.fields.get(index.get("f_foreign_field"))
    if not key_field:
        return None
    ref_item = metadata.items.get(key_field.get("f_object"))
    if not ref_item or not ref_item.get("f_table_name"):
        return None
    ref_pk = metadata.fields.get(ref_item.get("f_primary_key"))
    if not ref_pk:
        return None
    # Foreign keys declared inline in CREATE TABLE have no name.
    name = None if dialect.inline_foreign_keys else index["f_index_name"]
    return ForeignKey(name, (key_field["f_db_field_name"],),
                      ref_item["f_table_name"], (ref_pk["f_db_field_name"],), index["id"])
