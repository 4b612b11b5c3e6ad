"""A rehearsal of the schema statements on an empty copy of the schema (MySQL/MariaDB).

MySQL and MariaDB commit every DDL statement by itself, so an import failing half-way
leaves the statements before it applied. Running the plan first on a scratch database
with the same tables (structure only, made with SHOW CREATE TABLE) catches most
failures - invalid definitions, name clashes, unsupported changes - while nothing of the
project has changed. Failures that depend on the rows are the data-loss guard's part.
"""
from .errors import JamDeployError


def scratch_name(database):
    return f"{database[:47]}_jampy_rehearsal"


def rehearse(connection, statements, engine_factory):
    """Run ``statements`` on a scratch copy; returns "passed" or why it was skipped, and
    raises JamDeployError naming the statement that failed."""
    scratch = scratch_name(connection["database"])
    engine = engine_factory(connection)
    try:
        with engine.connect() as conn:
            try:
                conn.exec_driver_sql(f"CREATE DATABASE `{scratch}`")
            except Exception as exc:  # no privilege: the backups remain the safety net
                return (f"skipped: the database user cannot create `{scratch}` "
                        f"({getattr(exc, 'orig', exc)}); grant it ALL on that database to "
                        "rehearse imports")
            try:
                tables = [row[0] for row in conn.exec_driver_sql("SHOW FULL TABLES WHERE "
                                                                 "Table_type = 'BASE TABLE'")]
                creates = [conn.exec_driver_sql(f"SHOW CREATE TABLE `{t}`").fetchone()[1]
                           for t in tables]
                _run_on_copy(dict(connection, database=scratch), creates, statements,
                             engine_factory)
            finally:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{scratch}`")
    finally:
        engine.dispose()
    return "passed"


def _run_on_copy(connection, creates, statements, engine_factory):
    engine = engine_factory(connection)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            for sql in creates:
                conn.exec_driver_sql(sql)
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
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
