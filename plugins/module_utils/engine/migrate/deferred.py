"""Drops left until running Jam.py processes have the new metadata (Jam.py 7.x).

Without a maintenance flag (``jam.protocol.LIVE``) a process keeps serving the old
metadata until the version bump makes it reload at its next /api request. A column or
table still in that metadata must exist until then, so dropping it waits: the rest of the
plan runs first, then admin.sqlite, the bump and the counters' settling time (in-flight
requests finish), then these drops - also a table rebuild (SQLite) that only drops
columns, indexes or foreign keys. A drop whose name the plan creates again stays in place.
The journal keeps them (as entries) for the run after a crash.
"""
from ..schema.compare import Unexpected
from .steps import (AddColumn, CreateSequence, CreateTable, DropColumn, DropSequence,
                    DropTable, RebuildTable, RenameColumn)


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


def _leaves(step):
    """[(what, table, name)] a step removes that a running process can still need - the
    schema objects left until it runs - or None when it must run in place."""
    if isinstance(step, DropColumn):
        return [("column", step.table, step.column.name)]
    if isinstance(step, DropTable):
        return [("table", None, step.table.name)]
    if isinstance(step, DropSequence):
        return [("sequence", None, step.name)]
    if isinstance(step, RebuildTable) and step.old.name == step.new.name:
        parts = [("column", step.old.columns, step.new.columns),
                 ("index", step.old.indexes, step.new.indexes),
                 ("foreign key", step.old.foreign_keys, step.new.foreign_keys)]
        if all(all(n in old for n in new) for unused, old, new in parts):  # only drops
            return [(what, step.old.name, o.name) for what, old, new in parts
                    for o in old if o not in new]
    return None


def split(rendered):
    """``rendered`` ((step, sqls) in plan order) → (the steps to run now, the entries to
    run later: {"leaves": [[what, table, name], ...], "sql": [...], "describe"}), both in
    plan order."""
    created = _created_names(step for step, unused in rendered)
    now, later = [], []
    for step, sqls in rendered:
        leaves = _leaves(step)
        if not leaves or any((what, (table or "").upper() or None, name.upper()) in created
                             for what, table, name in leaves):
            now.append((step, sqls))
        else:
            later.append({"leaves": [list(leaf) for leaf in leaves], "sql": list(sqls),
                          "describe": step.describe()})
    return now, later


def pending(difference, entries):
    """Whether ``difference`` (live schema against the desired one) is left until a
    deferred step runs: the database committed the rest of the import."""
    found = [difference.what, difference.table, difference.name]
    return isinstance(difference, Unexpected) and any(
        found in e["leaves"] for e in entries)


def still_there(entry, schema):
    """Whether a deferred step has still to run on the live ``schema`` (model.Schema)."""
    for what, table, name in entry["leaves"]:
        if what == "sequence" and name in schema.sequences:
            return True
        if what == "table" and name in schema.tables:
            return True
        found = schema.tables.get(table)
        if found is not None and name in {o.name for o in (
                found.columns if what == "column" else
                found.indexes if what == "index" else found.foreign_keys)}:
            return True
    return False


def drop(conn, entries, on_statement=lambda sql: None):
    """Run the entries' statements on ``conn`` (a SQLAlchemy connection, committed by the
    caller)."""
    for entry in entries:
        for sql in entry["sql"]:
            on_statement(sql)
            conn.exec_driver_sql(sql)
