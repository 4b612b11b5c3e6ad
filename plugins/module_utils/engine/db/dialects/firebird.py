"""Firebird: generators beside the tables, one DESC flag per index. Jam.py runs on it; the
import does not render for it (SQLAlchemy has no built-in Firebird dialect)."""
from ...jam import defs as d
from ...jam.layouts import LAYOUT_54, LAYOUT_70
from .base import Dialect

_TYPES_54 = {d.TEXT: "VARCHAR", d.INTEGER: "INTEGER", d.FLOAT: "DOUBLE PRECISION",
             d.CURRENCY: "DOUBLE PRECISION", d.DATE: "DATE", d.DATETIME: "TIMESTAMP",
             d.BOOLEAN: "INTEGER", d.LONGTEXT: "BLOB", d.KEYS: "BLOB",
             d.FILE: "VARCHAR(522)", d.IMAGE: "VARCHAR(522)"}


class Firebird(Dialect):
    """Firebird through fdb or firebird-driver and sqlalchemy-firebird."""

    code = d.FIREBIRD
    python_libraries = ("firebird-driver", "fdb", "firebirdsql")
    drivers = (("firebird+fdb", "fdb", ("sqlalchemy-firebird", "fdb")),
               ("firebird+firebird", "firebird.driver", ("sqlalchemy-firebird", "firebird-driver")))
    dialect_module = "sqlalchemy_firebird"
    encoding_as_charset = True
    ping = "SELECT 1 FROM RDB$DATABASE"

    column_types = {LAYOUT_54: _TYPES_54,
                    LAYOUT_70: {**_TYPES_54, d.FILE: "VARCHAR(512)", d.IMAGE: "VARCHAR(256)"}}
    # Names of 31 characters before Firebird 4.0; VARCHAR of 32,765 bytes in UTF8.
    max_identifier_length = 31
    max_text_size = 8_191
    upper_case_identifiers = True
    generator_layouts = frozenset({LAYOUT_54, LAYOUT_70})
    separate_generator = True
    index_level_descending = True
