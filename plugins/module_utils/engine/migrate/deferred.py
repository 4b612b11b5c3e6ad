"""Drops left until running Jam.py processes have the new metadata (Jam.py 7.x).

Without a maintenance flag (``jam.protocol.LIVE``) a process keeps serving the old
metadata until the version bump makes it reload at its next /api request. A column or
table still in that metadata must exist until then, so dropping it waits: the rest of the
plan runs first, then admin.sqlite, the bump and the counters' settling time (in-flight
requests finish), then these drops. A drop whose name the plan creates again stays in
place. The journal keeps them (as entries) for the run after a crash.
"""
from ..schema.compare import Unexpected
from .steps import (AddColumn, CreateSequence, CreateTable, DropColumn, DropSequence,
                    DropTable, RenameColumn)


def _created_names(steps):
    names = set()
    for step in steps:
        if isinstance(step, AddColumn):
            names.add(("column", step.table.upper(), step.column.name.upper()))
        elif isinstance(step, RenameColumn):
            names.add(("column", step.table.upper(), step.new.name.upper()))
        elif isinstance(step, CreateTable):
            names.add(("table", None, step.table.name.upper()))
        elif isinstance(step, CreateSequence):
            names.add(("sequence", None, step.name.upper()))
    return names


def _dropped(step):
    """(what, table, name) of a drop a running process can still need, else None."""
    if isinstance(step, DropColumn):
        return "column", step.table, step.column.name
    if isinstance(step, DropTable):
        return "table", None, step.table.name
    if isinstance(step, DropSequence):
        return "sequence", None, step.name
    return None


def split(rendered):
    """``rendered`` ((step, sqls) in plan order) → (the steps to run now, the entries to
    drop later: {"what", "table", "name", "sql": [...]}), both in plan order."""
    created = _created_names(step for step, unused in rendered)
    now, later = [], []
    for step, sqls in rendered:
        dropped = _dropped(step)
        if dropped is None or (dropped[0], (dropped[1] or "").upper() or None,
                               dropped[2].upper()) in created:
            now.append((step, sqls))
        else:
            what, table, name = dropped
            later.append({"what": what, "table": table, "name": name, "sql": list(sqls),
                          "describe": step.describe()})
    return now, later


def pending(difference, entries):
    """Whether ``difference`` (live schema against the desired one) is a drop still to
    run: the database committed the rest of the import."""
    return isinstance(difference, Unexpected) and any(
        e["what"] == difference.what and e["name"] == difference.name and
        e["table"] == difference.table for e in entries)


def drop(conn, entries, on_statement=lambda sql: None):
    """Run the entries' statements on ``conn`` (a SQLAlchemy connection, committed by the
    caller)."""
    for entry in entries:
        for sql in entry["sql"]:
            on_statement(sql)
            conn.exec_driver_sql(sql)
