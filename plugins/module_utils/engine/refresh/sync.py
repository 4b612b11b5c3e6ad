"""Synchronising the target's tables with the (masked) source, table by table.

Each table is merged with the source read in primary-key order: only rows that differ are
written (a re-run writes nothing), masked values are what is compared and written, inserts
and updates go in dependency order (``plan``), cyclic lookups in a second pass, deletions
in reverse order. Primary keys are kept; the key generators are moved past the largest id
afterwards. A table that is empty in the target is loaded without being compared. How rows
are written is the target dialect's (PostgreSQL: COPY); a writer thread loads one batch
(one transaction) while the next is read and masked.
"""
from dataclasses import dataclass

from ..db.quoting import q
from ..db.registry import dialect_for
from ..errors import JamDeployError
from .values import multiset_digest, normalized
from .writer import BatchWriter


@dataclass
class TableResult:
    """Rows of one table: in the source, and inserted, updated, deleted in the target."""
    item: str
    table: str
    source_rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self):
        """Whether the table was written to."""
        return bool(self.inserted or self.updated or self.deleted)


class Refresher:
    """Synchronises the target's tables with the (masked) source, batch by batch, along a
    ``plan.CopyPlan``; the dialect of ``target_db_type`` writes the rows."""

    def __init__(self, plan, source_engine, target_engine, target_db_type, batch_size=5000,
                 report=None, before_write=None, kept=None):
        self.plan = plan
        # A sample (sampling.kept_keys): {item id: the source keys to copy} of some tables.
        self.kept = kept or {}
        # Called before every write: the caller puts the site in maintenance at the first.
        self.before_write = before_write or (lambda: None)
        self.source = source_engine
        self.target = target_engine
        self.dialect = dialect_for(target_db_type)
        self.batch_size = batch_size
        self.report = report or (lambda line: None)
        self.results = {}
        self._deletes = {}
        self._unsettled = set()  # tables whose cyclic lookups pass one left unwritten

    def run(self, check_mode=False):
        """Copy every table of the plan (in check mode only count); returns a TableResult
        per table."""
        from sqlalchemy import inspect

        self.check_mode = check_mode
        # In check mode the metadata import has not created new tables yet: they read empty.
        self.present = set(inspect(self.target).get_table_names())
        self._writer = BatchWriter(self.target)
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
            self._advance_keys(any(r.changed for r in self.results.values()))
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
        stored = self.dialect.stored_value
        for index, name in enumerate(names):
            masker = copy.masks.get(name)
            if masker is not None:
                columns[index] = list(map(masker.mask, columns[index]))
            if stored is not None:
                columns[index] = list(map(stored, columns[index]))
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
        return {key: row for key, row in zip(keys, zip(*normalized(list(zip(*rows)))))
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
        for row, wanted in zip(zip(*columns), zip(*normalized(columns))):
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
        writes = ([self.dialect.inserter(copy.target_table, names, inserts)] if inserts
                  else []) + ([self.dialect.updater(copy.target_table, copy.key[1],
                                                    update_names, updates)] if updates else [])

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

    def _sync_without_key(self, copy, result):
        """A table without a primary key (Jam.py's history): rewritten whole when it
        differs. Both sides are compared by row count and an order-independent sum of row
        hashes, read in batches (constant memory)."""
        from sqlalchemy import delete, table

        source_columns = [s for s, t, n in copy.columns]
        names = [t for s, t, n in copy.columns]
        wanted = multiset_digest(zip(*self._masked(copy, names, rows))
                                 for rows in self._source_batches(copy, source_columns))
        present = (0, 0)
        if copy.target_table in self.present:
            with self.target.connect() as conn:
                batches = conn.execution_options(stream_results=True,
                                                 yield_per=self.batch_size).execute(
                    self._select(copy, "target", names)).partitions(self.batch_size)
                present = multiset_digest(batches)
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
            self._submit(copy, len(rows), self.dialect.inserter(
                copy.target_table, names, self._masked(copy, names, rows)))

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

    def _advance_keys(self, changed):
        """Key generators past the largest key, so new records get fresh ids."""
        with self.target.begin() as conn:
            for copy in self.plan.tables:
                if copy.key:
                    self.dialect.advance_keys(conn, copy.target_table, copy.key[1],
                                              copy.sequence, changed, self.before_write)
