"""The databases Jam.py 7.0 added (Databricks, DuckDB, SQLCipher, MS Access): known by name
and by the identifier case Jam.py gives them, so their projects and archives are read and
their metadata converted; connecting to them is refused as not supported yet."""
from ...jam import defs as d
from .base import Dialect


class Databricks(Dialect):
    """Databricks SQL (``databricks_db``): lower-case names."""

    code = d.DATABRICKS
    not_supported_because = "there is no Databricks workspace to prove it against"


class DuckDB(Dialect):
    """DuckDB (``duck_db``): lower-case names."""

    code = d.DUCKDB
    python_libraries = ("file", "parquet", "httpfs")
    not_supported_because = (
        "no SQLAlchemy dialect for DuckDB works with the SQLAlchemy 2.1 the collection uses "
        "(duckdb-engine 0.17.0, the latest, cannot read a table's columns back)")


class SQLCipher(Dialect):
    """SQLite encrypted with SQLCipher (``sqlitecipher_db``): upper-case names, as SQLite."""

    code = d.SQLCIPHER
    upper_case_identifiers = True
    not_supported_because = "the collection does not open encrypted SQLite files"


class MSAccess(Dialect):
    """Microsoft Access (``access_db``, Windows only): upper-case names."""

    code = d.MSACCESS
    upper_case_identifiers = True
    not_supported_because = "Jam.py reaches Access databases on Windows only"
