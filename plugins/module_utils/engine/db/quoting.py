"""Identifiers as Jam.py writes them: always quoted, so names keep their exact case."""
try:
    from sqlalchemy.sql.elements import quoted_name
except ImportError:  # reported by requirements.require() before any SQL is built
    quoted_name = None


def q(name):
    """A name SQLAlchemy always quotes (in DDL, queries and table clauses)."""
    return quoted_name(name, True)


def sql_name(conn, name):
    """A name as SQL text for the database of ``conn``, quoted like ``q``."""
    return conn.dialect.identifier_preparer.quote(q(name))
