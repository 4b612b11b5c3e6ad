"""The dialect of each Jam.py database type. A new database is one more module in
``dialects/`` and one more entry here."""
from ..errors import JamDeployError
from .dialects.firebird import Firebird
from .dialects.mssql import MSSQL
from .dialects.mysql import MySQL
from .dialects.oracle import Oracle
from .dialects.postgresql import PostgreSQL
from .dialects.sqlite import SQLite
from .dialects.unsupported import Databricks, DuckDB, MSAccess, SQLCipher

DIALECTS = {dialect.code: dialect for dialect in (
    SQLite(), PostgreSQL(), MySQL(), Firebird(), Oracle(), MSSQL(),
    Databricks(), DuckDB(), SQLCipher(), MSAccess())}


def dialect_for(db_type):
    """The ``Dialect`` of a Jam.py database type; JamDeployError for a type Jam.py does not
    know (a project whose connection is not set yet)."""
    dialect = DIALECTS.get(db_type)
    if dialect is None:
        raise JamDeployError(
            f"the project's database type {db_type!r} is not one Jam.py knows; complete the "
            "project (its database connection) in the Application Builder first")
    return dialect


def supported_dialect(db_type, action):
    """``dialect_for(db_type)`` for ``action`` (what the caller is about to do to that
    database, "importing into"); JamDeployError naming the type when the collection does
    not support it yet. Called before anything changes."""
    dialect = dialect_for(db_type)
    if dialect.not_supported_because:
        raise JamDeployError(
            f"{action} a {dialect.name} database (Jam.py database type {dialect.code}) is not "
            f"supported yet: {dialect.not_supported_because}. Nothing was changed; use a "
            "SQLite, PostgreSQL or MySQL/MariaDB database for this project, or Jam.py's own "
            "Application Builder")
    return dialect
