"""A whole refresh of a non-production project from a production one (jam_data):
metadata first, then under maintenance the data, the record locks cleared, optionally
the accounts (masked) and the files of file/image fields; then verification and a report.

Never copied: the target's SYS_TASKS connection, parameters and secret key (admin.sqlite
is only changed by the metadata import, which never carries them, and by the accounts
copy, which keeps the target's administrators and replaces every password).
"""
import datetime
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field

from . import jamdefs as j
from . import (journal, masking, protocol, recovery, refresh_files, same_database,
               sampling, users)
from .ddl import q
from .errors import JamDeployError
from .export import export_project
from .files import write_text
from .importer import Importer
from .incoming import prepare
from .locking import METADATA_IMPORT, project_lock
from .project import Connection, Project
from .refresh import HistoryChanges, Refresher, plan_copy


@dataclass
class RefreshOptions:
    """What jam_data asks for (its options of the same names)."""
    masks: dict = field(default_factory=dict)  # (item, field) -> masker (masking.parse_rules)
    mask_key: str = None
    exclude: tuple = ()
    sample: dict = None
    source_overrides: dict = None              # jam_data's source_database
    batch_size: int = 5000
    import_metadata: bool = True
    users: str = "keep"
    users_password: str = None
    files: str = "none"


@dataclass
class RefreshResult:
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    verification: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    cleared: dict = field(default_factory=dict)
    report_file: str = None
    seconds: float = 0.0

    @property
    def changed(self):
        return any(t.changed for t in self.tables) or bool(
            self.metadata.get("changed") or any(self.cleared.values())
            or self.users.get("changed") or self.files.get("copied")
            or self.files.get("placeholders"))


def source_connection(source, overrides):
    """The source project's connection, with the keys given in ``overrides`` replaced
    (its admin.sqlite names the database as the production host sees it)."""
    connection = Connection(source.connection())
    connection.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if connection.get("db_type") == j.SQLITE and "database" in (overrides or {}):
        connection["database_path"] = str(source.path / connection["database"])
    return connection


def refresh(target_path, source_path, engine_factory, options=None, check_mode=False,
            report=lambda line: None):
    options = options or RefreshOptions()
    started = time.monotonic()
    target, source = Project(target_path), Project(source_path)
    result = RefreshResult()
    src_conn = source_connection(source, options.source_overrides)
    tgt_conn = target.connection()
    same_database.check_settings(src_conn, tgt_conn)
    if options.users == "copy" and not options.mask_key:
        raise JamDeployError("users=copy needs mask_key: logins and names are masked with it")
    source_meta = source.metadata(for_import=True)
    if options.import_metadata:
        result.metadata = _import_metadata(target, source, engine_factory, check_mode, report)
        target = Project(target_path)
    target_meta = target.metadata(for_import=True)
    if check_mode and options.import_metadata:
        # The import has not happened: plan the data against the metadata it would give.
        target_meta = prepare(source_meta, target_meta, tgt_conn["db_type"])
    plan = plan_copy(source_meta, target_meta, src_conn["db_type"], tgt_conn["db_type"],
                     _with_history_user(options.masks, target_meta, options.mask_key),
                     options.exclude)
    result.notes = result.metadata.get("recovered", []) + plan.notes
    source_engine, target_engine = engine_factory(src_conn), engine_factory(tgt_conn)

    def copy(before_write=lambda: None):
        kept = _sampled(plan, source_meta, options.sample, source_engine, report)
        result.tables = Refresher(plan, source_engine, target_engine, tgt_conn["db_type"],
                                  options.batch_size, report, before_write=before_write,
                                  kept=kept).run(check_mode)
        result.cleared = _clear(target_engine, plan.cleared, check_mode, before_write)
        # In check mode nothing is copied yet: the files are named by the source's rows.
        _side_data(result, plan, source, target, source_engine if check_mode else target_engine,
                   options, check_mode, before_write)

    try:
        same_database.check_live(src_conn, tgt_conn, source_engine, target_engine)
        if check_mode:
            copy()
        else:
            with project_lock(target.path, METADATA_IMPORT, timeout=600,
                              note="refreshing data"), Maintenance(target) as maintenance:
                result.notes += recovery.recover(target, engine_factory, report)
                copy(maintenance.begin)
            result.verification = verify(plan, source_engine, target_engine,
                                         tgt_conn["db_type"], result.tables)
    finally:
        source_engine.dispose()
        target_engine.dispose()
    result.seconds = round(time.monotonic() - started, 3)
    if not check_mode and (result.changed or not result.verification.get("ok")):
        # A scheduled run that finds nothing to change leaves no report behind.
        result.report_file = _write_report(target, source, result)
    return result


def _sampled(plan, metadata, sample, source_engine, report):
    """{item id: source keys to copy} of the tables a sample reaches (None: no sample)."""
    if not sample:
        return None
    filters = sampling.row_filters(plan, metadata, sample)
    kept = sampling.kept_keys(plan, filters, source_engine)
    names = {c.item_id: c.item_name for c in plan.tables}
    for item_id, keys in kept.items():
        report(f"{names[item_id]}: {len(keys)} rows sampled")
    plan.notes += [f"{names[i]}: only the rows a sample keeps ({len(k)})" for i, k in kept.items()]
    return kept


class Maintenance:
    """The target in maintenance from the first write to the end: a refresh that finds
    nothing to change leaves the site, and admin.sqlite, alone."""

    def __init__(self, project):
        self.project = project
        self.started = False

    def begin(self):
        if not self.started:
            journal.refresh_started(self.project.path)  # a crash: recovery ends maintenance
            protocol.maintenance_on(self.project.path, self.project.admin_path)
            self.started = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.started:
            protocol.maintenance_off(self.project.path, self.project.admin_path, success=False)
            journal.refresh_ended(self.project.path)


def _with_history_user(masks, metadata, mask_key):
    """The history's user column holds people's names: masked like SYS_USERS names
    whenever there is a key, unless a rule for it is given."""
    history = metadata.history_item()
    if not mask_key or history is None or (history["f_item_name"], "user") in masks:
        return masks
    return {**masks, (history["f_item_name"], "user"): users.name_masker(mask_key)}


def _clear(engine, tables, check_mode, before_write):
    """Empty the tables of record locks (their rows describe the target's own sessions);
    {table: rows removed}."""
    from sqlalchemy import inspect, text

    present = set(inspect(engine).get_table_names())
    cleared = {}
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for name in (t for t in tables if t in present):
            cleared[name] = conn.execute(text(f"SELECT COUNT(*) FROM {quote(q(name))}")).scalar()
            if cleared[name] and not check_mode:
                before_write()
                conn.execute(text(f"DELETE FROM {quote(q(name))}"))
    return cleared


def _side_data(result, plan, source, target, engine, options, check_mode, before_write):
    """Accounts into admin.sqlite and the files of file/image fields (``engine``: where the
    copied rows are to read)."""
    if options.users == "copy":
        outcome = users.refresh_users(target.admin_path, source.admin_path, options.mask_key,
                                      options.users_password, check_mode, before_write)
        if outcome.note:
            result.notes.append(outcome.note)
        result.users = asdict(outcome)
    if options.files != "none":
        names = refresh_files.referenced_files(plan, engine,
                                               "source" if check_mode else "target")
        result.files = asdict(refresh_files.sync_files(names, source.path, target.path,
                                                       options.files, check_mode))


def _import_metadata(target, source, engine_factory, check_mode, report):
    folder = tempfile.mkdtemp(prefix="jampy-refresh-")
    try:
        exported = export_project(source, os.path.join(folder, "source.zip"))
        imported = Importer(target.path, exported.dest, import_delay=0,
                            engine_factory=engine_factory, report=report).run(check_mode)
        return {"changed": imported.changed, "plan": imported.plan,
                "recovered": imported.recovered or []}
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


def verify(plan, source_engine, target_engine, target_db_type, tables):
    """Counts source vs target, orphaned lookups, keys above the largest id, and masked
    columns free of the source's values."""
    from sqlalchemy import text

    by_item = {t.item_id: t for t in plan.tables}
    counts, orphans, leaks, sequences, samples = {}, {}, {}, {}, {}
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
            leaks.update(_leaks(copy, source_engine, conn, quote, samples))
            if copy.key and target_db_type == j.POSTGRESQL and copy.sequence:
                highest = conn.execute(text(
                    f"SELECT COALESCE(MAX({quote(q(copy.key[1]))}), 0) FROM {name}")).scalar()
                following = conn.execute(text(
                    f"SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END "
                    f"FROM {quote(q(copy.sequence))}")).scalar()
                sequences[copy.item_name] = {"max_id": highest, "next": following,
                                             "ok": following > highest}
        leaks.update(_history_leaks(plan, conn, quote, samples))
    return {"counts": counts, "orphans": orphans, "masked_leaks": leaks,
            "sequences": sequences,
            "ok": all(c["equal"] for c in counts.values()) and not orphans and not leaks
            and all(s["ok"] for s in sequences.values())}


def _leaks(copy, source_engine, target_conn, quote, samples, sample=1000):
    """Masked columns holding a value the source has in that column (a sample of it), and
    e-mail columns holding a domain of the source. Rules whose outputs may repeat real
    values by chance (names, numbers, dates) are not checked by value. The samples are
    kept by masker, for the history's check."""
    from sqlalchemy import bindparam, text

    found = {}
    for column, masker in copy.masks.items():
        if masker.rule == "keep" or not (masker.unique or masker.rule == "email"):
            continue
        with source_engine.connect() as conn:
            source_quote = conn.dialect.identifier_preparer.quote
            name = source_quote(q(copy.source_column(column)))
            values = [r[0] for r in conn.execute(text(
                f"SELECT {name} FROM {source_quote(q(copy.source_table))} "
                f"WHERE {name} IS NOT NULL")).fetchmany(sample)]
        values = [v for v in values if v not in (None, "")]
        if not values:
            continue
        samples[id(masker)] = set(values)
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


def _history_leaks(plan, target_conn, quote, samples, sample=5000):
    """Recorded changes in the history that still hold a sampled source value of a masked
    field."""
    from sqlalchemy import text

    found = {}
    for copy in plan.tables:
        for column, masker in copy.masks.items():
            if not isinstance(masker, HistoryChanges):
                continue
            hits = 0
            for (changes,) in target_conn.execute(text(
                    f"SELECT {quote(q(column))} FROM {quote(q(copy.target_table))} "
                    f"WHERE {quote(q(column))} IS NOT NULL")).fetchmany(sample):
                for field_id, value in HistoryChanges.pairs(changes):
                    hits += value in samples.get(id(masker.by_field.get(field_id)), ())
            if hits:
                found[f"{copy.item_name}.{column}"] = f"{hits} source values"
    return found


def _write_report(target, source, result):
    now = datetime.datetime.now()
    path = target.path / "logs" / f"refresh_{now:%Y-%m-%d_%H-%M-%S}.json"
    body = dict(asdict(result), changed=result.changed)
    body.update(source=str(source.path), target=str(target.path),
                time=now.isoformat(timespec="seconds"))
    write_text(path, json.dumps(body, indent=1, default=str), target.path, 0o640)
    return str(path)
