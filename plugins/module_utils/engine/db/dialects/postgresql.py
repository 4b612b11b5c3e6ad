"""PostgreSQL: transactional DDL, 5.4's sequences as key defaults, bulk writes with COPY."""
import re
import secrets

from ...jam import defs as d
from ...jam.layouts import LAYOUT_54, LAYOUT_70
from ..quoting import q, sql_name
from .base import Dialect, highest_key, setting
from .pg_copy import copy_in, copy_text

_TYPES_54 = {d.TEXT: "VARCHAR", d.INTEGER: "INTEGER", d.FLOAT: "NUMERIC", d.CURRENCY: "NUMERIC",
             d.DATE: "DATE", d.DATETIME: "TIMESTAMP", d.BOOLEAN: "INTEGER", d.LONGTEXT: "TEXT",
             d.KEYS: "TEXT", d.FILE: "TEXT", d.IMAGE: "TEXT"}
# DEFAULT nextval('name'::regclass), the name possibly quoted or schema-qualified.
_NEXTVAL = re.compile(r"""^nextval\('(?:"?public"?\.)?"?([^'"]+)"?'(?:::regclass)?\)$""",
                      re.IGNORECASE)
# The temporary table a batch of updates is loaded into.
_BATCH = "jampy_refresh_batch"


class PostgreSQL(Dialect):
    """PostgreSQL through psycopg2, tables in the public schema."""

    code = d.POSTGRESQL
    sqlalchemy_name = "postgresql"
    drivers = (("postgresql+psycopg2", "psycopg2", ("psycopg2-binary",)),)

    column_types = {LAYOUT_54: _TYPES_54, LAYOUT_70: {**_TYPES_54, d.TEXT: "TEXT"}}
    # Longer names are cut to 63 characters (NAMEDATALEN - 1); VARCHAR's largest length.
    max_identifier_length = 63
    max_text_size = 10_485_760
    # 5.4 draws keys from a sequence named by F_GEN_NAME, 7.0 uses SERIAL.
    generator_layouts = frozenset({LAYOUT_54})
    transactional_ddl = True
    schema_name = "public"

    def key_generation(self, layout, item):
        if not self.needs_generator(layout):
            return {"autoincrement": True}
        return {"sequence": item["f_gen_name"]} if item.get("f_gen_name") else {}

    def alter_type_options(self, column_name, type_sql):
        # An explicit cast lets PostgreSQL convert between unrelated types too.
        return {"postgresql_using": f'"{column_name}"::{type_sql}'}

    @staticmethod
    def sequence_owned_by(quote, sequence, table, column):
        """The statement that drops ``sequence`` with its table."""
        return f"ALTER SEQUENCE {quote(sequence)} OWNED BY {quote(table)}.{quote(column)}"

    def sequence_default(self, default):
        match = _NEXTVAL.match(str(default).strip()) if default else None
        return match.group(1) if match else None

    def implicit_sequence(self, table, column):
        return f"{table}_{column}_seq"

    def url_settings(self, connection):
        # Jam.py passes dbname, user, password, host, port (no encoding); 7.0 a DSN if set.
        url, connect_args = super().url_settings(connection)
        dsn = setting(connection.get("dsn"))
        if dsn:
            connect_args["dsn"] = dsn
            url.update(host=None, port=None, database=None)
        return url, connect_args

    def inserter(self, table, names, columns):
        data = copy_text(columns)
        return lambda conn: copy_in(conn, table, names, data)

    def updater(self, table, key, names, columns):
        """Rows loaded with COPY into a temporary table and updated from it in one
        statement."""
        data = copy_text(columns)

        def write(conn):
            target = sql_name(conn, table)
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {_BATCH} ON COMMIT DROP AS SELECT "
                f"{', '.join(sql_name(conn, n) for n in names)} FROM {target} WITH NO DATA")
            copy_in(conn, _BATCH, names, data)
            conn.exec_driver_sql(f"ANALYZE {_BATCH}")  # else the join may scan the target
            conn.exec_driver_sql(
                f"UPDATE {target} SET "
                + ", ".join(f"{sql_name(conn, n)} = b.{sql_name(conn, n)}"
                            for n in names if n != key)
                + f" FROM {_BATCH} b WHERE {target}.{sql_name(conn, key)} = "
                  f"b.{sql_name(conn, key)}")
        return write

    def advance_keys(self, conn, table, key, sequence, changed, before_write):
        """The key's sequence when it is behind (also after a run that stopped before this
        step): the item's own (5.4) or the one of its SERIAL column (7.0)."""
        highest = highest_key(conn, table, key)
        sequence = sql_name(conn, sequence) if sequence else conn.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%s, %s)", (sql_name(conn, table), q(key))).scalar()
        if sequence and self.next_sequence_value(conn, sequence) <= highest:
            before_write()
            conn.exec_driver_sql(f"SELECT setval('{sequence}', {int(highest) + 1}, false)")

    def next_sequence_value(self, conn, sequence):
        return conn.exec_driver_sql(
            f"SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM {sequence}"
        ).scalar()

    def same_live_database(self, source, target, source_engine, target_engine):
        """An advisory lock (per database) taken through the target seen through the
        source."""
        token = secrets.randbits(62)
        with target_engine.connect() as held, source_engine.connect() as probe:
            held.exec_driver_sql(f"SELECT pg_advisory_lock({token})")
            try:
                taken = not probe.exec_driver_sql(
                    f"SELECT pg_try_advisory_lock({token})").scalar()
                if not taken:
                    probe.exec_driver_sql(f"SELECT pg_advisory_unlock({token})")
            finally:
                held.exec_driver_sql(f"SELECT pg_advisory_unlock({token})")
            return taken
