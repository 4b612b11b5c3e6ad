"""Differences between an expected schema (from metadata) and an actual one (reflected, or
derived from other metadata), as typed values.

``differences`` lists them; drift policies act on their types (``Missing``, ``Unexpected``,
``Changed``) and people read them as sentences (``str``, ``compare_schemas``).
"""
from dataclasses import dataclass

from .defaults import describe as describe_default


@dataclass(frozen=True)
class Difference:
    """One schema object that differs: ``what`` is table, column, index, foreign key or
    sequence; ``table`` the table it belongs to (None for tables and sequences); ``detail``
    describes it where its name alone does not."""

    what: str
    name: str
    table: str = None
    detail: str = ""

    def _subject(self):
        words = [self.what] + [w for w in (self.name, self.detail) if w]
        subject = " ".join(words)
        return f"table {self.table}: {subject}" if self.table else subject


@dataclass(frozen=True)
class Missing(Difference):
    """Expected, not found."""

    def __str__(self):
        return f"{self._subject()}: missing"


@dataclass(frozen=True)
class Unexpected(Difference):
    """Found, not expected (the database has more than the metadata describes)."""

    def __str__(self):
        return f"{self._subject()}: not expected, found"


@dataclass(frozen=True)
class Changed(Difference):
    """Found with another definition: ``aspect`` names what differs."""

    aspect: str = ""
    expected: str = ""
    found: str = ""

    def __str__(self):
        return f"{self._subject()}: {self.expected} expected, {self.found} found"


def differences(expected, actual):
    """The differences between two ``model.Schema``; an empty list means they match."""
    found = []
    for name in sorted(set(expected.tables) | set(actual.tables)):
        want, have = expected.tables.get(name), actual.tables.get(name)
        if have is None:
            found.append(Missing("table", name))
        elif want is None:
            found.append(Unexpected("table", name))
        else:
            found.extend(_compare_table(want, have))
    found.extend(Missing("sequence", s) for s in sorted(expected.sequences - actual.sequences))
    found.extend(Unexpected("sequence", s) for s in sorted(actual.sequences - expected.sequences))
    return found


def compare_schemas(expected, actual):
    """The differences between two schemas as sentences (empty: they match)."""
    return [str(d) for d in differences(expected, actual)]


def _compare_table(want, have):
    table = want.name
    found = []
    want_cols = {c.name: c for c in want.columns}
    have_cols = {c.name: c for c in have.columns}
    found.extend(Missing("column", name, table) for name in want_cols if name not in have_cols)
    found.extend(Unexpected("column", name, table, have_cols[name].type)
                 for name in have_cols if name not in want_cols)
    for name, w in want_cols.items():
        h = have_cols.get(name)
        if h is not None:
            found.extend(Changed("column", name, table, aspect=aspect, expected=e, found=f)
                         for aspect, e, f in _compare_column(w, h))
    found.extend(_compare_indexes(table, want.indexes, have.indexes))
    found.extend(_compare_foreign_keys(table, want.foreign_keys, have.foreign_keys))
    return found


def _flag(value, text):
    return text if value else f"no {text}"


def _sequence(name):
    return f"default nextval({name})" if name else "no sequence default"


_NULLABLE = {True: "nullable", False: "NOT NULL"}


def _compare_column(w, h):
    """(aspect, expected, found) texts of each attribute that differs."""
    found = []
    if w.type != h.type:
        found.append(("type", f"type {w.type}", h.type))
    if w.primary_key != h.primary_key:
        found.append(("primary key", _flag(w.primary_key, "primary key"),
                      _flag(h.primary_key, "primary key")))
    if w.nullable != h.nullable:
        found.append(("nullable", _NULLABLE[w.nullable], _NULLABLE[h.nullable]))
    if w.autoincrement != h.autoincrement:
        found.append(("auto-increment", _flag(w.autoincrement, "auto-increment"),
                      _flag(h.autoincrement, "auto-increment")))
    if w.sequence != h.sequence:
        found.append(("sequence", _sequence(w.sequence), _sequence(h.sequence)))
    if w.default != h.default:
        found.append(("default", describe_default(w.default, w.type),
                      describe_default(h.default, h.type)))
    return found


def _index_text(index):
    cols = ", ".join(name + (" DESC" if desc else "") for name, desc in index.columns)
    return f"{'unique ' if index.unique else ''}({cols})"


def _fk_text(fk):
    return f"({', '.join(fk.columns)}) references {fk.ref_table} ({', '.join(fk.ref_columns)})"


def _compare_indexes(table, want, have):
    found = []
    want_by, have_by = {i.name: i for i in want}, {i.name: i for i in have}
    for name in sorted(set(want_by) | set(have_by)):
        w, h = want_by.get(name), have_by.get(name)
        if h is None:
            found.append(Missing("index", name, table, _index_text(w)))
        elif w is None:
            found.append(Unexpected("index", name, table, _index_text(h)))
        elif (w.columns, w.unique) != (h.columns, h.unique):
            found.append(Changed("index", name, table, aspect="definition",
                                 expected=_index_text(w), found=_index_text(h)))
    return found


def _compare_foreign_keys(table, want, have):
    """By name; unnamed keys (SQLite declares them inline, without a name) by definition."""
    found = []
    unmatched = list(have)
    missing = []
    for w in want:
        h = _find_fk(w, unmatched)
        if h is None:
            missing.append(w)
            continue
        unmatched.remove(h)
        if (w.columns, w.ref_table, w.ref_columns) != (h.columns, h.ref_table, h.ref_columns):
            found.append(Changed("foreign key", w.name, table, aspect="definition",
                                 expected=_fk_text(w), found=_fk_text(h)))
    found.extend(Missing("foreign key", w.name, table, _fk_text(w)) for w in missing)
    found.extend(Unexpected("foreign key", h.name, table, _fk_text(h)) for h in unmatched)
    return found


def _find_fk(want, candidates):
    same = (want.columns, want.ref_table, want.ref_columns)
    if want.name:
        for h in candidates:
            if h.name == want.name:
                return h
    for h in candidates:
        if (not want.name or not h.name) and (h.columns, h.ref_table, h.ref_columns) == same:
            return h
    return None
