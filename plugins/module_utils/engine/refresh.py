"""Production → non-production data refresh: the rows of a source project's database
copied into a target project's database, through both projects' metadata.

Tables and columns are matched by item and field ID (the target's metadata is brought to
the source's first), never by physical name. Each table is synchronised by a merge of
the two sides read in primary-key order: only rows that differ are written (a re-run
writes nothing), masked values are what is compared and written, inserts and updates go
in foreign-key dependency order, lookups inside a cycle (a self-reference included) are
written in a second pass, deletions in reverse order. Primary keys are kept; sequences
and auto-increment counters are moved past the largest id afterwards.

A table that is empty in the target is loaded without being compared. PostgreSQL
receives inserts with COPY; a writer thread loads one batch (one transaction) while the
next is read and masked.
"""
import datetime
import decimal
import hashlib
import io
import json
import math
import queue
import re
import threading
from dataclasses import dataclass, field

from . import jamdefs as j
from .ddl import q
from .errors import JamDeployError
from .masking import MaskingError
from .schema import schema_from_metadata


@dataclass
class TableCopy:
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
        return next(s for s, t, n in self.columns if t == target_column)


@dataclass
class CopyPlan:
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


class HistoryChanges:
    """A masker of Jam.py's history ``changes`` ("0" + JSON ``[[field ID, new value], ...]``):
    the values of masked fields go through their rules; a text in another form, which
    could hide anything, becomes NULL."""
    rule = "history"
    unique = False

    def __init__(self, by_field):
        self.by_field = by_field

    @staticmethod
    def parse(value):
        """The list of changes, or None for a text in another form."""
        try:
            changes = json.loads(value[1:]) if value.startswith("0") else None
        except ValueError:
            return None
        return changes if isinstance(changes, list) else None

    @classmethod
    def pairs(cls, value):
        """(field ID, value) of each recorded change (values that are lists skipped)."""
        return [(c[0], c[1]) for c in cls.parse(value) or ()
                if isinstance(c, list) and len(c) == 2 and not isinstance(c[1], (list, dict))]

    def mask(self, value):
        if not value:
            return value
        changes = self.parse(value)
        if changes is None:
            return None
        for change in changes:
            if isinstance(change, list) and len(change) == 2 and change[0] in self.by_field:
                try:
                    change[1] = self.by_field[change[0]].mask(change[1])
                except MaskingError:
                    change[1] = None
        return "0" + json.dumps(changes, separators=(",", ":"))


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


def normalize(value):
    """A value as both databases would agree on it (2.50 == 2.5, a date == its text)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (float, decimal.Decimal)):
        number = float(value)
        if math.isnan(number):  # NaN equals nothing, not even itself
            return "NaN"
        return int(number) if number.is_integer() else round(number, 9)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


# Types normalize() returns unchanged: columns of only these are compared as they are.
_NORMAL_TYPES = {type(None), str, int}


def _normalized(columns):
    """normalize() over columns of values, in bulk where it would change nothing."""
    return [values if set(map(type, values)) <= _NORMAL_TYPES else list(map(normalize, values))
            for values in columns]


def _multiset_digest(batches):
    """(rows, sum of their hashes mod 2**128) of batches of rows: equal for the same rows
    in any order, as the databases would agree on their values."""
    count, total = 0, 0
    for rows in batches:
        for row in rows:
            digest = hashlib.sha256(repr(tuple(map(normalize, row))).encode()).digest()
            total = (total + int.from_bytes(digest[:16], "big")) % (1 << 128)
            count += 1
    return count, total


def _for_sqlite(value):
    """What Jam.py keeps in SQLite, where dates are TEXT and numbers REAL."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def _for_mysql(value):
    """MySQL's DATETIME as Jam.py creates it keeps whole seconds: cut here (MariaDB would
    cut, MySQL round), so that what is written compares equal on the next run."""
    if isinstance(value, (datetime.datetime, datetime.time)):
        return value.replace(microsecond=0)
    return value


_TARGET_VALUES = {j.SQLITE: _for_sqlite, j.MYSQL: _for_mysql}


# PostgreSQL's bulk load (COPY ... FROM STDIN, text format): a batch goes as one text.
_COPY_NULL = "\\N"
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
# Types whose str() PostgreSQL reads back as the same value (never with a tab or newline).
_COPY_AS_STR = {int, float, decimal.Decimal, datetime.date, datetime.datetime, datetime.time}


def _copy_escape(text):
    """Backslashes, tabs and line breaks as COPY's text format spells them."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") \
        .replace("\r", "\\r")


def _copy_field(value):
    """One value as a field of COPY's text format."""
    if value is None:
        return _COPY_NULL
    if isinstance(value, bool):  # before int: "1" and "0" load into boolean and integer
        return "1" if value else "0"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()  # bytea's hex form, its backslash escaped
    return _copy_escape(value if isinstance(value, str) else str(value))


def _copy_column(values):
    """The fields of one column; columns of one common type are done in bulk (this is the
    refresh's hot loop)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {str} and not _COPY_SPECIAL.search("".join(filter(None, values))):
        return [_COPY_NULL if v is None else v for v in values]
    if kinds <= _COPY_AS_STR:
        return [_COPY_NULL if v is None else str(v) for v in values]
    return list(map(_copy_field, values))


def copy_text(columns):
    """Rows, given column by column, in COPY's text format."""
    return "\n".join(map("\t".join, zip(*map(_copy_column, columns)))) + "\n"


def _copy_in(conn, table_name, names, data):
    """Load rows in COPY's text format into a PostgreSQL table, in the transaction of
    ``conn``."""
    quote = conn.dialect.identifier_preparer.quote
    statement = (f"COPY {quote(q(table_name))} ({', '.join(quote(q(n)) for n in names)}) "
                 "FROM STDIN")
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.copy_expert(statement, io.StringIO(data), size=len(data))


class _BatchWriter:
    """Runs the writes (functions of a connection) in order, in a thread and on a
    connection of its own, so that the target database loads one batch while the next ones
    are read and masked; at most two batches wait (memory stays bounded). After a failure
    the later writes are dropped and the error is raised in the caller at its next call."""

    def __init__(self, engine):
        self._engine = engine
        self._jobs = queue.Queue(maxsize=2)
        self._error = None
        self._thread = threading.Thread(target=self._work, name="jampy-refresh-writer",
                                        daemon=True)
        self._thread.start()

    def _work(self):
        conn = None
        try:
            for job in iter(self._jobs.get, None):
                try:
                    if self._error is None:
                        conn = conn or self._engine.connect()
                        job(conn)
                except BaseException as exc:  # raised again in the caller
                    self._error = exc
                finally:
                    self._jobs.task_done()
        finally:
            if conn is not None:
                conn.close()

    def _check(self):
        if self._error is not None:
            raise self._error

    def submit(self, job):
        self._check()
        self._jobs.put(job)

    def wait(self):
        """Until every write submitted so far is done."""
        self._jobs.join()
        self._check()

    def close(self):
        self._jobs.put(None)
        self._thread.join()


@dataclass
class TableResult:
    item: str
    table: str
    source_rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self):
        return bool(self.inserted or self.updated or self.deleted)


class Refresher:
    """Synchronises the target's tables with the (masked) source, batch by batch."""

    def __init__(self, plan, source_engine, target_engine, target_db_type, batch_size=5000,
                 report=None, before_write=None, kept=None):
        self.plan = plan
        # A sample (sampling.kept_keys): {item id: the source keys to copy} of some tables.
        self.kept = kept or {}
        # Called before every write: the caller puts the site in maintenance at the first.
        self.before_write = before_write or (lambda: None)
        self.source = source_engine
        self.target = target_engine
        self.target_db_type = target_db_type
        self.batch_size = batch_size
        self.report = report or (lambda line: None)
        self.results = {}
        self._deletes = {}
        self._unsettled = set()  # tables whose cyclic lookups pass one left unwritten

    def run(self, check_mode=False):
        from sqlalchemy import inspect

        self.check_mode = check_mode
        # In check mode the metadata import has not created new tables yet: they read empty.
        self.present = set(inspect(self.target).get_table_names())
        self._writer = _BatchWriter(self.target)
        try:
            for copy in self.plan.tables:
                self.results[copy.item_name] = TableResult(copy.item_name, copy.target_table)
                self._sync(copy)
            self._writer.wait()  # pass two reads what pass one wrote
            for copy in self.plan.tables:
                if copy.item_name in self._unsettled:
                    self._sync(copy, deferred_pass=True)
            self._writer.wait()
        finally:
            self._writer.close()
        for copy in reversed(self.plan.tables):
            self._delete(copy)
        if not check_mode:
            self._move_sequences(any(r.changed for r in self.results.values()))
        return list(self.results.values())

    # -- reading -------------------------------------------------------------------------
    def _select(self, copy, side, columns, lower=None, upper=None):
        from sqlalchemy import column, select, table

        name = copy.source_table if side == "source" else copy.target_table
        key = copy.key[0 if side == "source" else 1] if copy.key else None
        query = select(*[column(q(c)) for c in columns]).select_from(table(q(name)))
        if key:
            if lower is not None:
                query = query.where(column(q(key)) >= lower)
            if upper is not None:
                query = query.where(column(q(key)) <= upper)
            query = query.order_by(column(q(key)))
        return query

    def _source_batches(self, copy, columns):
        with self.source.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=self.batch_size) \
                .execute(self._select(copy, "source", columns))
            yield from result.partitions(self.batch_size)

    def _masked(self, copy, names, rows):
        """Source rows as the target stores them, column by column: masked, lookups to a
        record a sample left out emptied, in the target's value types (the drivers of
        PostgreSQL and MySQL take Python's; SQLite's does not take Decimal; MySQL's
        DATETIME has no fractions of seconds)."""
        columns = list(zip(*rows))
        for index, name in enumerate(names):
            masker = copy.masks.get(name)
            if masker is not None:
                columns[index] = list(map(masker.mask, columns[index]))
            if self.target_db_type in _TARGET_VALUES:
                columns[index] = list(map(_TARGET_VALUES[self.target_db_type], columns[index]))
        for name, referenced in copy.lookups:
            if referenced in self.kept and name in names:
                index, keys = names.index(name), self.kept[referenced]
                columns[index] = [v if v is None or v in keys else None for v in columns[index]]
        return columns

    def _empty(self, copy):
        """Whether the target table has no rows (then there is nothing to compare)."""
        if copy.target_table not in self.present:
            return True
        with self.target.connect() as conn:
            return conn.execute(
                self._select(copy, "target", [copy.key[1]]).limit(1)).first() is None

    def _target_rows(self, copy, columns, lower, upper):
        """{key: normalized row} of the target in (lower, upper] (None: unbounded)."""
        if copy.target_table not in self.present:
            return {}
        key = copy.key[1]
        with self.target.connect() as conn:
            rows = conn.execute(self._select(copy, "target", columns, lower, upper)).fetchall()
        keys = [row[columns.index(key)] for row in rows]
        return {key: row for key, row in zip(keys, zip(*_normalized(list(zip(*rows)))))
                if lower is None or key > lower}

    # -- writing -------------------------------------------------------------------------
    def _sync(self, copy, deferred_pass=False):
        """One table: compare the masked source with the target, batch by batch of keys,
        and write only the differences (inserted rows get cyclic lookups in pass two). A
        table the target has no rows in is loaded without being read back."""
        result = self.results[copy.item_name]
        if copy.key is None:
            return self._sync_without_key(copy, result)
        key = copy.key[1]
        pairs = [(s, t) for s, t, n in copy.columns
                 if not deferred_pass or t == key or t in copy.deferred]
        source_columns, names = [s for s, t in pairs], [t for s, t in pairs]
        empty = not deferred_pass and self._empty(copy)
        sample = self.kept.get(copy.item_id)
        at = names.index(key)
        previous = None  # the batches cover the keys (previous, last] in turn
        for rows in self._source_batches(copy, source_columns):
            if sample is not None:
                rows = [row for row in rows if row[at] in sample]
                if not rows:
                    continue
            columns = self._masked(copy, names, rows)
            last = columns[at][-1]
            if empty:
                inserts, updates = columns, []
            else:
                existing = self._target_rows(copy, names, previous, last)
                inserts, updates = self._differences(copy, names, columns, existing,
                                                     deferred_pass)
            self._write(copy, names, inserts, updates, deferred_pass, result)
            previous = last
            if not deferred_pass:
                result.source_rows += len(rows)
        if not deferred_pass and not empty:  # target rows beyond the source's last key
            self._deletes.setdefault(copy.item_name, []).extend(
                self._target_rows(copy, names, previous, None))
        self.report(f"{copy.item_name}: {result.source_rows} rows, {result.inserted} inserted,"
                    f" {result.updated} updated" + (" (cyclic lookups)" if deferred_pass else ""))

    def _differences(self, copy, names, columns, existing, deferred_pass):
        """The rows to insert and the rows to update, column by column ([] for none); the
        keys of ``existing`` the batch does not have are to delete."""
        index = names.index(copy.key[1])
        inserts, updates = [], []
        for row, wanted in zip(zip(*columns), zip(*_normalized(columns))):
            current = existing.pop(row[index], None)
            if current is None:
                if not deferred_pass:
                    inserts.append(row)
            elif current != wanted:
                updates.append(row)
        if existing and not deferred_pass:
            self._deletes.setdefault(copy.item_name, []).extend(existing)
        return list(zip(*inserts)), list(zip(*updates))

    def _write(self, copy, names, inserts, updates, deferred_pass, result):
        """One batch's inserts and updates (column by column), in one transaction. Pass one
        leaves the cyclic lookups to pass two: all of them in updated rows; in inserted rows
        all but references to a smaller key of the same table, whose row is in already (rows
        go in key order)."""
        inserted, updated = len(inserts[0]) if inserts else 0, len(updates[0]) if updates else 0
        result.inserted += inserted
        if not deferred_pass:
            result.updated += updated
        if self.check_mode or not (inserted or updated):
            return
        update_names = names
        if copy.deferred and not deferred_pass:
            if inserts:
                inserts = self._without_cycles(copy, names, inserts)
            if updates:
                self._unsettled.add(copy.item_name)
                settled = [i for i, name in enumerate(names) if name not in copy.deferred]
                update_names = [names[i] for i in settled]
                updates = [updates[i] for i in settled]
        writes = ([self._inserter(copy, names, inserts)] if inserts else []) + (
            [self._updater(copy, update_names, updates)] if updates else [])

        def write(conn):
            for each in writes:
                each(conn)
        self._submit(copy, inserted + updated, write)

    def _without_cycles(self, copy, names, columns):
        """Rows to insert in pass one: cyclic lookups NULL, but self-references to a
        smaller key (see _write); the table is left to pass two if that held any back."""
        keys = columns[names.index(copy.key[1])]
        own = {name for name, referenced in copy.lookups if referenced == copy.item_id}
        written = []
        for name, values in zip(names, columns):
            if name in copy.deferred:
                known = [v if v is not None and v < k else None for v, k in zip(values, keys)] \
                    if name in own else [None] * len(values)
                if known.count(None) != values.count(None):
                    self._unsettled.add(copy.item_name)
                values = known
            written.append(values)
        return written

    def _submit(self, copy, rows, write):
        """``write(conn)`` in a transaction of its own, after the writes before it."""
        from sqlalchemy.exc import DBAPIError

        self.before_write()

        def job(conn):
            try:
                with conn.begin():
                    write(conn)
            except (DBAPIError, self.target.dialect.loaded_dbapi.Error) as exc:
                raise JamDeployError(
                    f"{copy.item_name}: a batch of {rows} rows failed and was rolled back "
                    f"({str(getattr(exc, 'orig', exc)).strip()}); the batches before it are "
                    "written and a new run continues from there") from None
        self._writer.submit(job)

    def _inserter(self, copy, names, columns):
        """The insert of these rows (given column by column) as a function of the
        connection, its data made ready now: COPY into PostgreSQL, else one executemany."""
        from sqlalchemy import column, insert, table

        if self.target_db_type == j.POSTGRESQL:
            data = copy_text(columns)
            return lambda conn: _copy_in(conn, copy.target_table, names, data)
        statement = insert(table(q(copy.target_table), *[column(q(c)) for c in names]))
        rows = [dict(zip(names, row)) for row in zip(*columns)]
        return lambda conn: conn.execute(statement, rows)

    def _updater(self, copy, names, columns):
        """The update of these rows (given column by column, matched by key) as a function
        of the connection, its data made ready now. PostgreSQL's are loaded with COPY into
        a temporary table and updated from it in one statement; elsewhere one executemany."""
        from sqlalchemy import bindparam, column, table, update

        key = copy.key[1]
        if self.target_db_type == j.POSTGRESQL:
            data = copy_text(columns)

            def write(conn):
                quote = conn.dialect.identifier_preparer.quote
                target, batch = quote(q(copy.target_table)), "jampy_refresh_batch"
                conn.exec_driver_sql(
                    f"CREATE TEMPORARY TABLE {batch} ON COMMIT DROP AS SELECT "
                    f"{', '.join(quote(q(n)) for n in names)} FROM {target} WITH NO DATA")
                _copy_in(conn, batch, names, data)
                conn.exec_driver_sql(f"ANALYZE {batch}")  # else the join may scan the target
                conn.exec_driver_sql(
                    f"UPDATE {target} SET "
                    + ", ".join(f"{quote(q(n))} = b.{quote(q(n))}" for n in names if n != key)
                    + f" FROM {batch} b WHERE {target}.{quote(q(key))} = b.{quote(q(key))}")
            return write
        target = table(q(copy.target_table), *[column(q(c)) for c in names])
        statement = update(target).where(target.c[key] == bindparam("jampy_key")).values(
            {c: bindparam(c) for c in names if c != key})
        at = names.index(key)
        rows = [dict(zip(names, row), jampy_key=row[at]) for row in zip(*columns)]
        return lambda conn: conn.execute(statement, rows)

    def _sync_without_key(self, copy, result):
        """A table without a primary key (Jam.py's history): rewritten whole when it
        differs. Both sides are compared by row count and an order-independent sum of row
        hashes, read in batches (constant memory)."""
        from sqlalchemy import delete, table

        source_columns = [s for s, t, n in copy.columns]
        names = [t for s, t, n in copy.columns]
        wanted = _multiset_digest(zip(*self._masked(copy, names, rows))
                                  for rows in self._source_batches(copy, source_columns))
        present = (0, 0)
        if copy.target_table in self.present:
            with self.target.connect() as conn:
                batches = conn.execution_options(stream_results=True,
                                                 yield_per=self.batch_size).execute(
                    self._select(copy, "target", names)).partitions(self.batch_size)
                present = _multiset_digest(batches)
        result.source_rows = wanted[0]
        if wanted == present:
            return
        result.deleted += present[0]
        result.inserted += wanted[0]
        if self.check_mode:
            return
        self._submit(copy, present[0], lambda conn: conn.execute(
            delete(table(q(copy.target_table)))))
        for rows in self._source_batches(copy, source_columns):
            self._submit(copy, len(rows), self._inserter(copy, names,
                                                         self._masked(copy, names, rows)))

    def _delete(self, copy):
        from sqlalchemy import column, delete, table

        keys = self._deletes.get(copy.item_name) or []
        result = self.results[copy.item_name]
        result.deleted += len(keys)
        if self.check_mode or not keys:
            return
        self.before_write()
        target = table(q(copy.target_table), column(q(copy.key[1])))
        with self.target.begin() as conn:
            for start in range(0, len(keys), self.batch_size):
                chunk = keys[start:start + self.batch_size]
                conn.execute(delete(target).where(target.c[copy.key[1]].in_(chunk)))

    def _move_sequences(self, changed):
        """Sequences past the largest key, so new records get fresh ids: PostgreSQL's when
        behind (also after a run that stopped before this step); MySQL's counters follow
        explicit keys by themselves, set anyway after a change. SQLite's INTEGER PRIMARY
        KEY needs nothing."""
        with self.target.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            for copy in self.plan.tables:
                if not copy.key:
                    continue
                table_name, key = quote(q(copy.target_table)), quote(q(copy.key[1]))
                highest = conn.exec_driver_sql(
                    f"SELECT COALESCE(MAX({key}), 0) FROM {table_name}").scalar()
                if self.target_db_type == j.POSTGRESQL:
                    sequence = quote(copy.sequence) if copy.sequence else conn.exec_driver_sql(
                        "SELECT pg_get_serial_sequence(%s, %s)",
                        (table_name, q(copy.key[1]))).scalar()
                    if sequence and conn.exec_driver_sql(
                            "SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END "
                            f"FROM {sequence}").scalar() <= highest:
                        self.before_write()
                        conn.exec_driver_sql(f"SELECT setval('{sequence}', {int(highest) + 1}, "
                                             "false)")
                elif self.target_db_type == j.MYSQL and changed:
                    conn.exec_driver_sql(
                        f"ALTER TABLE {table_name} AUTO_INCREMENT = {int(highest) + 1}")
