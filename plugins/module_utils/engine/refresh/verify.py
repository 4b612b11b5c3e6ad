"""Verifying a data refresh, and what counts as verified: the rows of every table counted
on both sides, key generators past the largest id, masked columns free of the source's
values (problems: the refresh did not verify), and lookups that point to no record
(warnings: copied as the source has them)."""
from ..db.quoting import sql_name
from ..db.registry import dialect_for
from ..masking.leaks import domains
from .history import HistoryChanges


def verify(plan, source_engine, target_engine, target_db_type, tables):
    """The verification of a copy along ``plan`` whose ``tables`` (``sync.TableResult``)
    were written: counts, orphaned lookups, sequences, masked-value leaks, and from them
    ``problems``, ``warnings`` and ``ok`` (no problem)."""
    from sqlalchemy import text

    dialect = dialect_for(target_db_type)
    by_item = {t.item_id: t for t in plan.tables}
    counts, orphans, leaks, sequences, samples = {}, {}, {}, {}, {}
    with target_engine.connect() as conn:
        for copy, table_result in zip(plan.tables, tables):
            name = sql_name(conn, copy.target_table)
            present = conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar()
            counts[copy.item_name] = {"source": table_result.source_rows, "target": present,
                                      "equal": present == table_result.source_rows}
            for column, referenced in copy.lookups:
                ref = by_item[referenced]
                missing = conn.execute(text(
                    f"SELECT COUNT(*) FROM {name} t WHERE t.{sql_name(conn, column)} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {sql_name(conn, ref.target_table)} r "
                    f"WHERE r.{sql_name(conn, ref.key[1])} = t.{sql_name(conn, column)})")
                ).scalar()
                if missing:
                    orphans[f"{copy.item_name}.{column}"] = missing
            leaks.update(_leaks(copy, source_engine, conn, samples))
            if copy.key and copy.sequence:
                highest = conn.execute(text(
                    f"SELECT COALESCE(MAX({sql_name(conn, copy.key[1])}), 0) FROM {name}")
                ).scalar()
                following = dialect.next_sequence_value(conn, sql_name(conn, copy.sequence))
                sequences[copy.item_name] = {"max_id": highest, "next": following,
                                             "ok": following > highest}
        leaks.update(_history_leaks(plan, conn, samples))
    problems = [f"{k}: {v}" for k, v in leaks.items()] + [
        f"{k}: source {v['source']}, target {v['target']}"
        for k, v in counts.items() if not v["equal"]] + [
        f"{k}: the next id {v['next']} is not above the largest id {v['max_id']}"
        for k, v in sequences.items() if not v["ok"]]
    warnings = [f"{name}: {count} lookups point to no record (as in the source)"
                for name, count in orphans.items()]
    return {"counts": counts, "orphans": orphans, "masked_leaks": leaks,
            "sequences": sequences, "problems": problems, "warnings": warnings,
            "ok": not problems}


def _leaks(copy, source_engine, target_conn, samples, sample=1000):
    """Masked columns holding a value the source has in that column (a sample of it), and
    e-mail columns holding a domain of the source. Rules whose outputs may repeat real
    values by chance (names, numbers, dates) are not checked by value. The samples are
    kept by masker, for the history's check."""
    from sqlalchemy import bindparam, text

    found = {}
    target = sql_name(target_conn, copy.target_table)
    for column, masker in copy.masks.items():
        if masker.rule == "keep" or not (masker.unique or masker.rule == "email"):
            continue
        with source_engine.connect() as conn:
            name = sql_name(conn, copy.source_column(column))
            values = [r[0] for r in conn.execute(text(
                f"SELECT {name} FROM {sql_name(conn, copy.source_table)} "
                f"WHERE {name} IS NOT NULL")).fetchmany(sample)]
        values = [v for v in values if v not in (None, "")]
        if not values:
            continue
        samples[id(masker)] = set(values)
        masked_column = sql_name(target_conn, column)
        hits = target_conn.execute(text(
            f"SELECT COUNT(*) FROM {target} WHERE {masked_column} "
            "IN :values").bindparams(bindparam("values", expanding=True)),
            {"values": values}).scalar()
        if hits:
            found[f"{copy.item_name}.{column}"] = f"{hits} source values"
        if masker.rule == "email":
            masked = [r[0] for r in target_conn.execute(text(
                f"SELECT {masked_column} FROM {target}")).fetchmany(sample)]
            kept = set(domains(values)) & set(domains(masked))
            if kept:
                found[f"{copy.item_name}.{column} domains"] = sorted(kept)
    return found


def _history_leaks(plan, target_conn, samples, sample=5000):
    """Recorded changes in the history that still hold a sampled source value of a masked
    field."""
    from sqlalchemy import text

    found = {}
    for copy in plan.tables:
        for column, masker in copy.masks.items():
            if not isinstance(masker, HistoryChanges):
                continue
            name = sql_name(target_conn, column)
            hits = 0
            for (changes,) in target_conn.execute(text(
                    f"SELECT {name} FROM {sql_name(target_conn, copy.target_table)} "
                    f"WHERE {name} IS NOT NULL")).fetchmany(sample):
                for field_id, value in HistoryChanges.pairs(changes):
                    hits += value in samples.get(id(masker.by_field.get(field_id)), ())
            if hits:
                found[f"{copy.item_name}.{column}"] = f"{hits} source values"
    return found
