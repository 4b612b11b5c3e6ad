"""SQLAlchemy engines for a project's database, built from its SYS_TASKS connection.

The drivers are the ones Jam.py itself uses (psycopg2, mysqlclient, pymssql, cx_Oracle/
oracledb, fdb), so whatever works for the running site works for us. URLs are built with
``URL.create`` (never by formatting strings): the password is escaped correctly and never
shows in the URL's ``repr``/``str`` nor in any message raised here.
"""
import importlib.util
import re
import sys

from . import jamdefs as j
from .errors import JamDeployError

# (SQLAlchemy drivername, Python module to import, packages to `pip install`), best first.
_DRIVERS = {
    j.SQLITE: [("sqlite+pysqlite", "sqlite3", ("the Python sqlite3 module",))],
    j.POSTGRESQL: [("postgresql+psycopg2", "psycopg2", ("psycopg2-binary",))],
    # mysqlclient is what Jam.py uses; PyMySQL only as a fall-back for our own connection.
    j.MYSQL: [("mysql+mysqldb", "MySQLdb", ("mysqlclient",)),
              ("mysql+pymysql", "pymysql", ("PyMySQL",))],
    j.MSSQL: [("mssql+pymssql", "pymssql", ("pymssql",))],
    j.ORACLE: [("oracle+oracledb", "oracledb", ("oracledb",)),
               ("oracle+cx_oracle", "cx_Oracle", ("cx_Oracle",))],
    j.FIREBIRD: [("firebird+fdb", "fdb", ("sqlalchemy-firebird", "fdb")),
                 ("firebird+firebird", "firebird.driver",
                  ("sqlalchemy-firebird", "firebird-driver"))],
}
# Third-party SQLAlchemy dialects a database needs besides its driver.
_DIALECT_MODULES = {j.FIREBIRD: "sqlalchemy_firebird"}


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing
        return False


def _db_type(connection):
    db_type = connection.get("db_type")
    if db_type not in _DRIVERS:
        raise JamDeployError(
            f"the project's database type {db_type!r} is not one Jam.py knows; complete the "
            "project (its database connection) in the Application Builder first")
    return db_type


def driver_for(db_type):
    """The SQLAlchemy drivername to use; JamDeployError names what to install if none is."""
    dialect = _DIALECT_MODULES.get(db_type)
    candidates = _DRIVERS[db_type]
    if dialect is None or _installed(dialect):
        for drivername, module, _package in candidates:
            if _installed(module):
                return drivername
    wanted = " ".join(candidates[0][2])
    raise JamDeployError(
        f"the Python library for {j.DB_TYPE_NAMES[db_type]} databases is missing: install "
        f"{wanted} for the Python interpreter that runs this ({sys.executable}), e.g. "
        f"`{sys.executable} -m pip install {wanted}`")


def _port(connection):
    port = connection.get("port")
    if port in (None, ""):
        return None
    try:
        return int(str(port).strip())
    except ValueError:
        raise JamDeployError(
            f"the project's database port {port!r} is not a number; correct it in the "
            "Application Builder's Database dialog (SYS_TASKS.F_PORT)") from None


def _text(value):
    """SYS_TASKS leaves empty inputs as NULL or ''; both mean "not set"."""
    return None if value in (None, "") else str(value)


def connection_url(connection, drivername=None):
    """``(URL, connect_args)`` for a project connection (``Project.connection()``).

    ``drivername`` defaults to the first installed driver (see ``driver_for``).
    """
    from sqlalchemy.engine import URL

    db_type = _db_type(connection)
    drivername = drivername or driver_for(db_type)
    user, password = _text(connection.get("user")), _text(connection.get("password"))
    host, port = _text(connection.get("host")), _port(connection)
    database, encoding = _text(connection.get("database")), _text(connection.get("encoding"))
    dsn = _text(connection.get("dsn"))
    query, connect_args = {}, {}

    if db_type == j.SQLITE:
        path = connection.get("database_path") or database
        if not path:
            raise JamDeployError(
                "the project's SQLite database file is not set (SYS_TASKS.F_ALIAS)")
        return URL.create(drivername, database=str(path)), connect_args

    if db_type == j.POSTGRESQL:
        # Jam.py passes dbname, user, password, host, port (no encoding); 7.0 a DSN if set.
        if dsn:
            connect_args["dsn"] = dsn
            host = port = database = None
    elif db_type == j.MYSQL:
        if encoding:  # Jam.py: charset=encoding (mysqlclient 2.x needs one for Jam.py 5.4)
            query["charset"] = encoding
    elif db_type == j.MSSQL:
        # pymssql takes the server as its host; Jam.py passes F_SERVER and F_HOST both.
        host = host or _text(connection.get("server"))
        if encoding:
            query["charset"] = encoding
    elif db_type == j.ORACLE:
        # F_ALIAS (or 7.0's F_DSN) is the Oracle DSN: a TNS alias or host:port/service.
        oracle_dsn = dsn or database
        if oracle_dsn:
            connect_args["dsn"] = oracle_dsn
        host = port = database = None
    elif db_type == j.FIREBIRD:
        if encoding:
            query["charset"] = encoding
    return (URL.create(drivername, username=user, password=password, host=host, port=port,
                       database=database, query=query), connect_args)


def describe(connection):
    """Where a connection goes, for messages: never the password."""
    db_type = connection.get("db_type")
    name = j.DB_TYPE_NAMES.get(db_type, str(db_type))
    if db_type == j.SQLITE:
        path = connection.get("database_path") or connection.get("database")
        return f"{name} database file {path}"
    parts = [f"host {_text(connection.get('host')) or '(default)'}",
             f"port {_text(connection.get('port')) or '(default)'}",
             f"database {_text(connection.get('database')) or '(not set)'}",
             f"user {_text(connection.get('user')) or '(not set)'}"]
    if _text(connection.get("server")):
        parts.insert(0, f"server {connection['server']}")
    if _text(connection.get("dsn")):
        parts.append(f"dsn {connection['dsn']}")
    return f"{name} database ({', '.join(parts)})"


def _scrub(text, connection):
    """Remove the password from a driver's message, should a driver ever echo it."""
    password = _text(connection.get("password"))
    text = str(text).strip()
    if password:
        text = text.replace(password, "***")
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)


def connect_error(connection, exc):
    """The JamDeployError for a failed connection: where, the driver's reason, what to check."""
    reason = str(getattr(exc, "orig", None) or exc).strip()
    if connection.get("db_type") == j.SQLITE:
        advice = "check that the file's folder exists and is writable by this user"
    else:
        advice = ("check that the server is running and reachable from this host, that the "
                  "database exists and that the user and password in the project's Database "
                  "dialog (SYS_TASKS) are accepted by the server")
    # A 7.0 DSN may carry a password too: the whole text is scrubbed.
    return JamDeployError(_scrub(f"cannot connect to the {describe(connection)}: {reason}; "
                                 f"{advice}", connection))


def _make_sqlite_ddl_transactional(engine):
    """SQLAlchemy's documented pysqlite recipe: the driver opens no transactions itself
    (it would not before DDL, so CREATE/ALTER/DROP were autocommitted) and SQLAlchemy emits
    BEGIN at the start of each transaction, so DDL rolls back with everything else.
    Foreign key enforcement stays at SQLite's default (off): table rebuilds drop and
    re-create referenced tables, which enforcement would turn into cascading deletes."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def _translate_connect_errors(engine, connection):
    """Connection failures (at any ``engine.connect()``) become a JamDeployError that says
    where we tried to connect and what to check."""
    from sqlalchemy import event

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        if context.connection is None:  # no Connection yet: connecting itself failed
            raise connect_error(connection, context.original_exception) from None


def create_engine(connection, **kwargs):
    """A SQLAlchemy Engine for the project's database (``Project.connection()``)."""
    import sqlalchemy

    url, connect_args = connection_url(connection)
    connect_args.update(kwargs.pop("connect_args", {}))
    try:
        engine = sqlalchemy.create_engine(url, connect_args=connect_args, **kwargs)
    except ImportError as exc:  # the dialect found but the driver would not import
        raise JamDeployError(
            f"the database driver for {url.drivername} could not be imported ({exc}); "
            f"install it for {sys.executable}") from None
    if connection.get("db_type") == j.SQLITE:
        _make_sqlite_ddl_transactional(engine)
    _translate_connect_errors(engine, connection)
    return engine


def check_connection(connection):
    """Connect once and run a trivial query; JamDeployError if that fails."""
    import sqlalchemy

    engine = create_engine(connection)
    try:
        with engine.connect() as conn:
            query = "SELECT 1 FROM DUAL" if connection.get("db_type") == j.ORACLE else \
                "SELECT 1 FROM RDB$DATABASE" if connection.get("db_type") == j.FIREBIRD else \
                "SELECT 1"
            conn.execute(sqlalchemy.text(query))
    except JamDeployError:
        raise
    except sqlalchemy.exc.DBAPIError as exc:
        raise connect_error(connection, exc) from None
    finally:
        engine.dispose()
