"""What an import changes, in Jam.py's terms: items, fields and indexes added, renamed,
changed and removed (by caption and name, from the admin row changes of the plan), the
tables its schema steps create, change and drop, and the whole in one line."""
from typing import NamedTuple

from .admin_changes import DELETE, INSERT, UPDATE
from .steps import CreateTable, DropTable, RebuildTable


class _Kind(NamedTuple):
    key: str          # in the summary
    noun: str         # singular, in the one line
    name_field: str   # its name (a change of it is a rename)


_KINDS = {"sys_items": _Kind("items", "item", "f_item_name"),
          "sys_fields": _Kind("fields", "field", "f_field_name"),
          "sys_indices": _Kind("indexes", "index", "f_index_name")}
_NOUNS = [(kind.key, kind.noun) for kind in _KINDS.values()] + [("tables", "table")]
_PLURALS = {"item": "items", "field": "fields", "index": "indexes", "table": "tables"}
_ACTIONS = (("added", "add"), ("renamed", "rename"), ("changed", "change"),
            ("removed", "remove"))


def summarize(plan, current, desired):
    """{items|fields|indexes|tables: {added|renamed|changed|removed: [label]}, counts:
    {same keys: {action: n}}} of a ``plan.Plan`` from ``current`` to ``desired``
    (Metadata); empty lists and keys left out."""
    found = {kind.key: {past: [] for past, verb in _ACTIONS} for kind in _KINDS.values()}
    for change in plan.admin:
        if change.table not in _KINDS or change.kind not in (INSERT, UPDATE, DELETE):
            continue
        key, name_field = _KINDS[change.table].key, _KINDS[change.table].name_field
        source = current if change.kind == DELETE else desired
        row = source.tables[change.table].rows.get(change.row_id) or change.values
        label = _label(change.table, row, source, current)
        if change.kind == INSERT:
            found[key]["added"].append(label)
        elif change.kind == DELETE:
            found[key]["removed"].append(label)
        elif name_field in change.values:
            found[key]["renamed"].append(
                f"{label}, was {change.old.get(name_field)}")
        else:
            found[key]["changed"].append(
                f"{label}: {', '.join(_plain(f) for f in sorted(change.values))}")
    found["tables"] = _tables(plan.steps)
    summary = {key: {a: labels for a, labels in actions.items() if labels}
               for key, actions in found.items()}
    summary = {key: actions for key, actions in summary.items() if actions}
    summary["counts"] = {key: {a: len(labels) for a, labels in actions.items()}
                         for key, actions in summary.items()}
    return summary


def _plain(field_name):
    return field_name[2:] if field_name.startswith("f_") else field_name


def _label(table, row, source, current):
    """'Caption (name)'; fields and indexes prefixed with their item's."""
    if table == "sys_items":
        return f"{row.get('f_name')} ({row.get('f_item_name')})"
    owner_id = row.get("owner_rec_id")
    owner = source.items.get(owner_id) or current.items.get(owner_id) or {}
    if table == "sys_fields":
        return (f"{owner.get('f_name')} / {row.get('f_name')} "
                f"({owner.get('f_item_name')}.{row.get('f_field_name')})")
    return f"{row.get('f_index_name')} of {owner.get('f_name')} ({owner.get('f_item_name')})"


def _tables(steps):
    """Tables created, changed (altered, indexed or rebuilt) and dropped by the steps."""
    added = [s.table.name for s in steps if isinstance(s, CreateTable)]
    removed = [s.table.name for s in steps if isinstance(s, DropTable)]
    changed = []
    for step in steps:
        if isinstance(step, RebuildTable):
            name = step.new.name
        else:
            table = getattr(step, "table", None)
            name = table if isinstance(table, str) else None
        if name and name not in added and name not in removed and name not in changed:
            changed.append(name)
    return {"added": added, "changed": changed, "removed": removed}


def one_line(summary, statements, admin_changes, files, check_mode):
    """The import in one line: 'would add 1 item, 2 fields; 3 SQL statements' (check mode),
    'imported: added ...' (a real run), 'nothing to import'."""
    counts = summary.get("counts", {})
    parts = []
    for action, verb in _ACTIONS:
        nouns = [_count(counts[key][action], noun) for key, noun in _NOUNS
                 if counts.get(key, {}).get(action)]
        if nouns:
            parts.append(f"{verb if check_mode else action} {', '.join(nouns)}")
    totals = [_count(n, noun, plural) for n, noun, plural in (
        (statements, "SQL statement", "SQL statements"),
        (admin_changes, "admin.sqlite change", "admin.sqlite changes"),
        (files, "file", "files")) if n]
    if not parts and not totals:
        return "nothing to import"
    text = "; ".join(parts + ([", ".join(totals)] if totals else []))
    if not check_mode:
        return f"imported: {text}"
    return f"would {text}" if parts else f"would import: {text}"


def _count(n, noun, plural=None):
    return f"{n} {noun if n == 1 else plural or _PLURALS[noun]}"
