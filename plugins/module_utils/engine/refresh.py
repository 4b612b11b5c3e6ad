"""Production → non-production data refresh: the rows of a source project's database
copied into a target project's database, through both projects' metadata.

Tables and columns are matched by item and field ID (the target's metadata is brought to
the source's first), never by physical name. Each table is synchronised by a merge of
the two sides read in primary-key order: only rows that differ are written (a re-run
writes nothing), masked values are what is compared and written, inserts and updates go
in foreign-key dependency order, lookups inside a cycle (a self-reference included) are
written in a second pass, deletions in reverse order. Primary keys are kept; sequences
and auto-increment counters are moved past the largest id afterwards.
"""
import datetime
import decimal
from dataclasses import dataclass, field

from . import jamdefs as j
from .ddl import q
from .errors import JamDeployError
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


@dataclass
class CopyPlan:
    tables: list           # TableCopy in dependency order
    notes: list = field(default_factory=list)


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
    source_schema = schema_from_metadata(source, source_db_type)
    target_schema = schema_from_metadata(target, target_db_type)
    source_tables = {t.item_id: t for t in source_schema.tables.values()}
    notes, copies = [], {}
    for table in target_schema.tables.values():
        item = target.items[table.item_id]
        if item.get("f_item_name") in exclude:
            notes.append(f"{item['f_item_name']}: excluded")
            continue
        other = source_tables.get(table.item_id)
        if other is None:
            notes.append(f"{item['f_item_name']}: no table in the source; left as it is")
            continue
        by_field = {c.field_id: c for c in other.columns}
        columns = []
        for column in table.columns:
            found = by_field.get(column.field_id)
            name = target.fields[column.field_id].get("f_field_name")
            if found is None:
                notes.append(f"{item['f_item_name']}.{name}: not in the source; left empty")
                continue
            columns.append((found.name, column.name, name))
        key_target = next((c for c in table.columns if c.primary_key), None)
        key_source = next((c for c in other.columns if c.primary_key), None)
        copy = TableCopy(table.item_id, item["f_item_name"], other.name, table.name,
                         (key_source.name, key_target.name) if key_source and key_target
                         else None, columns,
                         sequence=key_target.sequence if key_target else None)
        unique = {cols[0][0] for cols in (i.columns for i in table.indexes if i.unique)
                  if len(cols) == 1}
        for source_column, target_column, name in columns:
            masker = masks.get((copy.item_name, name))
            if masker is None:
                continue
            if target_column in unique and not masker.unique:
                raise JamDeployError(
                    f"{copy.item_name}.{name} has a unique index but the {masker.rule!r} "
                    "rule can give two rows the same value; use a rule that keeps values "
                    "distinct (email, hash) for it")
            copy.masks[target_column] = masker
        copies[table.item_id] = copy
    for copy in copies.values():
        names = {name: target_column for s, target_column, name in copy.columns}
        for row in target.fields.values():
            if row.get("owner_rec_id") not in (copy.item_id, target.items[copy.item_id].get(
                    "parent")) or not row.get("f_object") or row.get("f_master_field"):
                continue
            if row.get("f_data_type") == j.KEYS or row.get("f_field_name") not in names:
                continue
            referenced = _referenced_table_item(target, row["f_object"])
            if referenced in copies:
                copy.lookups.append((names[row["f_field_name"]], referenced))
                copy.depends_on.add(referenced)
    unknown = {k for k in masks if not any(c.item_name == k[0] for c in copies.values())}
    notes += [f"{i}.{f}: masking rule for an item that is not copied" for i, f in sorted(unknown)]
    return CopyPlan(_in_dependency_order(copies), notes)


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
        return int(number) if number.is_integer() else round(number, 9)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def _for_sqlite(value):
    """What Jam.py keeps in SQLite, where dates are TEXT and numbers REAL."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


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
                 report=None):
        self.plan = plan
        self.source = source_engine
        self.target = target_engine
        self.target_db_type = target_db_type
        self.batch_size = batch_size
        self.report = report or (lambda line: None)
        self.results = {}
        self._deletes = {}

    def run(self, check_mode=False):
        from sqlalchemy import inspect

        self.check_mode = check_mode
        # In check mode the metadata import has not created new tables yet: they read empty.
        self.present = set(inspect(self.target).get_table_names())
        for copy in self.plan.tables:
            self.results[copy.item_name] = TableResult(copy.item_name, copy.target_table)
            self._sync(copy)
        for copy in self.plan.tables:
            if copy.deferred:
                self._sync(copy, deferred_pass=True)
        for copy in reversed(self.plan.tables):
            self._delete(copy)
        if not check_mode:
            self._move_sequences()
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

    def _masked(self, copy, target_columns, row):
        """A source row as the target stores it: masked, in the target's value types (the
        drivers of PostgreSQL and MySQL take Python's; SQLite's does not take Decimal)."""
        values = dict(zip(target_columns, row))
        for column_name, masker in copy.masks.items():
            if column_name in values:
                values[column_name] = masker.mask(values[column_name])
        if self.target_db_type == j.SQLITE:
            values = {k: _for_sqlite(v) for k, v in values.items()}
        return values

    # -- writing -------------------------------------------------------------------------
    def _sync(self, copy, deferred_pass=False):
        """One table: compare the masked source with the target, batch by batch of keys,
        and write only the differences (inserted rows get cyclic lookups in pass two)."""
        result = self.results[copy.item_name]
        if copy.key is None:
            return self._sync_without_key(copy, result)
        key = copy.key[1]
        pairs = [(s, t) for s, t, n in copy.columns
                 if not deferred_pass or t == key or t in copy.deferred]
        source_columns, target_columns = [s for s, t in pairs], [t for s, t in pairs]
        previous = None  # the batches cover the keys (previous, last] in turn
        for rows in self._source_batches(copy, source_columns):
            masked = [self._masked(copy, target_columns, row) for row in rows]
            last = masked[-1][key]
            existing = self._target_rows(copy, target_columns, previous, last)
            self._write_differences(copy, masked, existing, deferred_pass, result)
            previous = last
            if not deferred_pass:
                result.source_rows += len(rows)
        if not deferred_pass:  # target rows beyond the source's last key
            self._deletes.setdefault(copy.item_name, []).extend(
                self._target_rows(copy, target_columns, previous, None))
        self.report(f"{copy.item_name}: {result.source_rows} rows, {result.inserted} inserted,"
                    f" {result.updated} updated" + (" (cyclic lookups)" if deferred_pass else ""))

    def _target_rows(self, copy, columns, lower, upper):
        """{key: normalized row} of the target in (lower, upper] (None: unbounded)."""
        if copy.target_table not in self.present:
            return {}
        key = copy.key[1]
        with self.target.connect() as conn:
            rows = conn.execute(self._select(copy, "target", columns, lower, upper)).fetchall()
        index = columns.index(key)
        return {row[index]: tuple(normalize(v) for v in row) for row in rows
                if lower is None or row[index] > lower}

    def _write_differences(self, copy, masked, existing, deferred_pass, result):
        from sqlalchemy import bindparam, column, insert, table, update
        from sqlalchemy.exc import DBAPIError

        key = copy.key[1]
        columns = list(masked[0])
        inserts, updates = [], []
        for values in masked:
            current = existing.pop(values[key], None)
            wanted = tuple(normalize(values[c]) for c in columns)
            if current is None and not deferred_pass:
                row = dict(values)
                for column_name in copy.deferred:
                    row[column_name] = None
                inserts.append(row)
            elif current is not None and current != wanted:
                updates.append(values)
        # Keys inside this batch's range that the source does not have: to delete.
        if existing and not deferred_pass:
            self._deletes.setdefault(copy.item_name, []).extend(existing)
        if self.check_mode:
            result.inserted += len(inserts)
            result.updated += len(updates) if not deferred_pass else 0
            return
        target = table(q(copy.target_table), *[column(q(c)) for c in columns])
        try:
            with self.target.begin() as conn:  # one transaction per batch
                if inserts:
                    conn.execute(insert(target), inserts)
                if updates:
                    statement = update(target).where(
                        target.c[key] == bindparam("jampy_key")).values(
                        {c: bindparam(c) for c in columns if c != key})
                    conn.execute(statement, [dict(v, jampy_key=v[key]) for v in updates])
        except DBAPIError as exc:
            raise JamDeployError(
                f"{copy.item_name}: a batch of {len(inserts) + len(updates)} rows failed and "
                f"was rolled back ({str(exc.orig).strip()}); the batches before it are "
                "written and a new run continues from there") from None
        result.inserted += len(inserts)
        if not deferred_pass:
            result.updated += len(updates)

    def _sync_without_key(self, copy, result):
        """A table without a primary key (Jam.py's history): all of it when it differs.
        Its rows are compared as sorted sets, which takes memory in proportion."""
        from sqlalchemy import column, delete, insert, table

        source_columns = [s for s, t, n in copy.columns]
        target_columns = [t for s, t, n in copy.columns]

        def rows_of(side):
            if side == "target" and copy.target_table not in self.present:
                return []
            engine, columns = ((self.source, source_columns) if side == "source"
                               else (self.target, target_columns))
            with engine.connect() as conn:
                rows = conn.execute(self._select(copy, side, columns)).fetchall()
            if side == "source":
                rows = [tuple(self._masked(copy, target_columns, r).values()) for r in rows]
            return sorted(repr(tuple(normalize(v) for v in r)) for r in rows)

        wanted, present = rows_of("source"), rows_of("target")
        result.source_rows = len(wanted)
        if wanted == present:
            return
        result.deleted += len(present)
        result.inserted += len(wanted)
        if self.check_mode:
            return
        target = table(q(copy.target_table), *[column(q(c)) for c in target_columns])
        with self.target.begin() as conn:
            conn.execute(delete(target))
        for rows in self._source_batches(copy, source_columns):
            with self.target.begin() as conn:
                conn.execute(insert(target), [self._masked(copy, target_columns, r)
                                              for r in rows])

    def _delete(self, copy):
        from sqlalchemy import column, delete, table

        keys = self._deletes.get(copy.item_name) or []
        result = self.results[copy.item_name]
        result.deleted += len(keys)
        if self.check_mode or not keys:
            return
        target = table(q(copy.target_table), column(q(copy.key[1])))
        with self.target.begin() as conn:
            for start in range(0, len(keys), self.batch_size):
                chunk = keys[start:start + self.batch_size]
                conn.execute(delete(target).where(target.c[copy.key[1]].in_(chunk)))

    def _move_sequences(self):
        """Sequences and auto-increment counters past the largest key (new records get
        fresh ids). SQLite's INTEGER PRIMARY KEY needs nothing."""
        with self.target.begin() as conn:
            for copy in self.plan.tables:
                if not copy.key:
                    continue
                table_name, key = q(copy.target_table), q(copy.key[1])
                quote = conn.dialect.identifier_preparer.quote
                if self.target_db_type == j.POSTGRESQL:
                    sequence = copy.sequence or conn.exec_driver_sql(
                        "SELECT pg_get_serial_sequence(%s, %s)",
                        (quote(table_name), key)).scalar()
                    if sequence:
                        name = quote(sequence) if copy.sequence else sequence
                        conn.exec_driver_sql(
                            f"SELECT setval('{name}', COALESCE(MAX({quote(key)}), 0) + 1, false) "
                            f"FROM {quote(table_name)}")
                elif self.target_db_type == j.MYSQL:
                    highest = conn.exec_driver_sql(
                        f"SELECT COALESCE(MAX({quote(key)}), 0) FROM {quote(table_name)}").scalar()
                    conn.exec_driver_sql(
                        f"ALTER TABLE {quote(table_name)} AUTO_INCREMENT = {int(highest) + 1}")


def same_database(source, target):
    """Whether two connections (Project.connection()) reach the same database."""
    if source.get("db_type") != target.get("db_type"):
        return False
    if source.get("db_type") == j.SQLITE:
        import os

        return os.path.realpath(source.get("database_path") or source["database"]) == \
            os.path.realpath(target.get("database_path") or target["database"])
    hosts = {"localhost": "127.0.0.1"}

    def where(c):
        return (hosts.get(c.get("host") or "", c.get("host")), str(c.get("port") or ""),
                c.get("database"))
    return where(source) == where(target)


def check_not_the_same(source, target):
    if same_database(source, target):
        raise JamDeployError("the source and the target are the same database: a refresh "
                             "would destroy it; point the target at a non-production database")
