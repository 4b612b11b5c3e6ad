"""A rehearsal of the schema statements on an empty copy of the schema.

Where every DDL statement commits by itself (MySQL, MariaDB), an import failing half-way
leaves the statements before it applied. Running the plan first on a scratch database with
the same tables (structure only) catches most failures - invalid definitions, name
clashes, unsupported changes - while nothing of the project has changed. Failures that
depend on the rows are the data-loss guard's part. The dialect provides the scratch
database and the copy of the tables.
"""
from ..errors import JamDeployError


def rehearse(dialect, connection, statements, engine_factory):
    """Run ``statements`` on a scratch copy; returns "passed" or why it was skipped, and
    raises JamDeployError naming the statement that failed."""
    scratch = dialect.scratch_database(connection["database"])
    engine = engine_factory(connection)
    try:
        with engine.connect() as conn:
            try:
                dialect.create_database(conn, scratch)
            except Exception as exc:  # no privilege: the backups remain the safety net
                return (f"skipped: the database user cannot create `{scratch}` "
                        f"({getattr(exc, 'orig', exc)}); grant it ALL on that database to "
                        "rehearse imports")
            try:
                _run_on_copy(dialect, dict(connection, database=scratch),
                             dialect.table_definitions(conn), statements, engine_factory)
            finally:
                dialect.drop_database(conn, scratch)
    finally:
        engine.dispose()
    return "passed"


def _run_on_copy(dialect, connection, definitions, statements, engine_factory):
    engine = engine_factory(connection)
    try:
        with engine.connect() as conn:
            dialect.create_tables(conn, definitions)
            for sql in statements:
                try:
                    conn.exec_driver_sql(sql)
                except Exception as exc:  # the driver's error, reported with the statement
                    error = str(getattr(exc, "orig", exc)).strip()
                    raise JamDeployError(
                        f"the rehearsal on an empty copy of the schema failed at: {sql}\n"
                        f"{error}\nNothing was changed.") from None
    finally:
        engine.dispose()
