"""A whole refresh of a non-production project from a production one (jam_data):
metadata first, then the data under maintenance, then verification and a report.

Never copied: the target's SYS_TASKS connection and secret key (admin.sqlite is only
changed by the metadata import, which never carries them), and its users.
"""
import datetime
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field

from . import jamdefs as j
from . import masking, protocol
from .ddl import q
from .export import export_project
from .files import write_text
from .importer import Importer
from .incoming import prepare
from .locking import METADATA_IMPORT, project_lock
from .project import Connection, Project
from .refresh import Refresher, check_not_the_same, plan_copy


@dataclass
class RefreshResult:
    changed: bool = False
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    verification: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    report_file: str = None
    seconds: float = 0.0


def source_connection(source, overrides):
    """The source project's connection, with the keys given in ``overrides`` replaced
    (its admin.sqlite names the database as the production host sees it)."""
    connection = Connection(source.connection())
    connection.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if connection.get("db_type") == j.SQLITE and "database" in (overrides or {}):
        connection["database_path"] = str(source.path / connection["database"])
    return connection


def refresh(target_path, source_path, engine_factory, masks=None, exclude=(),
            source_overrides=None, batch_size=5000, import_metadata=True, check_mode=False,
            report=lambda line: None):
    started = time.monotonic()
    target, source = Project(target_path), Project(source_path)
    result = RefreshResult()
    src_conn = source_connection(source, source_overrides)
    tgt_conn = target.connection()
    check_not_the_same(src_conn, tgt_conn)
    source_meta = source.metadata(for_import=True)
    if import_metadata:
        result.metadata = _import_metadata(target, source, engine_factory, check_mode, report)
        target = Project(target_path)
    target_meta = target.metadata(for_import=True)
    if check_mode and import_metadata:
        # The import has not happened: plan the data against the metadata it would give.
        target_meta = prepare(source_meta, target_meta, tgt_conn["db_type"])
    plan = plan_copy(source_meta, target_meta, src_conn["db_type"], tgt_conn["db_type"],
                     masks or {}, exclude)
    result.notes = plan.notes
    source_engine, target_engine = engine_factory(src_conn), engine_factory(tgt_conn)
    try:
        if check_mode:
            result.tables = Refresher(plan, source_engine, target_engine, tgt_conn["db_type"],
                                      batch_size, report).run(check_mode=True)
        else:
            with project_lock(target.path, METADATA_IMPORT, timeout=600,
                              note="refreshing data"):
                protocol.maintenance_on(target.path, target.admin_path)
                try:
                    result.tables = Refresher(plan, source_engine, target_engine,
                                              tgt_conn["db_type"], batch_size,
                                              report).run()
                finally:
                    protocol.maintenance_off(target.path, target.admin_path, success=False)
            result.verification = verify(plan, source_engine, target_engine,
                                         tgt_conn["db_type"], result.tables)
    finally:
        source_engine.dispose()
        target_engine.dispose()
    result.changed = any(t.changed for t in result.tables) or bool(
        result.metadata.get("changed"))
    result.seconds = round(time.monotonic() - started, 3)
    if not check_mode:
        result.report_file = _write_report(target, source, result)
    return result


def _import_metadata(target, source, engine_factory, check_mode, report):
    folder = tempfile.mkdtemp(prefix="jampy-refresh-")
    try:
        exported = export_project(source, os.path.join(folder, "source.zip"))
        imported = Importer(target.path, exported.dest, import_delay=0,
                            engine_factory=engine_factory, report=report).run(check_mode)
        return {"changed": imported.changed, "plan": imported.plan}
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


def verify(plan, source_engine, target_engine, target_db_type, tables):
    """Counts source vs target, orphaned lookups, keys above the largest id, and masked
    columns free of the source's values."""
    from sqlalchemy import text

    by_item = {t.item_id: t for t in plan.tables}
    counts, orphans, leaks, sequences = {}, {}, {}, {}
    with target_engine.connect() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for copy, table_result in zip(plan.tables, tables):
            name = quote(q(copy.target_table))
            present = conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar()
            counts[copy.item_name] = {"source": table_result.source_rows, "target": present,
                                      "equal": present == table_result.source_rows}
            for column, referenced in copy.lookups:
                ref = by_item[referenced]
                missing = conn.execute(text(
                    f"SELECT COUNT(*) FROM {name} t WHERE t.{quote(q(column))} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {quote(q(ref.target_table))} r "
                    f"WHERE r.{quote(q(ref.key[1]))} = t.{quote(q(column))})")).scalar()
                if missing:
                    orphans[f"{copy.item_name}.{column}"] = missing
            leaks.update(_leaks(copy, source_engine, conn, quote))
            if copy.key and target_db_type == j.POSTGRESQL and copy.sequence:
                highest = conn.execute(text(
                    f"SELECT COALESCE(MAX({quote(q(copy.key[1]))}), 0) FROM {name}")).scalar()
                following = conn.execute(text(
                    f"SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END "
                    f"FROM {quote(q(copy.sequence))}")).scalar()
                sequences[copy.item_name] = {"max_id": highest, "next": following,
                                             "ok": following > highest}
    return {"counts": counts, "orphans": orphans, "masked_leaks": leaks,
            "sequences": sequences,
            "ok": all(c["equal"] for c in counts.values()) and not orphans and not leaks
            and all(s["ok"] for s in sequences.values())}


def _leaks(copy, source_engine, target_conn, quote, sample=1000):
    """Masked columns holding a value the source has in that column (a sample of it), and
    e-mail columns holding a domain of the source. Rules whose outputs may repeat real
    values by chance (names, numbers, dates) are not checked by value."""
    from sqlalchemy import bindparam, text

    found = {}
    source_columns = {t: s for s, t, n in copy.columns}
    for column, masker in copy.masks.items():
        if masker.rule == "keep" or not (masker.unique or masker.rule == "email"):
            continue
        with source_engine.connect() as conn:
            values = [r[0] for r in conn.execute(text(
                f"SELECT {conn.dialect.identifier_preparer.quote(q(source_columns[column]))} "
                f"FROM {conn.dialect.identifier_preparer.quote(q(copy.source_table))} "
                f"WHERE {conn.dialect.identifier_preparer.quote(q(source_columns[column]))} "
                f"IS NOT NULL")).fetchmany(sample)]
        values = [v for v in values if v not in (None, "")]
        if not values:
            continue
        hits = target_conn.execute(text(
            f"SELECT COUNT(*) FROM {quote(q(copy.target_table))} WHERE {quote(q(column))} "
            "IN :values").bindparams(bindparam("values", expanding=True)),
            {"values": values}).scalar()
        if hits:
            found[f"{copy.item_name}.{column}"] = f"{hits} source values"
        if masker.rule == "email":
            masked = [r[0] for r in target_conn.execute(text(
                f"SELECT {quote(q(column))} FROM {quote(q(copy.target_table))}")).fetchmany(
                sample)]
            kept = set(masking.domains(values)) & set(masking.domains(masked))
            if kept:
                found[f"{copy.item_name}.{column} domains"] = sorted(kept)
    return found


def _write_report(target, source, result):
    now = datetime.datetime.now()
    path = target.path / "logs" / f"refresh_{now:%Y-%m-%d_%H-%M-%S}.json"
    body = asdict(result)
    body.update(source=str(source.path), target=str(target.path),
                time=now.isoformat(timespec="seconds"))
    write_text(path, json.dumps(body, indent=1, default=str), target.path, 0o640)
    return str(path)
