"""Checks on the live database before an import changes it.

Drift: the live schema against the one the project's current metadata implies (objects
made outside the Builder, half-applied changes). Data loss: plan steps that would drop
tables or columns holding rows, or shrink a text column below its longest value.
"""
import re

from . import jamdefs as j
from .ddl import q
from .plan import AlterColumnType, DropColumn, DropTable, RebuildTable
from .reflect import compare_schemas, reflect_schema

DRIFT_POLICIES = ("fail", "adopt", "ignore")
_EXTRA = ": not expected, found"
_SIZE = re.compile(r"^N?VARCHAR2?\((\d+)\)$")


def drift(conn, db_type, expected):
    """Differences between the live schema and ``expected`` (readable lines)."""
    return compare_schemas(expected, reflect_schema(conn, db_type))


def harmless(difference, db_type):
    """Differences an import can live with: objects the database has beyond the metadata
    (kept as they are), and the foreign keys Jam.py's own import never creates in SQLite."""
    if difference.endswith(_EXTRA):
        return True
    return db_type == j.SQLITE and " foreign key " in f" {difference}" and \
        difference.endswith(": missing")


def _count(conn, table_name, column_name=None):
    from sqlalchemy import column, func, select, table

    counted = func.count(column(q(column_name))) if column_name else func.count()
    return conn.execute(select(counted).select_from(table(q(table_name)))).scalar()


def _longest(conn, table_name, column_name, db_type):
    from sqlalchemy import column, func, select, table

    length = func.length if db_type == j.SQLITE else func.char_length
    return conn.execute(select(func.max(length(column(q(column_name)))))
                        .select_from(table(q(table_name)))).scalar() or 0


def data_loss(conn, plan, db_type):
    """Readable lines for every step of ``plan`` that would lose stored values."""
    lost = []
    for step in plan.steps:
        if isinstance(step, DropTable):
            rows = _count(conn, step.table.name)
            if rows:
                lost.append(f"table {step.table.name} would be dropped with its {rows} rows")
        elif isinstance(step, DropColumn):
            lost += _column_loss(conn, step.table, step.column.name)
        elif isinstance(step, RebuildTable):
            kept = {old for new, old in step.copy_columns}
            for dropped in (c.name for c in step.old.columns if c.name not in kept):
                lost += _column_loss(conn, step.old.name, dropped)
        elif isinstance(step, AlterColumnType):
            old, new = _SIZE.match(step.old.type), _SIZE.match(step.new.type)
            if old and new and int(new.group(1)) < int(old.group(1)):
                longest = _longest(conn, step.table, step.old.name, db_type)
                if longest > int(new.group(1)):
                    lost.append(f"column {step.table}.{step.old.name} would shrink to "
                                f"{new.group(1)} characters but holds values of {longest}")
    return lost


def _column_loss(conn, table_name, column_name):
    values = _count(conn, table_name, column_name)
    if not values:
        return []
    return [f"column {table_name}.{column_name} would be dropped with its {values} values"]
