"""Oracle: sequences beside the tables, the database named by a DSN."""
from ...jam import defs as d
from ...jam.layouts import LAYOUT_54, LAYOUT_70
from .base import Dialect, setting

_TYPES_54 = {d.TEXT: "VARCHAR2", d.INTEGER: "NUMBER", d.FLOAT: "DOUBLE PRECISION",
             d.CURRENCY: "DOUBLE PRECISION", d.DATE: "DATE", d.DATETIME: "TIMESTAMP",
             d.BOOLEAN: "NUMBER", d.LONGTEXT: "CLOB", d.KEYS: "CLOB", d.FILE: "CLOB",
             d.IMAGE: "CLOB"}


class Oracle(Dialect):
    """Oracle through oracledb or cx_Oracle."""

    code = d.ORACLE
    python_libraries = ("oracledb", "cx_oracle")
    sqlalchemy_name = "oracle"
    drivers = (("oracle+oracledb", "oracledb", ("oracledb",)),
               ("oracle+cx_oracle", "cx_Oracle", ("cx_Oracle",)))
    ping = "SELECT 1 FROM DUAL"

    column_types = {LAYOUT_54: _TYPES_54,
                    LAYOUT_70: {**_TYPES_54, d.FILE: "VARCHAR2(256)", d.IMAGE: "VARCHAR2(512)"}}
    # Names of 30 characters before Oracle 12.2; VARCHAR2 of 4,000 bytes.
    max_identifier_length = 30
    max_text_size = 4_000
    upper_case_identifiers = True
    generator_layouts = frozenset({LAYOUT_54, LAYOUT_70})
    separate_generator = True

    def url_settings(self, connection):
        # F_ALIAS (or 7.0's F_DSN) is the Oracle DSN: a TNS alias or host:port/service.
        url, connect_args = super().url_settings(connection)
        dsn = setting(connection.get("dsn")) or url["database"]
        if dsn:
            connect_args["dsn"] = dsn
        url.update(host=None, port=None, database=None)
        return url, connect_args
