"""Row changes that bring a project's admin tables to the imported metadata.

Rows are matched by ID, as Jam.py does; a row is written only when a copied value
differs, so re-importing the same metadata yields no change at all (facts §4.4).
"""
import operator
from dataclasses import dataclass, field
from typing import Optional

from ..jam import defs

INSERT, UPDATE, DELETE, PURGE = "insert", "update", "delete", "purge"


@dataclass
class RowChange:
    """One admin row inserted, updated, deleted, or the rows marked deleted purged."""
    table: str              # admin item name, e.g. "sys_fields"
    kind: str               # insert / update / delete / purge
    row_id: Optional[int]   # None for purge
    values: dict = field(default_factory=dict)  # insert: all values; update: new values
    old: dict = field(default_factory=dict)     # update / delete: previous values

    def describe(self):
        """The change in one readable line."""
        if self.kind == PURGE:
            return f"{self.table}: remove {self.values['rows']} rows marked deleted"
        if self.kind == UPDATE:
            changed = ", ".join(f"{k}: {_short(self.old.get(k))} → {_short(v)}"
                                for k, v in self.values.items())
            return f"{self.table} {self.row_id}: {changed}"
        row = self.values if self.kind == INSERT else self.old
        label = row.get("f_item_name") or row.get("f_field_name") or row.get("f_index_name") \
            or row.get("f_name") or ""
        return f"{self.table} {self.row_id}: {self.kind} {label}".rstrip()


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _same(a, b):
    """Equal as stored values: 1 == 1.0 == True, but '1' differs from 1."""
    a, b = (int(v) if isinstance(v, bool) else v for v in (a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def admin_changes(current, desired, soft_deleted):
    """Changes from ``current`` (rows not marked deleted) to ``desired``.

    ``soft_deleted`` = {table: count of DELETED = 1 rows}; Jam.py's import removes them.
    """
    changes = []
    for name, target in desired.tables.items():
        if soft_deleted.get(name):
            changes.append(RowChange(name, PURGE, None, {"rows": soft_deleted[name]}))
        old_rows = current.tables[name].rows
        hidden = defs.HIDDEN_FIELDS.get(name, frozenset())
        for row_id, old in old_rows.items():
            if row_id not in target.rows:
                changes.append(RowChange(name, DELETE, row_id, old=old))
        for row_id, new in target.rows.items():
            old = old_rows.get(row_id)
            if old is None:
                changes.append(RowChange(name, INSERT, row_id, values=dict(new)))
                continue
            diff = {f: v for f, v in new.items()
                    if f not in hidden and f != "id" and not _same(old.get(f), v)}
            if diff:
                changes.append(RowChange(name, UPDATE, row_id, values=diff,
                                         old={f: old.get(f) for f in diff}))
    return changes


def _getter(names):
    """values → tuple of the named values, in order (itemgetter returns a bare value for one
    name)."""
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return operator.itemgetter(*names) if names else (lambda values: ())


def _sqlite_type(value):
    if isinstance(value, (bool, int)):
        return "INTEGER"
    return "REAL" if isinstance(value, float) else "TEXT"


def admin_statements(changes, columns):
    """(sql, params) for sqlite3; ``columns`` maps TABLE → its actual column names.

    A column the imported rows fill but this admin.sqlite lacks is added first, as Jam.py
    adds the columns of its admin items at every start (e.g. F_TEXTAREA, which a project
    never started by Jam.py does not have yet). Statement texts are built once per table
    and field list (an import of a large project inserts thousands of alike rows).
    """
    quoted = {table: {c.upper(): f'"{c}"' for c in names} for table, names in columns.items()}
    texts, missing = {}, {}
    statements = []
    for change in changes:
        table = change.table.upper()
        actual = quoted[table]
        if change.kind == PURGE:
            statements.append((f'DELETE FROM "{table}" WHERE "DELETED" = 1', ()))
            continue
        if change.kind == DELETE:
            statements.append((f'DELETE FROM "{table}" WHERE "ID" = ?', (change.row_id,)))
            continue
        fields = tuple(change.values)
        absent = missing.get((table, fields))
        if absent is None:
            absent = missing[(table, fields)] = [n for n in fields if n.upper() not in actual]
        for name in absent:
            column, value = name.upper(), change.values[name]
            if column not in actual and value is not None:
                statements.append((f'ALTER TABLE "{table}" ADD COLUMN "{column}" '
                                   f'{_sqlite_type(value)}', ()))
                actual[column] = f'"{column}"'
                texts.clear()
        key = (table, change.kind, fields)
        if key not in texts:
            names = [n for n in change.values if n.upper() in actual]
            if change.kind == INSERT:
                sql = (f'INSERT INTO "{table}" ({", ".join(actual[n.upper()] for n in names)}) '
                       f'VALUES ({", ".join("?" * len(names))})')
            else:
                assignments = ", ".join(actual[n.upper()] + " = ?" for n in names)
                sql = f'UPDATE "{table}" SET {assignments} WHERE "ID" = ?' if names else None
            texts[key] = (sql, _getter(names))
        sql, values_of = texts[key]
        if sql is None:
            continue
        values = values_of(change.values)
        statements.append((sql, values if change.kind == INSERT else values + (change.row_id,)))
    return statements
