"""The live project database as a ``model.Schema``.

``reflect_schema`` reads the database with SQLAlchemy's inspector and normalises what it
finds into the model ``derive.schema_from_metadata`` builds, so the two compare directly
(``compare``): canonical type text, the key generation Jam.py uses (MySQL AUTO_INCREMENT,
the PostgreSQL 5.4 ``DEFAULT nextval('<gen name>')``), column defaults as values
(``defaults.reflected``: casts, quotes and escapes of each database undone, numbers
normalised), descending index columns, and nothing the database adds by itself.
"""
from ..db.registry import dialect_for
from .defaults import reflected
from .model import Column, ForeignKey, Index, Schema, Table, canonical_type


def reflect_schema(bind, db_type):
    """The tables, indexes, foreign keys and sequences of a ``db_type`` database.

    ``bind`` is an Engine or a Connection (e.g. inside the transaction of an import).
    """
    from sqlalchemy.engine import Engine

    dialect = dialect_for(db_type)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _reflect(conn, dialect)
    return _reflect(bind, dialect)


def _reflect(conn, dialect):
    from sqlalchemy import inspect

    inspector = inspect(conn)
    schema_name = dialect.schema_name
    names = _Names(conn.dialect)
    result = Schema(dialect.code, {})
    sequences = {names(s) for s in _sequence_names(inspector, schema_name)}
    serial = set()
    for raw in inspector.get_table_names(schema=schema_name):
        table_name = names(raw)
        pk_constraint = inspector.get_pk_constraint(raw, schema=schema_name) or {}
        pk = {names(c) for c in pk_constraint.get("constrained_columns") or ()}
        columns = []
        defaults = dialect.column_defaults(conn, raw)
        for col in inspector.get_columns(raw, schema=schema_name):
            if defaults is not None:
                col = {**col, "default": defaults.get(col["name"])}
            column = _column(conn, dialect, names(col["name"]), col, pk)
            if column.sequence and \
                    column.sequence == dialect.implicit_sequence(table_name, column.name):
                # A SERIAL column (Jam.py 7.0): an implicit sequence, an auto-increment.
                serial.add(column.sequence)
                column = Column(column.name, column.type, column.primary_key,
                                column.nullable, autoincrement=True)
            columns.append(column)
        foreign_keys = [_foreign_key(names, fk)
                        for fk in inspector.get_foreign_keys(raw, schema=schema_name)]
        indexes = _indexes(conn, dialect, inspector, raw, names, foreign_keys,
                           pk_constraint.get("name"))
        result.tables[table_name] = Table(table_name, columns, indexes, foreign_keys)
    result.sequences = sequences - serial
    return result


class _Names:
    """Names as the database stores them. SQLAlchemy lower-cases the case-insensitive
    names of Oracle and Firebird (stored upper case, where Jam.py creates them quoted
    upper case); the dialect's own ``denormalize_name`` undoes that."""

    def __init__(self, dialect):
        self.dialect = dialect if getattr(dialect, "requires_name_normalize", False) else None

    def __call__(self, name):
        if self.dialect is None or name is None:
            return name
        return str(self.dialect.denormalize_name(name))


def _sequence_names(inspector, schema_name):
    if not inspector.dialect.supports_sequences:  # SQLite, MySQL
        return []
    return inspector.get_sequence_names(schema=schema_name)


def _type_text(conn, col_type):
    try:
        return canonical_type(col_type.compile(dialect=conn.dialect))
    except Exception:  # a type the dialect cannot render (NullType): its plain text
        return canonical_type(str(col_type))


def _column(conn, dialect, name, col, pk):
    sequence = dialect.sequence_default(col.get("default"))
    # SQLAlchemy marks nextval defaults as autoincrement too; the sequence says it here.
    autoincrement = bool(col.get("autoincrement") is True or col.get("identity")) \
        and sequence is None and dialect.reflects_autoincrement
    type_text = _type_text(conn, col["type"])
    default = None if sequence or autoincrement else reflected(
        col.get("default"), type_text, dialect.default_backslash_escapes)
    return Column(name=name, type=type_text, primary_key=name in pk,
                  nullable=bool(col.get("nullable", True)), autoincrement=autoincrement,
                  sequence=sequence, default=default)


def _foreign_key(names, fk):
    return ForeignKey(names(fk.get("name")) or None,
                      tuple(names(c) for c in fk["constrained_columns"]),
                      names(fk["referred_table"]),
                      tuple(names(c) for c in fk["referred_columns"]))


def _indexes(conn, dialect, inspector, raw_table, names, foreign_keys, pk_name):
    descending = dialect.descending_index_columns(conn, raw_table)
    fk_keys = {(fk.name, fk.columns) for fk in foreign_keys}
    indexes = []
    for ix in inspector.get_indexes(raw_table, schema=dialect.schema_name):
        name = names(ix.get("name"))
        if not name or name.lower().startswith("sqlite_autoindex_"):
            continue  # SQLite's own indexes for UNIQUE/PRIMARY KEY constraints
        if pk_name and ix.get("name") == pk_name:
            continue  # the primary key's own index (PostgreSQL <table>_pkey, if listed)
        raw_columns = ix.get("column_names") or []
        expressions = ix.get("expressions") or raw_columns  # text of expression entries
        columns = tuple(names(c) if c is not None else expressions[n]
                        for n, c in enumerate(raw_columns))
        if dialect.indexes_foreign_keys and (name, columns) in fk_keys:
            continue  # the database's own index behind a foreign key
        sorting = ix.get("column_sorting") or {}
        flags = descending.get(ix.get("name"))
        entries = []
        for n, column in enumerate(columns):
            if flags is not None:
                desc = n < len(flags) and flags[n]
            else:
                desc = "desc" in sorting.get(raw_columns[n] or expressions[n], ())
            entries.append((column, bool(desc)))
        indexes.append(Index(name, tuple(entries), bool(ix.get("unique"))))
    return indexes
