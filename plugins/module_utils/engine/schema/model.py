"""The physical schema model: tables, columns, indexes, foreign keys and sequences as
Jam.py creates them, whether derived from metadata (``derive``) or read from a live
database (``reflect``). Types are canonical text: upper case, as Jam.py writes them, with
the spellings of reflection folded in by ``canonical_type``.
"""
import re
from dataclasses import dataclass, field
from typing import Optional

from .defaults import literal_text

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
    """A column; ``field_id`` (the SYS_FIELDS row behind it) is not compared."""
    name: str
    type: str
    primary_key: bool = False
    nullable: bool = True
    autoincrement: bool = False
    sequence: Optional[str] = None  # PostgreSQL 5.4: DEFAULT nextval of this sequence
    # Jam.py 7.0: the column's DEFAULT as a value (see ``defaults``), None for none.
    default: Optional[str] = None
    field_id: Optional[int] = field(default=None, compare=False)


@dataclass(frozen=True)
class Index:
    """An index; ``index_id`` (the SYS_INDICES row behind it) is not compared."""
    name: str
    columns: tuple  # ((column name, descending), ...)
    unique: bool = False
    index_id: Optional[int] = field(default=None, compare=False)


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key (unnamed where it is declared inline)."""
    name: str
    columns: tuple
    ref_table: str
    ref_columns: tuple
    index_id: Optional[int] = field(default=None, compare=False)


@dataclass
class Table:
    """A table; ``item_id`` is the SYS_ITEMS row behind it."""
    name: str
    columns: list
    indexes: list = field(default_factory=list)
    foreign_keys: list = field(default_factory=list)
    item_id: Optional[int] = None

    def column(self, name):
        """The column ``name`` (None when the table has none)."""
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Schema:
    """The tables and stand-alone sequences of one database."""
    db_type: int
    tables: dict  # {table name: Table}
    sequences: set = field(default_factory=set)


def describe_schema(schema):
    """The schema as readable text, one table after another (for --diff)."""
    lines = []
    for name in sorted(schema.tables):
        table = schema.tables[name]
        lines.append(f"table {name}")
        for c in table.columns:
            extras = [" PRIMARY KEY" if c.primary_key else "",
                      " AUTO_INCREMENT" if c.autoincrement else "",
                      f" DEFAULT nextval({c.sequence})" if c.sequence else "",
                      f" DEFAULT {literal_text(c.default, c.type)}"
                      if c.default is not None else ""]
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
