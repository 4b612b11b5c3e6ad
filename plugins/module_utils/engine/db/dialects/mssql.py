"""Microsoft SQL Server: IDENTITY keys, the server as the host."""
from ...jam import defs as d
from ...jam.layouts import LAYOUT_54, LAYOUT_70
from .base import Dialect, setting

_TYPES_54 = {d.TEXT: "NVARCHAR", d.INTEGER: "INTEGER", d.FLOAT: "FLOAT", d.CURRENCY: "FLOAT",
             d.DATE: "DATE", d.DATETIME: "DATETIME", d.BOOLEAN: "INTEGER",
             d.LONGTEXT: "NVARCHAR(MAX)", d.KEYS: "NVARCHAR(MAX)", d.FILE: "NVARCHAR(MAX)",
             d.IMAGE: "NVARCHAR(MAX)"}


class MSSQL(Dialect):
    """Microsoft SQL Server through pymssql."""

    code = d.MSSQL
    python_libraries = ("pymssql", "pyodbc")
    sqlalchemy_name = "mssql"
    drivers = (("mssql+pymssql", "pymssql", ("pymssql",)),)
    encoding_as_charset = True

    column_types = {LAYOUT_54: _TYPES_54,
                    LAYOUT_70: {**_TYPES_54, d.FILE: "NVARCHAR(512)", d.IMAGE: "NVARCHAR(256)"}}
    # NVARCHAR(n) holds at most 4,000 characters (longer is NVARCHAR(MAX)).
    max_identifier_length = 128
    max_text_size = 4_000
    # Index names are unique per table, not per database.
    index_names_per_table = True
    upper_case_identifiers = True

    def key_generation(self, layout, item):
        return {"autoincrement": True}

    def url_settings(self, connection):
        # pymssql takes the server as its host; Jam.py passes F_SERVER and F_HOST both.
        url, connect_args = super().url_settings(connection)
        url["host"] = url["host"] or setting(connection.get("server"))
        return url, connect_args
