"""The physical schema a running Jam.py expects in the project database.

``schema_from_metadata`` derives it from Metadata alone (facts §4.5–4.8), so it can be
compared with another Metadata's schema (the import plan) and with the live database
reflected by ``reflect`` (drift). Types are canonical text: upper case, as Jam.py writes
them, with the spellings of reflection folded in by ``canonical_type``.
"""
import json
import re
from dataclasses import dataclass, field
from typing import Optional

from . import jamdefs as j

# Column types Jam.py 5.4 creates, per database ("(n)" is added to TEXT when size > 0).
_TYPES_54 = {
    j.SQLITE: {j.TEXT: "TEXT", j.INTEGER: "INTEGER", j.FLOAT: "REAL", j.CURRENCY: "REAL",
               j.DATE: "TEXT", j.DATETIME: "TEXT", j.BOOLEAN: "INTEGER", j.LONGTEXT: "TEXT",
               j.KEYS: "TEXT", j.FILE: "TEXT", j.IMAGE: "TEXT"},
    j.FIREBIRD: {j.TEXT: "VARCHAR", j.INTEGER: "INTEGER", j.FLOAT: "DOUBLE PRECISION",
                 j.CURRENCY: "DOUBLE PRECISION", j.DATE: "DATE", j.DATETIME: "TIMESTAMP",
                 j.BOOLEAN: "INTEGER", j.LONGTEXT: "BLOB", j.KEYS: "BLOB",
                 j.FILE: "VARCHAR(522)", j.IMAGE: "VARCHAR(522)"},
    j.POSTGRESQL: {j.TEXT: "VARCHAR", j.INTEGER: "INTEGER", j.FLOAT: "NUMERIC",
                   j.CURRENCY: "NUMERIC", j.DATE: "DATE", j.DATETIME: "TIMESTAMP",
                   j.BOOLEAN: "INTEGER", j.LONGTEXT: "TEXT", j.KEYS: "TEXT", j.FILE: "TEXT",
                   j.IMAGE: "TEXT"},
    j.MYSQL: {j.TEXT: "VARCHAR", j.INTEGER: "INTEGER", j.FLOAT: "DOUBLE", j.CURRENCY: "DOUBLE",
              j.DATE: "DATE", j.DATETIME: "DATETIME", j.BOOLEAN: "INTEGER",
              j.LONGTEXT: "LONGTEXT", j.KEYS: "LONGTEXT", j.FILE: "LONGTEXT",
              j.IMAGE: "LONGTEXT"},
    j.ORACLE: {j.TEXT: "VARCHAR2", j.INTEGER: "NUMBER", j.FLOAT: "DOUBLE PRECISION",
               j.CURRENCY: "DOUBLE PRECISION", j.DATE: "DATE", j.DATETIME: "TIMESTAMP",
               j.BOOLEAN: "NUMBER", j.LONGTEXT: "CLOB", j.KEYS: "CLOB", j.FILE: "CLOB",
               j.IMAGE: "CLOB"},
    j.MSSQL: {j.TEXT: "NVARCHAR", j.INTEGER: "INTEGER", j.FLOAT: "FLOAT", j.CURRENCY: "FLOAT",
              j.DATE: "DATE", j.DATETIME: "DATETIME", j.BOOLEAN: "INTEGER",
              j.LONGTEXT: "NVARCHAR(MAX)", j.KEYS: "NVARCHAR(MAX)", j.FILE: "NVARCHAR(MAX)",
              j.IMAGE: "NVARCHAR(MAX)"},
}


def _types_70():
    types = {db: dict(mapping) for db, mapping in _TYPES_54.items()}
    types[j.POSTGRESQL][j.TEXT] = "TEXT"
    types[j.MYSQL].update({j.KEYS: "TEXT", j.FILE: "VARCHAR(512)", j.IMAGE: "VARCHAR(256)"})
    types[j.FIREBIRD].update({j.FILE: "VARCHAR(512)", j.IMAGE: "VARCHAR(256)"})
    types[j.ORACLE].update({j.FILE: "VARCHAR2(256)", j.IMAGE: "VARCHAR2(512)"})
    types[j.MSSQL].update({j.FILE: "NVARCHAR(512)", j.IMAGE: "NVARCHAR(256)"})
    return types


COLUMN_TYPES = {j.LAYOUT_54: _TYPES_54, j.LAYOUT_70: _types_70()}
_SIZED = ("VARCHAR", "VARCHAR2", "NVARCHAR")


def column_type(layout, db_type, data_type, size):
    """The canonical column type Jam.py creates for a field."""
    base = COLUMN_TYPES[layout][db_type][data_type]
    if data_type == j.TEXT and base in _SIZED and size:
        return f"{base}({int(size)})"
    return base


_SYNONYMS = (
    # MySQL/MariaDB: INT is reflected as INTEGER(11) (a display width, not a size).
    (re.compile(r"^(INT|INTEGER|BIGINT|SMALLINT|MEDIUMINT|TINYINT)\(\d+\)"), lambda m: m.group(1)),
    (re.compile(r"^INT$"), lambda m: "INTEGER"),
    # PostgreSQL's own spellings of what Jam.py writes as VARCHAR(n) and TIMESTAMP.
    (re.compile(r"^CHARACTER VARYING"), lambda m: "VARCHAR"),
    (re.compile(r"^TIMESTAMP WITHOUT TIME ZONE$"), lambda m: "TIMESTAMP"),
    # From the databases' documentation (not run here): Oracle's length semantics and
    # SQL Server's default FLOAT precision are spelled out by their catalogs.
    (re.compile(r"^(N?VARCHAR2\(\d+) (CHAR|BYTE)\)$"), lambda m: m.group(1) + ")"),
    (re.compile(r"^FLOAT\(53\)$"), lambda m: "FLOAT"),
)


def canonical_type(text):
    """Fold spellings of one type into one: 'int(11)' → 'INTEGER', 'character varying(5)' →
    'VARCHAR(5)', collation and charset clauses dropped."""
    text = re.sub(r"\s+(COLLATE|CHARACTER SET)\s+\S+", "", str(text).upper()).strip()
    for pattern, repl in _SYNONYMS:
        text = pattern.sub(repl, text)
    return "INTEGER" if text == "INT" else text


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    primary_key: bool = False
    nullable: bool = True
    autoincrement: bool = False
    sequence: Optional[str] = None  # PostgreSQL 5.4: DEFAULT nextval of this sequence
    field_id: Optional[int] = field(default=None, compare=False)


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple  # ((column name, descending), ...)
    unique: bool = False
    index_id: Optional[int] = field(default=None, compare=False)


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple
    ref_table: str
    ref_columns: tuple
    index_id: Optional[int] = field(default=None, compare=False)


@dataclass
class Table:
    name: str
    columns: list
    indexes: list = field(default_factory=list)
    foreign_keys: list = field(default_factory=list)
    item_id: Optional[int] = None

    def column(self, name):
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Schema:
    db_type: int
    tables: dict  # {table name: Table}
    sequences: set = field(default_factory=set)


def column_fields_by_owner(metadata):
    """{owner item ID: field rows that are columns, in ID order}.

    Fields sharing the column of another field (F_MASTER_FIELD) have none of their own,
    nor have 7.0 calculated fields (the Builder creates no column for them).
    """
    by_owner = {}
    for row in metadata.fields.values():
        if row.get("f_master_field"):
            continue
        if metadata.layout == j.LAYOUT_70 and row.get("f_calc_item"):
            continue
        by_owner.setdefault(row.get("owner_rec_id"), []).append(row)
    return by_owner


def table_fields(metadata, item, by_owner):
    """Column field rows of an item's table, in ID order; 5.4 items inherit their group's
    common fields (ID, DELETED, ...)."""
    rows = list(by_owner.get(item["id"], ()))
    if metadata.layout == j.LAYOUT_54 and item.get("parent"):
        rows.extend(by_owner.get(item["parent"], ()))
        rows.sort(key=lambda row: row["id"])
    return rows


def _owns_table(metadata, item):
    if item.get("type_id") not in j.TABLE_ITEM_TYPES or not item.get("f_table_name"):
        return False
    if item.get("f_virtual_table"):
        return False
    return not (metadata.layout == j.LAYOUT_70 and item.get("f_copy_of"))


def _index_columns(metadata, index, db_type):
    try:
        entries = json.loads(index.get("f_fields_list") or "[]")
    except ValueError:
        entries = []
    columns = []
    for entry in entries:
        field_row = metadata.fields.get(entry[0]) if isinstance(entry, list) and entry else None
        if field_row:
            desc = bool(index.get("descending")) if db_type == j.FIREBIRD else bool(entry[1])
            columns.append((field_row["f_db_field_name"], desc))
    return tuple(columns)


def schema_from_metadata(metadata, db_type=None):
    """The Schema Jam.py would create for ``metadata`` in a database of ``db_type``."""
    db_type = db_type or metadata.db_type
    layout = metadata.layout
    schema = Schema(db_type, {})
    by_item = {}
    by_owner = column_fields_by_owner(metadata)
    for item in metadata.items.values():
        if not _owns_table(metadata, item):
            continue
        columns = []
        pk_id = item.get("f_primary_key")
        for row in table_fields(metadata, item, by_owner):
            is_pk = bool(pk_id) and row["id"] == pk_id
            column = Column(
                name=row["f_db_field_name"],
                type=column_type(layout, db_type, row["f_data_type"], row.get("f_size")),
                primary_key=is_pk,
                nullable=_nullable(db_type, is_pk),
                field_id=row["id"],
                **_key_generation(layout, db_type, item, is_pk),
            )
            columns.append(column)
            if column.sequence:
                schema.sequences.add(column.sequence)
        if _separate_generator(layout, db_type) and pk_id and item.get("f_gen_name"):
            schema.sequences.add(item["f_gen_name"])
        table = Table(item["f_table_name"], columns, item_id=item["id"])
        schema.tables[table.name] = table
        by_item[item["id"]] = table
    for index in metadata.indices.values():
        table = by_item.get(index.get("owner_rec_id"))
        if table is None:
            continue
        if index.get("f_foreign_index"):
            fk = _foreign_key(metadata, index, db_type)
            if fk:
                table.foreign_keys.append(fk)
        else:
            columns = _index_columns(metadata, index, db_type)
            if columns:
                table.indexes.append(Index(index["f_index_name"], columns,
                                           bool(index.get("f_unique_index")), index["id"]))
    return schema


def _key_generation(layout, db_type, item, is_pk):
    if not is_pk:
        return {}
    if db_type in (j.MYSQL, j.MSSQL) or (db_type == j.POSTGRESQL and layout == j.LAYOUT_70):
        return {"autoincrement": True}
    if db_type == j.POSTGRESQL and item.get("f_gen_name"):
        return {"sequence": item["f_gen_name"]}
    return {}


def _separate_generator(layout, db_type):
    """Databases where Jam.py creates a stand-alone sequence (no column default)."""
    return db_type in (j.FIREBIRD, j.ORACLE)


def _nullable(db_type, is_pk):
    """Jam.py declares no column NOT NULL; a primary key is NOT NULL by itself except on
    SQLite, where Jam.py's ``"ID" INTEGER PRIMARY KEY`` is declared nullable (the catalog
    says so; as the rowid alias it never holds NULL)."""
    return not is_pk or db_type == j.SQLITE


def _foreign_key(metadata, index, db_type):
    key_field = metadata.fields.get(index.get("f_foreign_field"))
    if not key_field:
        return None
    ref_item = metadata.items.get(key_field.get("f_object"))
    if not ref_item or not ref_item.get("f_table_name"):
        return None
    ref_pk = metadata.fields.get(ref_item.get("f_primary_key"))
    if not ref_pk:
        return None
    # SQLite: Jam.py declares foreign keys inline in CREATE TABLE, without a name.
    name = None if db_type == j.SQLITE else index["f_index_name"]
    return ForeignKey(name, (key_field["f_db_field_name"],),
                      ref_item["f_table_name"], (ref_pk["f_db_field_name"],), index["id"])


def describe_schema(schema):
    """The schema as readable text, one table after another (for --diff)."""
    lines = []
    for name in sorted(schema.tables):
        table = schema.tables[name]
        lines.append(f"table {name}")
        for c in table.columns:
            extras = [" PRIMARY KEY" if c.primary_key else "",
                      " AUTO_INCREMENT" if c.autoincrement else "",
                      f" DEFAULT nextval({c.sequence})" if c.sequence else ""]
            lines.append(f"  {c.name} {c.type}{''.join(extras)}")
        for i in sorted(table.indexes, key=lambda i: i.name):
            cols = ", ".join(n + (" DESC" if d else "") for n, d in i.columns)
            lines.append(f"  {'unique ' if i.unique else ''}index {i.name} ({cols})")
        for fk in sorted(table.foreign_keys, key=lambda f: f.name or ""):
            lines.append(f"  foreign key {fk.name} ({', '.join(fk.columns)}) references "
                         f"{fk.ref_table} ({', '.join(fk.ref_columns)})")
    for seq in sorted(schema.sequences):
        lines.append(f"sequence {seq}")
    return "\n".join(lines) + "\n"
