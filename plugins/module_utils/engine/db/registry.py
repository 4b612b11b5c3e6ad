"""The dialect of each Jam.py database type. A new database is one more module in
``dialects/`` and one more entry here."""
from ..errors import JamDeployError
from .dialects.firebird import Firebird
from .dialects.mssql import MSSQL
from .dialects.mysql import MySQL
from .dialects.oracle import Oracle
from .dialects.postgresql import PostgreSQL
from .dialects.sqlite import SQLite

DIALECTS = {dialect.code: dialect for dialect in (
    SQLite(), PostgreSQL(), MySQL(), Firebird(), Oracle(), MSSQL())}


def dialect_for(db_type):
    """The ``Dialect`` of a Jam.py database type; JamDeployError for a type Jam.py does not
    know (a project whose connection is not set yet)."""
    dialect = DIALECTS.get(db_type)
    if dialect is None:
        raise JamDeployError(
            f"the project's database type {db_type!r} is not one Jam.py knows; complete the "
            "project (its database connection) in the Application Builder first")
    return dialect
