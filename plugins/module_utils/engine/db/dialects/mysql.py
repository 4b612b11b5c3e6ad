"""MySQL and MariaDB: every DDL statement commits by itself, so changes are rehearsed on a
scratch copy and the tables they change are dumped first; keys are AUTO_INCREMENT."""
import datetime
import secrets

from ...jam import defs as d
from ...jam.layouts import LAYOUT_54, LAYOUT_70
from .base import Dialect, highest_key
from .mysql_dump import dump_tables
from ..quoting import sql_name

_TYPES_54 = {d.TEXT: "VARCHAR", d.INTEGER: "INTEGER", d.FLOAT: "DOUBLE", d.CURRENCY: "DOUBLE",
             d.DATE: "DATE", d.DATETIME: "DATETIME", d.BOOLEAN: "INTEGER",
             d.LONGTEXT: "LONGTEXT", d.KEYS: "LONGTEXT", d.FILE: "LONGTEXT",
             d.IMAGE: "LONGTEXT"}
_TYPES_70 = {**_TYPES_54, d.KEYS: "TEXT", d.FILE: "VARCHAR(512)", d.IMAGE: "VARCHAR(256)"}


def _stored(value):
    """DATETIME as Jam.py creates it keeps whole seconds: cut here (MariaDB would cut,
    MySQL round), so that what is written compares equal on the next run."""
    if isinstance(value, (datetime.datetime, datetime.time)):
        return value.replace(microsecond=0)
    return value


class MySQL(Dialect):
    """MySQL and MariaDB through mysqlclient (PyMySQL as a fall-back)."""

    code = d.MYSQL
    python_libraries = ("MySQLdb", "mysql.connector")
    sqlalchemy_name = "mysql"
    # mysqlclient is what Jam.py uses; PyMySQL only as a fall-back for our own connection.
    drivers = (("mysql+mysqldb", "MySQLdb", ("mysqlclient",)),
               ("mysql+pymysql", "pymysql", ("PyMySQL",)))
    # Jam.py passes charset=encoding (mysqlclient 2.x needs one for Jam.py 5.4).
    encoding_as_charset = True

    column_types = {LAYOUT_54: _TYPES_54, LAYOUT_70: _TYPES_70}
    # A VARCHAR of utf8mb4 characters within the 65,535-byte row limit.
    max_identifier_length = 64
    max_text_size = 16_383
    # Index names are unique per table, not per database.
    index_names_per_table = True
    rehearses = True
    dumps_tables = True
    indexes_foreign_keys = True
    default_backslash_escapes = True
    stored_value = staticmethod(_stored)

    def key_generation(self, layout, item):
        return {"autoincrement": True}

    def prepare_rendering(self, sa_dialect):
        # Defaults as plain literals (DEFAULT 1.5, as Jam.py writes them), which every
        # MySQL and MariaDB release takes, not as expressions in parentheses (MySQL 8.0.13+).
        sa_dialect._support_default_function = False

    def column_defaults(self, conn, table):
        """From information_schema (SQLAlchemy's parsing of SHOW CREATE TABLE drops a
        string default with an escaped quote). MariaDB reports literals as SQL (NULL as
        the text NULL), MySQL the plain value (a string unquoted); ``defaults.reflected``
        reads both by the column's type."""
        from sqlalchemy import text

        return dict(conn.execute(text(
            "SELECT COLUMN_NAME, COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE "
            "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"), {"t": table}).fetchall())

    def descending_index_columns(self, conn, table):
        from sqlalchemy import text

        flags = {}
        for name, _seq, desc in conn.execute(text(
                "SELECT INDEX_NAME, SEQ_IN_INDEX, COLLATION = 'D' FROM "
                "information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND "
                "TABLE_NAME = :t ORDER BY INDEX_NAME, SEQ_IN_INDEX"), {"t": table}):
            flags.setdefault(name, []).append(bool(desc))
        return flags

    def advance_keys(self, conn, table, key, sequence, changed, before_write):
        """The counter follows explicit keys by itself; set anyway after a change."""
        if changed:
            conn.exec_driver_sql(f"ALTER TABLE {sql_name(conn, table)} AUTO_INCREMENT = "
                                 f"{int(highest_key(conn, table, key)) + 1}")

    def same_live_database(self, source, target, source_engine, target_engine):
        """A named lock (per server) taken through the target seen through the source, and
        the same schema name on both."""
        name = f"jampy-{secrets.randbits(62)}"
        with target_engine.connect() as held, source_engine.connect() as probe:
            held.exec_driver_sql("SELECT GET_LOCK(%s, 0)", (name,))
            try:
                taken = probe.exec_driver_sql("SELECT IS_FREE_LOCK(%s)", (name,)).scalar() == 0
            finally:
                held.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (name,))
            return taken and held.exec_driver_sql("SELECT DATABASE()").scalar() == \
                probe.exec_driver_sql("SELECT DATABASE()").scalar()

    def dump_tables(self, connection, tables, dest):
        return dump_tables(connection, tables, dest)

    # -- the rehearsal's scratch database ------------------------------------------------
    @staticmethod
    def scratch_database(database):
        """The scratch database of ``database`` (within MySQL's 64 characters)."""
        return f"{database[:47]}_jampy_rehearsal"

    @staticmethod
    def create_database(conn, name):
        """Create the database ``name`` (fails without the privilege)."""
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")

    @staticmethod
    def drop_database(conn, name):
        """Drop the database ``name`` if it exists."""
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")

    @staticmethod
    def table_definitions(conn):
        """CREATE TABLE statements of the database's tables (SHOW CREATE TABLE)."""
        tables = [row[0] for row in conn.exec_driver_sql(
            "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")]
        return [conn.exec_driver_sql(f"SHOW CREATE TABLE `{t}`").fetchone()[1] for t in tables]

    @staticmethod
    def create_tables(conn, definitions):
        """Run CREATE TABLE statements in any order (foreign keys checked afterwards)."""
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for sql in definitions:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
