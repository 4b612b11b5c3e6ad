"""A project's own database, reached the way the engine reaches it (its SYS_TASKS
connection), for tests that look at it or change it outside Jam.py."""
from sqlalchemy import text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)


def reflect(project):
    """The project database's live schema (``schema.model.Schema``)."""
    connection = Project(project).connection()
    engine = create_engine(connection)
    try:
        return reflect_schema(engine, connection["db_type"])
    finally:
        engine.dispose()


def sql(project, statements):
    """Run plain SQL outside Jam.py, in one transaction; the rows of the last statement."""
    engine = create_engine(Project(project).connection())
    try:
        with engine.begin() as conn:
            for statement in statements:
                result = conn.execute(text(statement))
            return [tuple(r) for r in result] if result.returns_rows else None
    finally:
        engine.dispose()


def names(kind):
    """Table and column names as Jam.py makes them on the database of ``kind``."""
    return (lambda n: n.upper()) if kind == "sqlite" else (lambda n: n.lower())
