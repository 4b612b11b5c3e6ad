"""Sampling: a part of some tables, and of the tables that depend on them, with no
reference left pointing to a record that was not copied.

``sample: {orders: 1000}`` keeps the 1,000 newest orders (highest keys). A table that
refers to a sampled or filtered table (a lookup written in the first pass) or holds its
details keeps only the rows whose references were kept (or are empty), and so on down the
dependency order. A lookup inside a cycle, written in the second pass, cannot filter its
own table's rows: a value pointing to a record that was not kept is emptied instead.
Tables that nothing sampled reaches are copied whole.
"""
from dataclasses import dataclass, field

from ..db.quoting import q
from ..errors import JamDeployError
from ..jam import defs as j


@dataclass
class RowFilter:
    """Which source rows of one table a sample keeps."""
    limit: int = None      # the newest rows only (a sampled table)
    lookups: list = field(default_factory=list)  # [(source column, referenced item id)]
    masters: list = field(default_factory=list)  # [(detail item id, master item id)]
    master_columns: tuple = None                 # the source's (MASTER_ID, MASTER_REC_ID)


def row_filters(plan, metadata, samples):
    """{item id: RowFilter} of the tables a sample reaches, in the plan's order."""
    by_name = {c.item_name: c for c in plan.tables}
    unknown = sorted(set(samples) - set(by_name))
    if unknown:
        raise JamDeployError(f"sample: no copied table item named {', '.join(unknown)}")
    wrong = sorted(name for name, rows in samples.items()
                   if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1)
    if wrong:
        raise JamDeployError(f"sample: {', '.join(wrong)} must be a number of rows (1 or more)")
    keyless = sorted(name for name in samples if not by_name[name].key)
    if keyless:
        raise JamDeployError(f"sample: {', '.join(keyless)} has no primary key to sample by")
    masters = {}
    for row in metadata.items.values():
        if row.get("type_id") == j.DETAIL_TYPE:
            masters.setdefault(row.get("table_id"), []).append((row["id"], row["parent"]))
    filters = {}
    for copy in plan.tables:
        wanted = RowFilter(limit=samples.get(copy.item_name))
        wanted.lookups = [(copy.source_column(column), referenced)
                          for column, referenced in copy.lookups
                          if referenced in filters and column not in copy.deferred]
        wanted.masters = [(detail, master) for detail, master in masters.get(copy.item_id, ())
                          if master in filters]
        if wanted.masters:
            wanted.master_columns = tuple(copy.source_column(copy.target_column(name))
                                          for name in ("master_id", "master_rec_id"))
        if wanted.limit or wanted.lookups or wanted.masters:
            filters[copy.item_id] = wanted
    return filters


def kept_keys(plan, filters, source_engine, batch_size=10000):
    """{item id: set of source keys} to copy of each filtered table (only keys are held)."""
    from sqlalchemy import column, select, table

    kept = {}
    with source_engine.connect() as conn:
        for copy in plan.tables:
            wanted = filters.get(copy.item_id)
            if wanted is None:
                continue
            columns = [copy.key[0]] + [c for c, r in wanted.lookups] + list(
                wanted.master_columns or ())
            query = select(*[column(q(c)) for c in columns]).select_from(
                table(q(copy.source_table))).order_by(column(q(copy.key[0])).desc())
            keys = set()
            result = conn.execution_options(stream_results=True, yield_per=batch_size) \
                .execute(query)
            for row in result:
                if _passes(row, wanted, kept):
                    keys.add(row[0])
                    if wanted.limit and len(keys) >= wanted.limit:
                        break
            result.close()
            kept[copy.item_id] = keys
    return kept


def _passes(row, wanted, kept):
    """Whether a row's references all point to kept records (or nowhere)."""
    values = iter(row[1:])
    for (unused, referenced), value in zip(wanted.lookups, values):
        if value is not None and value not in kept[referenced]:
            return False
    if wanted.masters:
        master_id, master_rec_id = next(values), next(values)
        for detail, master in wanted.masters:
            if master_id == detail and master_rec_id not in kept[master]:
                return False
    return True
