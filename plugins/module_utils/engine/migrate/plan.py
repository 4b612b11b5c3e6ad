"""Compare → Plan: typed steps that take a project database and admin.sqlite from their
current metadata to the imported one. The plan is data; ``render`` renders it as SQL.

Schema objects are matched by the IDs of the admin rows behind them (table = item ID,
column = field ID, index or foreign key = index ID), as Jam.py matches rows, so a
renamed column is a rename and not a drop and an add. Jam.py quirks fixed here on
purpose: a changed index or foreign key is dropped and re-created (Jam.py only updates
the admin row); a changed column size or type is altered (Jam.py fails or ignores it);
on a database that rebuilds tables (SQLite) tables are rebuilt when a column is dropped,
renamed, retyped or given another default (as Jam.py 7.0's Builder does), or a foreign
key changes (Jam.py refuses to import into a SQLite
project that has tables).
"""
from dataclasses import dataclass

from ..db.registry import dialect_for
from ..errors import JamDeployError
from ..schema.derive import schema_from_metadata
from .admin_changes import admin_changes
from .steps import (AddColumn, AddForeignKey, AlterColumnDefault, AlterColumnType, CreateIndex,
                    CreateSequence,
                    CreateTable, DropColumn, DropForeignKey, DropIndex, DropSequence, DropTable,
                    RebuildTable, RenameColumn, SequenceOwnedBy)


def check_integrity(current, archived, replace_retyped=False):
    """Jam.py's rule: an item ID keeps its type and its table (facts §4.3); JamDeployError
    lists every item that breaks it. With ``replace_retyped`` an item ID reused for another
    item type is allowed: the IDs of those items are returned (the old item is dropped and
    the new one created, ``build_plan``)."""
    errors, retyped = [], set()
    for item_id, old in current.items.items():
        new = archived.items.get(item_id)
        if new is None:
            continue
        if old.get("type_id") != new.get("type_id"):
            if replace_retyped:
                retyped.add(item_id)
                continue
            errors.append(f"Items with ID {item_id} ({old.get('f_item_name')}, "
                          f"{new.get('f_item_name')}) have different type values; set "
                          "replace_retyped_items to drop the old item (its table and rows, "
                          "refused while it holds rows unless allow_data_loss is set) and "
                          "create the new one")
        elif old.get("f_table_name") and (old["f_table_name"] or "").upper() != (
                new.get("f_table_name") or "").upper():
            errors.append(f"Items with ID {item_id} ({old.get('f_item_name')}, "
                          f"{new.get('f_item_name')}) have different database tables "
                          f"({old.get('f_table_name')}, {new.get('f_table_name')})")
    if errors:
        raise JamDeployError("the archive does not fit this project (nothing was changed):\n"
                             + "\n".join(errors))
    return retyped


@dataclass
class Plan:
    """The schema steps and admin row changes of an import, with the two schemas."""
    steps: list                     # schema steps, in execution order
    admin: list                     # admin_changes.RowChange
    current_schema: object = None
    desired_schema: object = None

    @property
    def empty(self):
        """Nothing to change (an import of the same metadata)."""
        return not self.steps and not self.admin

    def existing_tables_changed(self):
        """Tables that exist now and that the steps alter, drop or index (what a backup of
        a database without transactional DDL must hold)."""
        names = set()
        for step in self.steps:
            if isinstance(step, (CreateTable, CreateSequence, DropSequence, SequenceOwnedBy)):
                continue
            table = step.old if isinstance(step, RebuildTable) else step.table
            name = table if isinstance(table, str) else table.name
            if name in self.current_schema.tables:
                names.add(name)
        return sorted(names)

    def summary(self):
        """Counts of schema steps by kind and of admin changes by table and kind."""
        counts = {}
        for step in self.steps:
            name = type(step).__name__
            counts[name] = counts.get(name, 0) + 1
        admin = {}
        for change in self.admin:
            key = f"{change.table}.{change.kind}"
            admin[key] = admin.get(key, 0) + 1
        return {"schema": counts, "admin": admin}


def build_plan(current, desired, db_type, soft_deleted=None, repair=frozenset(),
               repair_now=False, replaced=frozenset(), leftovers=None):
    """Plan from the project's ``current`` metadata to ``desired`` (see incoming.prepare)
    on a ``db_type`` database; ``soft_deleted``: {admin item: rows marked deleted};
    ``repair``, ``repair_now``, ``replaced``, ``leftovers``: see ``schema_steps``."""
    old = schema_from_metadata(current, db_type)
    new = schema_from_metadata(desired, db_type)
    steps = schema_steps(old, new, dialect_for(db_type), repair, repair_now, replaced,
                         leftovers)
    return Plan(steps, admin_changes(current, desired, soft_deleted or {}), old, new)


def _by(items, key):
    return {getattr(i, key): i for i in items if getattr(i, key) is not None}


def schema_steps(old, new, dialect, repair=frozenset(), repair_now=False,
                 replaced=frozenset(), leftovers=None):
    """The steps from the schema ``old`` to ``new``, in a safe order: drop foreign keys →
    drop indexes → drop tables → column changes → create tables → create indexes → add
    foreign keys. ``repair``: names of tables whose live state a rebuild repairs
    (``omissions``); on a table-rebuild database they are rebuilt when they change at all,
    or with ``repair_now`` in any case; ``leftovers``: {table name: indexes the live table
    has and no metadata defines}, dropped then (a rebuild leaves them out). ``replaced``:
    IDs of items whose old table is dropped and new one created (an item ID reused for
    another item type)."""
    inline, rebuilds = dialect.inline_foreign_keys, dialect.rebuilds_tables
    old_tables, new_tables = _by(old.tables.values(), "item_id"), _by(new.tables.values(), "item_id")
    drop_fks, drop_indexes, drop_tables, columns, creates, add_indexes, add_fks = (
        [], [], [], [], [], [], [])

    for item_id, table in old_tables.items():
        if item_id not in new_tables or item_id in replaced:
            drop_tables.append(DropTable(table))
            drop_tables.extend(DropSequence(c.sequence) for c in table.columns if c.sequence)

    for item_id, table in new_tables.items():
        before = None if item_id in replaced else old_tables.get(item_id)
        if before is None:
            creates.extend(_create_table(table, inline))
            add_indexes.extend(CreateIndex(table.name, i) for i in table.indexes)
            if not inline:
                add_fks.extend(AddForeignKey(table.name, fk) for fk in table.foreign_keys)
            continue
        column_steps, rebuild = _column_steps(before, table)
        removed_i, added_i = _changed(before.indexes, table.indexes, "index_id")
        removed_f, added_f = _changed(before.foreign_keys, table.foreign_keys, "index_id")
        repaired = before.name in repair and (
            repair_now or column_steps or removed_i or added_i)
        if rebuilds and (rebuild or removed_f or added_f or repaired):
            columns.append(_rebuild(before, table))  # indexes and FKs come with the rebuild
            continue
        columns.extend(column_steps)
        drop_indexes.extend(DropIndex(before.name, i) for i in removed_i)
        if repaired:
            drop_indexes.extend(DropIndex(before.name, i)
                                for i in (leftovers or {}).get(before.name, ()))
        add_indexes.extend(CreateIndex(table.name, i) for i in added_i)
        drop_fks.extend(DropForeignKey(before.name, fk) for fk in removed_f)
        add_fks.extend(AddForeignKey(table.name, fk) for fk in added_f)

    return drop_fks + drop_indexes + drop_tables + columns + creates + add_indexes + add_fks


def _create_table(table, inline_foreign_keys):
    sequences = [c for c in table.columns if c.sequence]
    steps = [CreateSequence(c.sequence) for c in sequences]
    steps.append(CreateTable(table, inline_foreign_keys=inline_foreign_keys))
    steps.extend(SequenceOwnedBy(c.sequence, table.name, c.name) for c in sequences)
    return steps


def _changed(before, after, key):
    """(removed, added) by ID; a definition that changed counts as both."""
    old, new = _by(before, key), _by(after, key)
    removed = [o for k, o in old.items() if k not in new or new[k] != o]
    added = [n for k, n in new.items() if k not in old or old[k] != n]
    return removed, added


def _column_steps(before, after):
    """Column steps, and whether a table-rebuild database needs a rebuild for them."""
    old, new = _by(before.columns, "field_id"), _by(after.columns, "field_id")
    steps, rebuild = [], False
    for field_id, column in old.items():
        if field_id not in new:
            steps.append(DropColumn(before.name, column))
            rebuild = True
    for field_id, column in new.items():
        previous = old.get(field_id)
        if previous is None:
            steps.append(AddColumn(after.name, column))
            continue
        if previous.name != column.name:
            steps.append(RenameColumn(after.name, previous, column))
            rebuild = True
        if previous.type != column.type:
            steps.append(AlterColumnType(after.name, previous, column))
            rebuild = True
        if previous.default != column.default:
            steps.append(AlterColumnDefault(after.name, previous, column))
            rebuild = True
    return steps, rebuild


def _rebuild(before, after):
    old = _by(before.columns, "field_id")
    copy = tuple((c.name, old[c.field_id].name) for c in after.columns if c.field_id in old)
    return RebuildTable(before, after, copy)
