"""What the databases Jam.py supports have in common, and the defaults the dialects override.

A ``Dialect`` holds everything that depends on the database type: the schema Jam.py
creates there (types, identifier case, key generation, foreign keys), how it is connected
to, reflected, changed and written, and what protects changes that cannot be rolled back.
The pipeline asks the dialect instead of testing the database type. The defaults are a
server database driven through SQLAlchemy; each database changes what differs (the way
Alembic's ``DefaultImpl`` and its per-database subclasses do).
"""
from ...errors import JamDeployError
from ...jam import defs
from ..quoting import q, sql_name

_SIZED = ("VARCHAR", "VARCHAR2", "NVARCHAR")


def setting(value):
    """SYS_TASKS leaves empty inputs as NULL or ''; both mean "not set"."""
    return None if value in (None, "") else str(value)


def port_number(connection):
    """The connection's port as a number (None when not set)."""
    port = connection.get("port")
    if port in (None, ""):
        return None
    try:
        return int(str(port).strip())
    except ValueError:
        raise JamDeployError(
            f"the project's database port {port!r} is not a number; correct it in the "
            "Application Builder's Database dialog (SYS_TASKS.F_PORT)") from None


class Dialect:
    """A Jam.py database type; class attributes describe it, methods act on it."""

    code = None                # Jam.py's database type (defs.SQLITE, ...)
    # SQLAlchemy's dialect the import renders for (None: importing is not supported).
    sqlalchemy_name = None
    # (SQLAlchemy drivername, Python module, packages to `pip install`), best first.
    drivers = ()
    # A third-party SQLAlchemy dialect the drivers need (its module).
    dialect_module = None
    # Why nothing connects to this database yet (None: it is supported).
    not_supported_because = None
    # The connection's encoding goes to the driver as ``charset``.
    encoding_as_charset = False
    # Jam.py 7.0: the Python libraries its new-project dialog offers (SYS_TASKS
    # F_PYTHON_LIBRARY is the 1-based choice; with two or more one must be chosen).
    python_libraries = ()

    # -- the schema Jam.py creates -----------------------------------------------------
    # {layout: {data type: column type}}; "(n)" is added to sized text types.
    column_types = {}
    # Jam.py's ``identifier_case``: table, column, index and sequence names upper-cased.
    upper_case_identifiers = False
    # Layouts whose database module has NEED_GENERATOR: new items get F_GEN_NAME.
    generator_layouts = frozenset()
    # The generator is a stand-alone sequence, not a column default.
    separate_generator = False
    # Foreign keys are declared inside CREATE TABLE, without a name; Jam.py's own import
    # cannot add them to existing tables and leaves them out.
    inline_foreign_keys = False
    # The table-rebuild database: changing a column means moving the rows to a new table.
    rebuilds_tables = False
    # The primary key column is declared nullable.
    primary_key_nullable = False
    # One DESC flag per index (F_FIELDS_LIST has one per column elsewhere).
    index_level_descending = False
    # The longest table, column, index or sequence name the database takes (None: no
    # limit) and the largest size of a sized text column.
    max_identifier_length = None
    max_text_size = None
    # Index names are unique per table rather than per database (schema).
    index_names_per_table = False

    # -- changing it ---------------------------------------------------------------------
    # DDL takes part in transactions: an uncommitted change is gone after an error or crash.
    transactional_ddl = False
    # Schema statements can be rehearsed on a scratch database first.
    rehearses = False
    # Tables can be dumped before DDL that cannot be rolled back.
    dumps_tables = False

    # -- reading it back ---------------------------------------------------------------
    # Where Jam.py's tables live (None: the connection's default schema).
    schema_name = None
    # Key columns are reflected with their auto-increment flag.
    reflects_autoincrement = True
    # The database adds an index named like each foreign key that needs one.
    indexes_foreign_keys = False
    # Reported string defaults use backslash escapes (MySQL) besides doubled quotes.
    default_backslash_escapes = False
    # A query that only checks the connection.
    ping = "SELECT 1"

    @property
    def name(self):
        """Jam.py's name of the database type (sqlite, postgresql, ...)."""
        return defs.DB_TYPE_NAMES[self.code]

    def __repr__(self):
        return f"<{type(self).__name__} dialect>"

    # -- the schema Jam.py creates -----------------------------------------------------
    def identifier_case(self, name):
        """A name in the case Jam.py gives identifiers on this database."""
        if not name:
            return name
        return name.upper() if self.upper_case_identifiers else name.lower()

    def column_type(self, layout, data_type, size):
        """The canonical column type Jam.py creates for a field."""
        base = self.column_types[layout][data_type]
        if data_type == defs.TEXT and base in _SIZED and size:
            return f"{base}({int(size)})"
        return base

    def needs_generator(self, layout):
        """Whether Jam.py's import gives new items a generator name (F_GEN_NAME)."""
        return layout in self.generator_layouts

    def key_generation(self, layout, item):
        """How the primary key of ``item`` gets its values: ``schema.Column`` arguments
        (``autoincrement``, ``sequence``); none when the application supplies them."""
        return {}

    # -- changing it ---------------------------------------------------------------------
    def text_length(self, column):
        """The SQL expression of the length in characters of a text ``column``."""
        from sqlalchemy import func

        return func.char_length(column)

    def prepare_rendering(self, sa_dialect):
        """Adjust SQLAlchemy's offline ``sa_dialect`` the import renders DDL with."""

    def alter_type_options(self, column_name, type_sql):
        """Extra arguments of Alembic's ``alter_column`` for a type change."""
        return {}

    # -- reading it back ---------------------------------------------------------------
    def sequence_default(self, default):
        """The sequence a column default draws from (None: not a sequence default)."""
        return None

    def implicit_sequence(self, table, column):
        """The sequence the database makes for an auto-increment column (None: none)."""
        return None

    def column_defaults(self, conn, table):
        """{column: default as the database reports it} where SQLAlchemy's reflection
        does not read them right (None: it does)."""
        return None

    def descending_index_columns(self, conn, table):
        """{index name: [DESC flag per column]} where SQLAlchemy reports no sorting."""
        return {}

    # -- connecting ------------------------------------------------------------------------
    def locate(self, connection, folder):
        """Complete ``connection`` with what depends on the project ``folder``."""

    def url_settings(self, connection):
        """``(URL.create arguments, driver connect_args)`` for a project connection."""
        encoding = setting(connection.get("encoding"))
        return ({"username": setting(connection.get("user")),
                 "password": setting(connection.get("password")),
                 "host": setting(connection.get("host")), "port": port_number(connection),
                 "database": setting(connection.get("database")),
                 "query": {"charset": encoding} if encoding and self.encoding_as_charset
                 else {}}, {})

    def describe(self, connection):
        """Where a connection goes, for messages: never the password."""
        parts = [f"host {setting(connection.get('host')) or '(default)'}",
                 f"port {setting(connection.get('port')) or '(default)'}",
                 f"database {setting(connection.get('database')) or '(not set)'}",
                 f"user {setting(connection.get('user')) or '(not set)'}"]
        if setting(connection.get("server")):
            parts.insert(0, f"server {connection['server']}")
        if setting(connection.get("dsn")):
            parts.append(f"dsn {connection['dsn']}")
        return f"{self.name} database ({', '.join(parts)})"

    def connect_advice(self):
        """What to check when connecting fails."""
        return ("check that the server is running and reachable from this host, that the "
                "database exists and that the user and password in the project's Database "
                "dialog (SYS_TASKS) are accepted by the server")

    def prepare_engine(self, engine):
        """Adjust a new SQLAlchemy Engine to how the engine uses the database."""

    # -- writing rows (data refresh) -----------------------------------------------------
    # A function making a Python value what the database keeps (None: values as they are).
    stored_value = None

    def inserter(self, table, names, columns):
        """The insert of rows (given column by column) as a function of the connection, its
        data made ready now."""
        from sqlalchemy import column, insert, table as table_clause

        statement = insert(table_clause(q(table), *[column(q(c)) for c in names]))
        rows = [dict(zip(names, row)) for row in zip(*columns)]
        return lambda conn: conn.execute(statement, rows)

    def updater(self, table, key, names, columns):
        """The update of rows (given column by column, matched by ``key``) as a function of
        the connection, its data made ready now."""
        from sqlalchemy import bindparam, column, table as table_clause, update

        target = table_clause(q(table), *[column(q(c)) for c in names])
        statement = update(target).where(target.c[key] == bindparam("jampy_key")).values(
            {c: bindparam(c) for c in names if c != key})
        at = names.index(key)
        rows = [dict(zip(names, row), jampy_key=row[at]) for row in zip(*columns)]
        return lambda conn: conn.execute(statement, rows)

    def advance_keys(self, conn, table, key, sequence, changed, before_write):
        """Move the key generator of ``table`` past its largest ``key``, so new records get
        fresh ids (``changed``: rows were written; ``before_write`` is called before a
        write). Nothing by default: the database follows explicit keys by itself."""

    def next_sequence_value(self, conn, sequence):
        """The value the sequence ``sequence`` (SQL text of its name) gives next."""
        raise JamDeployError(f"{self.name} databases have no sequences of their own")

    def same_settings(self, source, target):
        """Whether two connections of this database type name the same database."""
        hosts = {"localhost": "127.0.0.1"}

        def where(c):
            return (hosts.get(c.get("host") or "", c.get("host")), str(c.get("port") or ""),
                    c.get("database"))
        return where(source) == where(target)

    def same_live_database(self, source, target, source_engine, target_engine):
        """Whether two open engines reach one database (however the connections name it)."""
        return False

    # -- protecting DDL that cannot be rolled back -----------------------------------------
    def dump_tables(self, connection, tables, dest):
        """Save ``tables`` (structure and rows) into the file ``dest``; returns the command
        that restores them."""
        raise JamDeployError(f"tables of {self.name} databases cannot be backed up")


def highest_key(conn, table, key):
    """The largest value of ``key`` in ``table`` (0 for an empty table)."""
    return conn.exec_driver_sql(f"SELECT COALESCE(MAX({sql_name(conn, key)}), 0) "
                                f"FROM {sql_name(conn, table)}").scalar()
