"""Planning a data refresh: which tables and columns to copy, matched by item and field ID
(never by physical name), with their maskers, and in which order (tables after the tables
they reference; lookups inside a cycle, a self-reference included, deferred to a second
pass)."""
from dataclasses import dataclass, field

from ..errors import JamDeployError
from ..jam import defs as j
from ..schema.derive import schema_from_metadata
from .history import HistoryChanges


@dataclass
class TableCopy:
    """How one table is copied: its two sides, key, columns, maskers and references."""
    item_id: int
    item_name: str
    source_table: str
    target_table: str
    key: tuple             # (source pk column, target pk column), or None without a key
    columns: list          # [(source column, target column, field name)]
    deferred: set = field(default_factory=set)   # target columns written in a second pass
    masks: dict = field(default_factory=dict)    # target column -> masker
    lookups: list = field(default_factory=list)  # [(target column, referenced item id)]
    sequence: str = None   # PostgreSQL 5.4: the sequence behind the key
    depends_on: set = field(default_factory=set)
    files: dict = field(default_factory=dict)    # target column -> FILE or IMAGE

    def target_column(self, field_name):
        """The target column of a field (None when the field is not copied)."""
        return next((t for s, t, n in self.columns if n == field_name), None)

    def source_column(self, target_column):
        """The source column copied into ``target_column``."""
        return next(s for s, t, n in self.columns if t == target_column)


@dataclass
class CopyPlan:
    """The tables to copy, what is noted about the others, and the tables to empty."""
    tables: list           # TableCopy in dependency order
    notes: list = field(default_factory=list)
    cleared: list = field(default_factory=list)  # target tables emptied, not copied (locks)


def _referenced_table_item(metadata, item_id):
    """The item that owns the table behind ``item_id`` (a detail uses its table's item)."""
    item = metadata.items.get(item_id)
    if item and item.get("type_id") == j.DETAIL_TYPE:
        return item.get("table_id")
    return item_id


def plan_copy(source, target, source_db_type, target_db_type, masks=None, exclude=()):
    """Which tables and columns to copy, and in which order (``masks``: (item, field) →
    masker, as made by masking.parse_rules)."""
    masks = masks or {}
    source_tables = {t.item_id: t for t in schema_from_metadata(source, source_db_type)
                     .tables.values()}
    notes, copies, cleared, by_field = [], {}, [], {}
    excluded = _excluded_with_dependents(target, exclude, notes)
    for table in schema_from_metadata(target, target_db_type).tables.values():
        item = target.items[table.item_id]
        if item.get("sys_id") == j.LOCKS_SYS_ID:
            cleared.append(table.name)
            notes.append(f"{item['f_item_name']}: record locks cleared, not copied")
            continue
        if table.item_id in excluded:
            continue
        other = source_tables.get(table.item_id)
        if other is None:
            notes.append(f"{item['f_item_name']}: no table in the source; left as it is")
            continue
        copy = _table_copy(table, other, target, notes)
        by_field.update(_attach_masks(copy, table, masks))
        copies[table.item_id] = copy
    for copy in copies.values():
        for row, referenced in _lookup_fields(target, copy.item_id):
            column = copy.target_column(row["f_field_name"])
            if column and referenced in copies:
                copy.lookups.append((column, referenced))
                copy.depends_on.add(referenced)
    _mask_history(copies, target, by_field)
    unknown = {k for k in masks if not any(c.item_name == k[0] for c in copies.values())}
    notes += [f"{i}.{f}: masking rule for an item that is not copied" for i, f in sorted(unknown)]
    return CopyPlan(_in_dependency_order(copies), notes, cleared)


def _table_copy(table, other, target, notes):
    """The copy of one table: the columns both sides have, matched by field ID."""
    item_name = target.items[table.item_id]["f_item_name"]
    by_field = {c.field_id: c for c in other.columns}
    columns, files = [], {}
    for column in table.columns:
        row = target.fields[column.field_id]
        found = by_field.get(column.field_id)
        if found is None:
            notes.append(f"{item_name}.{row.get('f_field_name')}: not in the source; left empty")
            continue
        columns.append((found.name, column.name, row.get("f_field_name")))
        if row.get("f_data_type") in (j.FILE, j.IMAGE):
            files[column.name] = row["f_data_type"]
    key_target = next((c for c in table.columns if c.primary_key), None)
    key_source = next((c for c in other.columns if c.primary_key), None)
    return TableCopy(table.item_id, item_name, other.name, table.name,
                     (key_source.name, key_target.name) if key_source and key_target
                     else None, columns,
                     sequence=key_target.sequence if key_target else None, files=files)


def _attach_masks(copy, table, masks):
    """The copy's maskers by target column; returns them by field ID (for the history)."""
    unique = {cols[0][0] for cols in (i.columns for i in table.indexes if i.unique)
              if len(cols) == 1}
    field_ids = {c.name: c.field_id for c in table.columns}
    by_field = {}
    for source_column, target_column, name in copy.columns:
        masker = masks.get((copy.item_name, name))
        if masker is None:
            continue
        if target_column in unique and not masker.unique:
            raise JamDeployError(
                f"{copy.item_name}.{name} has a unique index but the {masker.rule!r} "
                "rule can give two rows the same value; use a rule that keeps values "
                "distinct (email, hash) for it")
        copy.masks[target_column] = masker
        by_field[field_ids[target_column]] = masker
    return by_field


def _lookup_fields(metadata, item_id):
    """(field row, referenced table item) of an item's lookup fields (not lookup lists of
    keys, not the master field of a lookup pair)."""
    owners = (item_id, metadata.items[item_id].get("parent"))
    for row in metadata.fields.values():
        if row.get("owner_rec_id") in owners and row.get("f_object") and \
                not row.get("f_master_field") and row.get("f_data_type") != j.KEYS:
            yield row, _referenced_table_item(metadata, row["f_object"])


def _excluded_with_dependents(metadata, exclude, notes):
    """The table items excluded by name, with every table that refers to one of them by a
    lookup or holds details of one (copied alone, their references would dangle)."""
    tables = {row["id"]: row for row in metadata.table_items()}
    by_name = {row["f_item_name"]: item_id for item_id, row in tables.items()}
    unknown = sorted(set(exclude) - set(by_name))
    if unknown:
        raise JamDeployError(f"exclude: no table item named {', '.join(unknown)} (items: "
                             f"{', '.join(sorted(by_name))})")
    excluded = {by_name[name] for name in exclude}
    notes += [f"{name}: excluded" for name in sorted(exclude)]
    grown = True
    while grown:
        grown = False
        for item_id, row in tables.items():
            reason = None if item_id in excluded else _refers_to(metadata, item_id, excluded)
            if reason:
                excluded.add(item_id)
                notes.append(f"{row['f_item_name']}: excluded too ({reason})")
                grown = True
    return excluded


def _refers_to(metadata, item_id, items):
    """Why the table of ``item_id`` depends on one of ``items`` (None: it does not)."""
    name = metadata.items[item_id]["f_item_name"]
    for row, referenced in _lookup_fields(metadata, item_id):
        if referenced in items:
            return (f"{name}.{row['f_field_name']} refers to "
                    f"{metadata.items[referenced]['f_item_name']}")
    for row in metadata.items.values():
        if row.get("type_id") == j.DETAIL_TYPE and row.get("table_id") == item_id and \
                row.get("parent") in items:
            return f"details of {metadata.items[row['parent']]['f_item_name']}"
    return None


def _mask_history(copies, metadata, by_field):
    """The history item's copy masks the recorded values of masked fields."""
    row = metadata.history_item()
    history = copies.get(row["id"]) if row else None
    if history is None or not by_field:
        return
    changes = history.target_column("changes")
    if changes and changes not in history.masks:
        history.masks[changes] = HistoryChanges(by_field)


def _in_dependency_order(copies):
    """Tables after the tables they reference; lookups inside a cycle are deferred."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components (dependencies come first)
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(copies[node].depends_on):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(copies):
        if node not in index:
            visit(node)
    ordered = []
    for component in components:
        members = set(component)
        for node in component:
            copy = copies[node]
            copy.deferred = {column for column, referenced in copy.lookups
                             if referenced in members}
            ordered.append(copy)
    return ordered
