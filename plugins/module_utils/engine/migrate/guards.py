"""Checks on the live database before an import changes it.

Drift: the live schema against the one the project's current metadata implies (objects
made outside the Builder, half-applied changes), refused or tolerated by a policy. Data
loss: plan steps that would drop tables or columns holding rows, or shrink a text column
below its longest value.
"""
import re

from ..db.quoting import q
from ..errors import JamDeployError
from ..schema.compare import Changed, Unexpected, differences
from ..schema.reflect import reflect_schema
from .steps import AlterColumnType, DropColumn, DropTable, RebuildTable

DRIFT_POLICIES = ("fail", "adopt", "ignore")
_SIZE = re.compile(r"^N?VARCHAR2?\((\d+)\)$")


def drift(conn, dialect, expected):
    """Differences (``schema.compare``) between the live schema and ``expected``."""
    return differences(expected, reflect_schema(conn, dialect.code))


def adoptable(difference):
    """Differences ``adopt`` lives with: objects the database has beyond the metadata (kept
    as they are) and column defaults (Jam.py writes every value of a record it inserts;
    tables of a project upgraded from 5.4 have none)."""
    return isinstance(difference, Unexpected) or (
        isinstance(difference, Changed) and difference.aspect == "default")


def blocking(found, policy):
    """The differences ``policy`` (one of DRIFT_POLICIES) refuses to import over."""
    if policy == "fail":
        return list(found)
    if policy == "adopt":
        return [d for d in found if not adoptable(d)]
    return []


def check_drift(found, policy):
    """JamDeployError listing the differences ``policy`` refuses, if any (Jam.py's known
    omissions are not drift: ``omissions.recognise`` takes them out first)."""
    refused = blocking(found, policy)
    if refused:
        raise JamDeployError(
            "the project database differs from what the project's metadata describes "
            "(changed outside the Builder?); nothing was changed:\n  "
            + "\n  ".join(map(str, refused))
            + "\nFix the database, or set drift to adopt (keep objects the metadata "
              "does not know) or ignore.")


def check_data_loss(lost, allowed):
    """JamDeployError listing the values the plan destroys, unless ``allowed``."""
    if lost and not allowed:
        raise JamDeployError(
            "the import would destroy stored data; nothing was changed:\n  "
            + "\n  ".join(lost)
            + "\nBack the data up and set allow_data_loss to go ahead.")


def _count(conn, table_name, column_name=None):
    from sqlalchemy import column, func, select, table

    counted = func.count(column(q(column_name))) if column_name else func.count()
    return conn.execute(select(counted).select_from(table(q(table_name)))).scalar()


def _longest(conn, table_name, column_name, dialect):
    from sqlalchemy import column, func, select, table

    return conn.execute(select(func.max(dialect.text_length(column(q(column_name)))))
                        .select_from(table(q(table_name)))).scalar() or 0


def data_loss(conn, plan, dialect):
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
                longest = _longest(conn, step.table, step.old.name, dialect)
                if longest > int(new.group(1)):
                    lost.append(f"column {step.table}.{step.old.name} would shrink to "
                                f"{new.group(1)} characters but holds values of {longest}")
    return lost


def _column_loss(conn, table_name, column_name):
    values = _count(conn, table_name, column_name)
    if not values:
        return []
    return [f"column {table_name}.{column_name} would be dropped with its {values} values"]


def dangling_references(conn, table):
    """Lines for the rows of ``table`` (a model.Table) whose foreign key values point at no
    row: a foreign key created now keeps them, but such a value cannot be saved again."""
    from sqlalchemy import and_, column, func, not_, select, table as sql_table

    lines = []
    for fk in table.foreign_keys:
        ref = select(column(q(fk.ref_columns[0]))).select_from(sql_table(q(fk.ref_table)))
        key = column(q(fk.columns[0]))
        rows = conn.execute(select(func.count()).select_from(sql_table(q(table.name))).where(
            and_(key.isnot(None), not_(key.in_(ref))))).scalar()
        if rows:
            lines.append(f"table {table.name}: {rows} rows have a {fk.columns[0]} that no "
                         f"{fk.ref_table} row has; the foreign key keeps them, but a change "
                         "of that field must name an existing row")
    return lines
