"""The live project database as a ``schema.Schema``, and readable schema differences.

``reflect_schema`` reads the database with SQLAlchemy's inspector and normalises what it
finds into the model ``schema.schema_from_metadata`` builds, so the two compare directly:
canonical type text, the key generation Jam.py uses (MySQL AUTO_INCREMENT, the
PostgreSQL 5.4 ``DEFAULT nextval('<gen name>')``), descending index columns, and nothing
the database adds by itself. ``compare_schemas`` lists the differences as sentences
(drift detection, differential tests).
"""
import re

from . import jamdefs as j
from .schema import Column, ForeignKey, Index, Schema, Table, canonical_type

# Where Jam.py's tables live: PostgreSQL's public schema, else the connection's default.
_SCHEMAS = {j.POSTGRESQL: "public"}
# DEFAULT nextval('name'::regclass), the name possibly quoted or schema-qualified.
_NEXTVAL = re.compile(r"""^nextval\('(?:"?public"?\.)?"?([^'"]+)"?'(?:::regclass)?\)$""",
                      re.IGNORECASE)


def reflect_schema(bind, db_type):
    """The project database's tables, indexes, foreign keys and sequences.

    ``bind`` is an Engine or a Connection (e.g. inside the transaction of an import).
    """
    from sqlalchemy.engine import Engine

    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _reflect(conn, db_type)
    return _reflect(bind, db_type)


def _reflect(conn, db_type):
    from sqlalchemy import inspect

    inspector = inspect(conn)
    schema_name = _SCHEMAS.get(db_type)
    names = _Names(conn.dialect)
    result = Schema(db_type, {})
    sequences = {names(s) for s in _sequence_names(inspector, schema_name)}
    serial = set()
    for raw in inspector.get_table_names(schema=schema_name):
        table_name = names(raw)
        pk_constraint = inspector.get_pk_constraint(raw, schema=schema_name) or {}
        pk = {names(c) for c in pk_constraint.get("constrained_columns") or ()}
        columns = []
        for col in inspector.get_columns(raw, schema=schema_name):
            column = _column(conn, db_type, names(col["name"]), col, pk)
            if column.sequence and column.sequence == f"{table_name}_{column.name}_seq":
                # PostgreSQL's SERIAL (Jam.py 7.0): an implicit sequence, an auto-increment.
                serial.add(column.sequence)
                column = Column(column.name, column.type, column.primary_key,
                                column.nullable, autoincrement=True)
            columns.append(column)
        foreign_keys = [_foreign_key(names, fk)
                        for fk in inspector.get_foreign_keys(raw, schema=schema_name)]
        indexes = _indexes(conn, db_type, inspector, raw, schema_name, names, foreign_keys,
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


def _column(conn, db_type, name, col, pk):
    default = col.get("default")
    sequence = None
    match = _NEXTVAL.match(str(default).strip()) if default else None
    if db_type == j.POSTGRESQL and match:
        sequence = match.group(1)
    # SQLAlchemy marks nextval defaults as autoincrement too; the sequence says it here.
    autoincrement = bool(col.get("autoincrement") is True or col.get("identity")) \
        and sequence is None and db_type != j.SQLITE
    return Column(name=name, type=_type_text(conn, col["type"]), primary_key=name in pk,
                  nullable=bool(col.get("nullable", True)), autoincrement=autoincrement,
                  sequence=sequence)


def _foreign_key(names, fk):
    return ForeignKey(names(fk.get("name")) or None,
                      tuple(names(c) for c in fk["constrained_columns"]),
                      names(fk["referred_table"]),
                      tuple(names(c) for c in fk["referred_columns"]))


def _indexes(conn, db_type, inspector, raw_table, schema_name, names, foreign_keys, pk_name):
    descending = _descending_columns(conn, db_type, raw_table)
    fk_keys = {(fk.name, fk.columns) for fk in foreign_keys}
    indexes = []
    for ix in inspector.get_indexes(raw_table, schema=schema_name):
        name = names(ix.get("name"))
        if not name or name.lower().startswith("sqlite_autoindex_"):
            continue  # SQLite's own indexes for UNIQUE/PRIMARY KEY constraints
        if pk_name and ix.get("name") == pk_name:
            continue  # the primary key's own index (PostgreSQL <table>_pkey, if listed)
        raw_columns = ix.get("column_names") or []
        expressions = ix.get("expressions") or raw_columns  # text of expression entries
        columns = tuple(names(c) if c is not None else expressions[n]
                        for n, c in enumerate(raw_columns))
        if db_type == j.MYSQL and (name, columns) in fk_keys:
            continue  # MySQL adds an index named like each foreign key that needs one
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


def _descending_columns(conn, db_type, table):
    """{index name: [desc flag per column]} where SQLAlchemy reports no sorting:
    SQLite (PRAGMA index_xinfo) and MySQL/MariaDB (COLLATION 'D' in STATISTICS).
    PostgreSQL's come with the inspector's ``column_sorting``."""
    from sqlalchemy import text

    flags = {}
    if db_type == j.SQLITE:
        rows = conn.execute(text(
            "SELECT il.name, ix.seqno, ix.\"desc\" FROM pragma_index_list(:t) AS il, "
            "pragma_index_xinfo(il.name) AS ix WHERE ix.key = 1 ORDER BY il.name, ix.seqno"),
            {"t": table})
    elif db_type == j.MYSQL:
        rows = conn.execute(text(
            "SELECT INDEX_NAME, SEQ_IN_INDEX, COLLATION = 'D' FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
            "ORDER BY INDEX_NAME, SEQ_IN_INDEX"), {"t": table})
    else:
        return flags
    for name, _seq, desc in rows:
        flags.setdefault(name, []).append(bool(desc))
    return flags


# ------------------------------------------------------------------------- comparison

def _index_text(index):
    cols = ", ".join(name + (" DESC" if desc else "") for name, desc in index.columns)
    return f"{'unique ' if index.unique else ''}({cols})"


def _fk_text(fk):
    return f"({', '.join(fk.columns)}) references {fk.ref_table} ({', '.join(fk.ref_columns)})"


def compare_schemas(expected, actual):
    """Readable differences between the expected schema (from metadata) and the actual
    one (reflected); an empty list means they match."""
    diffs = []
    for name in sorted(set(expected.tables) | set(actual.tables)):
        want, have = expected.tables.get(name), actual.tables.get(name)
        if have is None:
            diffs.append(f"table {name}: missing")
        elif want is None:
            diffs.append(f"table {name}: not expected, found")
        else:
            diffs.extend(f"table {name}: {d}" for d in _compare_table(want, have))
    for seq in sorted(expected.sequences - actual.sequences):
        diffs.append(f"sequence {seq}: missing")
    for seq in sorted(actual.sequences - expected.sequences):
        diffs.append(f"sequence {seq}: not expected, found")
    return diffs


def _compare_table(want, have):
    diffs = []
    want_cols = {c.name: c for c in want.columns}
    have_cols = {c.name: c for c in have.columns}
    for name in want_cols:
        if name not in have_cols:
            diffs.append(f"column {name}: missing")
    for name in have_cols:
        if name not in want_cols:
            diffs.append(f"column {name} {have_cols[name].type}: not expected, found")
    for name, w in want_cols.items():
        h = have_cols.get(name)
        if h is not None:
            diffs.extend(f"column {name}: {d}" for d in _compare_column(w, h))
    diffs.extend(_compare_indexes(want.indexes, have.indexes))
    diffs.extend(_compare_foreign_keys(want.foreign_keys, have.foreign_keys))
    return diffs


def _flag(value, text):
    return text if value else f"no {text}"


def _compare_column(w, h):
    diffs = []
    if w.type != h.type:
        diffs.append(f"type {w.type} expected, {h.type} found")
    if w.primary_key != h.primary_key:
        diffs.append(f"{_flag(w.primary_key, 'primary key')} expected, "
                     f"{_flag(h.primary_key, 'primary key')} found")
    if w.nullable != h.nullable:
        text = {True: "nullable", False: "NOT NULL"}
        diffs.append(f"{text[w.nullable]} expected, {text[h.nullable]} found")
    if w.autoincrement != h.autoincrement:
        diffs.append(f"{_flag(w.autoincrement, 'auto-increment')} expected, "
                     f"{_flag(h.autoincrement, 'auto-increment')} found")
    if w.sequence != h.sequence:
        def seq(s):
            return f"default nextval({s})" if s else "no sequence default"
        diffs.append(f"{seq(w.sequence)} expected, {seq(h.sequence)} found")
    return diffs


def _compare_indexes(want, have):
    diffs = []
    want_by, have_by = {i.name: i for i in want}, {i.name: i for i in have}
    for name in sorted(set(want_by) | set(have_by)):
        w, h = want_by.get(name), have_by.get(name)
        if h is None:
            diffs.append(f"index {name} {_index_text(w)}: missing")
        elif w is None:
            diffs.append(f"index {name} {_index_text(h)}: not expected, found")
        elif (w.columns, w.unique) != (h.columns, h.unique):
            diffs.append(f"index {name}: {_index_text(w)} expected, {_index_text(h)} found")
    return diffs


def _compare_foreign_keys(want, have):
    """By name; unnamed keys (SQLite declares them inline, without a name) by definition."""
    diffs = []
    unmatched = list(have)
    missing = []
    for w in want:
        h = _find_fk(w, unmatched)
        if h is None:
            missing.append(w)
            continue
        unmatched.remove(h)
        if (w.columns, w.ref_table, w.ref_columns) != (h.columns, h.ref_table, h.ref_columns):
            diffs.append(f"foreign key {w.name}: {_fk_text(w)} expected, {_fk_text(h)} found")
    diffs.extend(f"foreign key {w.name or ''} {_fk_text(w)}: missing".replace("  ", " ")
                 for w in missing)
    diffs.extend(f"foreign key {h.name or ''} {_fk_text(h)}: not expected, found"
                 .replace("  ", " ") for h in unmatched)
    return diffs


def _find_fk(want, candidates):
    same = (want.columns, want.ref_table, want.ref_columns)
    if want.name:
        for h in candidates:
            if h.name == want.name:
                return h
    for h in candidates:
        if (not want.name or not h.name) and (h.columns, h.ref_table, h.ref_columns) == same:
            return h
    return None
