"""SQLite: one file per project database, DDL inside transactions, tables rebuilt to change."""
import datetime
import decimal
import os

from ...errors import JamDeployError
from ...jam import defs as d
from ...jam.layouts import LAYOUT_54, LAYOUT_70
from .base import Dialect

_TYPES = {d.TEXT: "TEXT", d.INTEGER: "INTEGER", d.FLOAT: "REAL", d.CURRENCY: "REAL",
          d.DATE: "TEXT", d.DATETIME: "TEXT", d.BOOLEAN: "INTEGER", d.LONGTEXT: "TEXT",
          d.KEYS: "TEXT", d.FILE: "TEXT", d.IMAGE: "TEXT"}


def _file(connection):
    return connection.get("database_path") or connection.get("database")


def _stored(value):
    """What Jam.py keeps in SQLite, where dates are TEXT and numbers REAL."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


class SQLite(Dialect):
    """SQLite as Jam.py uses it (its sqlite3 driver, one file per database)."""

    code = d.SQLITE
    sqlalchemy_name = "sqlite"
    drivers = (("sqlite+pysqlite", "sqlite3", ("the Python sqlite3 module",)),)

    column_types = {LAYOUT_54: _TYPES, LAYOUT_70: _TYPES}
    # No name limit; a value is at most SQLITE_MAX_LENGTH bytes by default.
    max_text_size = 1_000_000_000
    upper_case_identifiers = True
    inline_foreign_keys = True
    rebuilds_tables = True
    # Jam.py's ``"ID" INTEGER PRIMARY KEY`` is declared nullable (the catalog says so; as
    # the rowid alias it never holds NULL).
    primary_key_nullable = True

    transactional_ddl = True
    reflects_autoincrement = False
    stored_value = staticmethod(_stored)

    def text_length(self, column):
        from sqlalchemy import func

        return func.length(column)

    def descending_index_columns(self, conn, table):
        from sqlalchemy import text

        flags = {}
        for name, _seq, desc in conn.execute(text(
                "SELECT il.name, ix.seqno, ix.\"desc\" FROM pragma_index_list(:t) AS il, "
                "pragma_index_xinfo(il.name) AS ix WHERE ix.key = 1 ORDER BY il.name, ix.seqno"),
                {"t": table}):
            flags.setdefault(name, []).append(bool(desc))
        return flags

    def locate(self, connection, folder):
        # A relative path is relative to the project folder (Jam.py's working directory).
        if connection.get("database"):
            connection["database_path"] = str(folder / connection["database"])

    def url_settings(self, connection):
        path = _file(connection)
        if not path:
            raise JamDeployError(
                "the project's SQLite database file is not set (SYS_TASKS.F_ALIAS)")
        return {"database": str(path)}, {}

    def describe(self, connection):
        return f"{self.name} database file {_file(connection)}"

    def connect_advice(self):
        return "check that the file's folder exists and is writable by this user"

    def prepare_engine(self, engine):
        """SQLAlchemy's documented pysqlite recipe: the driver opens no transactions itself
        (it would not before DDL, so CREATE/ALTER/DROP were autocommitted) and SQLAlchemy
        emits BEGIN at the start of each transaction, so DDL rolls back with everything
        else. Foreign key enforcement stays at SQLite's default (off): table rebuilds drop
        and re-create referenced tables, which enforcement would turn into cascading
        deletes."""
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")

    def same_settings(self, source, target):
        return os.path.realpath(_file(source)) == os.path.realpath(_file(target))

    def same_live_database(self, source, target, source_engine, target_engine):
        paths = [_file(source), _file(target)]
        return all(os.path.exists(p) for p in paths) and os.path.samefile(*paths)
