"""Row changes that bring a project's admin tables to the imported metadata.

Rows are matched by ID, as Jam.py does; a row is written only when a copied value
differs, so re-importing the same metadata yields no change at all (facts §4.4).
"""
from dataclasses import dataclass, field
from typing import Optional

from . import jamdefs

INSERT, UPDATE, DELETE, PURGE = "insert", "update", "delete", "purge"


@dataclass
class RowChange:
    table: str              # admin item name, e.g. "sys_fields"
    kind: str               # insert / update / delete / purge
    row_id: Optional[int]   # None for purge
    values: dict = field(default_factory=dict)  # insert: all values; update: new values
    old: dict = field(default_factory=dict)     # update / delete: previous values

    def describe(self):
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
        hidden = jamdefs.HIDDEN_FIELDS.get(name, frozenset())
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


def _sqlite_type(value):
    if isinstance(value, (bool, int)):
        return "INTEGER"
    return "REAL" if isinstance(value, float) else "TEXT"


def admin_statements(changes, columns):
    """(sql, params) for sqlite3; ``columns`` maps TABLE → its actual column names.

    A column the imported rows fill but this admin.sqlite lacks is added first, as Jam.py
    adds the columns of its admin items at every start (e.g. F_TEXTAREA, which a project
    never started by Jam.py does not have yet).
    """
    quoted = {table: {c.upper(): f'"{c}"' for c in names} for table, names in columns.items()}
    statements = []
    for change in changes:
        table = change.table.upper()
        actual = quoted[table]
        for name, value in change.values.items():
            if name.upper() not in actual and value is not None:
                column = name.upper()
                statements.append((f'ALTER TABLE "{table}" ADD COLUMN "{column}" '
                                   f'{_sqlite_type(value)}', ()))
                actual[column] = f'"{column}"'
        if change.kind == PURGE:
            statements.append((f'DELETE FROM "{table}" WHERE "DELETED" = 1', ()))
        elif change.kind == DELETE:
            statements.append((f'DELETE FROM "{table}" WHERE "ID" = ?', (change.row_id,)))
        else:
            names = [n for n in change.values if n.upper() in actual]
            values = tuple(change.values[n] for n in names)
            if change.kind == INSERT:
                statements.append((
                    f'INSERT INTO "{table}" ({", ".join(actual[n.upper()] for n in names)}) '
                    f'VALUES ({", ".join("?" * len(names))})', values))
            elif names:
                assignments = ", ".join(actual[n.upper()] + " = ?" for n in names)
                statements.append((f'UPDATE "{table}" SET {assignments} WHERE "ID" = ?',
                                   values + (change.row_id,)))
    return statements
