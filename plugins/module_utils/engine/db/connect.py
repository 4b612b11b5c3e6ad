"""SQLAlchemy engines for a project's database, built from its SYS_TASKS connection.

The drivers are the ones Jam.py itself uses (psycopg2, mysqlclient, pymssql, cx_Oracle/
oracledb, fdb), so whatever works for the running site works for us. URLs are built with
``URL.create`` (never by formatting strings): the password is escaped correctly and never
shows in the URL's ``repr``/``str`` nor in any message raised here.
"""
import importlib.util
import re
import sys

from ..errors import JamDeployError
from .dialects.base import setting
from .registry import dialect_for


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing
        return False


def driver_for(db_type):
    """The SQLAlchemy drivername to use for a ``db_type`` database; JamDeployError names
    what to install if none is."""
    dialect = dialect_for(db_type)
    if dialect.dialect_module is None or _installed(dialect.dialect_module):
        for drivername, module, _package in dialect.drivers:
            if _installed(module):
                return drivername
    wanted = " ".join(dialect.drivers[0][2])
    raise JamDeployError(
        f"the Python library for {dialect.name} databases is missing: install "
        f"{wanted} for the Python interpreter that runs this ({sys.executable}), e.g. "
        f"`{sys.executable} -m pip install {wanted}`")


def connection_url(connection, drivername=None):
    """``(URL, connect_args)`` for a project connection (``Project.connection()``).

    ``drivername`` defaults to the first installed driver (see ``driver_for``).
    """
    from sqlalchemy.engine import URL

    dialect = dialect_for(connection.get("db_type"))
    settings, connect_args = dialect.url_settings(connection)
    return URL.create(drivername or driver_for(dialect.code), **settings), connect_args


def describe(connection):
    """Where a connection goes, for messages: never the password."""
    return dialect_for(connection.get("db_type")).describe(connection)


def _scrub(text, connection):
    """Remove the password from a driver's message, should a driver ever echo it."""
    password = setting(connection.get("password"))
    text = str(text).strip()
    if password:
        text = text.replace(password, "***")
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)


def connect_error(connection, exc):
    """The JamDeployError for a failed connection: where, the driver's reason, what to check."""
    dialect = dialect_for(connection.get("db_type"))
    reason = str(getattr(exc, "orig", None) or exc).strip()
    # A 7.0 DSN may carry a password too: the whole text is scrubbed.
    return JamDeployError(_scrub(f"cannot connect to the {dialect.describe(connection)}: "
                                 f"{reason}; {dialect.connect_advice()}", connection))


def _translate_connect_errors(engine, connection):
    """Connection failures (at any ``engine.connect()``) become a JamDeployError that says
    where we tried to connect and what to check."""
    from sqlalchemy import event

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        if context.connection is None:  # no Connection yet: connecting itself failed
            raise connect_error(connection, context.original_exception) from None


def create_engine(connection, **kwargs):
    """A SQLAlchemy Engine for the project's database (``Project.connection()``); errors
    name what to install, where the connection went and what to check."""
    import sqlalchemy

    url, connect_args = connection_url(connection)
    connect_args.update(kwargs.pop("connect_args", {}))
    try:
        engine = sqlalchemy.create_engine(url, connect_args=connect_args, **kwargs)
    except ImportError as exc:  # the dialect found but the driver would not import
        raise JamDeployError(
            f"the database driver for {url.drivername} could not be imported ({exc}); "
            f"install it for {sys.executable}") from None
    dialect_for(connection["db_type"]).prepare_engine(engine)
    _translate_connect_errors(engine, connection)
    return engine


def check_connection(connection):
    """Connect once and run a trivial query; JamDeployError if that fails."""
    import sqlalchemy

    engine = create_engine(connection)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(dialect_for(connection["db_type"]).ping))
    except JamDeployError:
        raise
    except sqlalchemy.exc.DBAPIError as exc:
        raise connect_error(connection, exc) from None
    finally:
        engine.dispose()
