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

from ..archive.export import export_project
from ..archive.validate import validate_metadata
from ..db.connect import create_engine
from ..db.quoting import sql_name
from ..db.registry import dialect_for, supported_dialect
from ..errors import JamDeployError
from ..files import write_text
from ..jam.journal import RefreshJournal
from ..jam.locks import METADATA_IMPORT, project_lock
from ..jam.project import Connection, Project
from ..jam.protocol import MaintenanceWindow, window_mode
from ..masking.masker import parse_rules
from ..migrate.importer import ImportOptions
from ..migrate.incoming import prepare
from ..migrate.recovery import recover
from ..migrate.run import run_import
from . import same_database, sampling, uploads, users
from .plan import plan_copy
from .sync import Refresher
from .verify import verify


@dataclass(frozen=True)
class RefreshOptions:
    """What jam_data asks for (its options of the same names); JamDeployError for values
    that do not go together."""
    masks: dict = field(default_factory=dict)  # "<item>.<field>": rule (masker.parse_rules)
    mask_key: str = None
    exclude: tuple = ()
    sample: dict = None
    source_overrides: dict = None              # jam_data's source_database
    batch_size: int = 5000
    import_metadata: bool = True
    users: str = "keep"
    users_password: str = None
    files: str = "none"

    def __post_init__(self):
        if (self.masks or self.users == "copy") and not self.mask_key:
            raise JamDeployError("mask_key is required with masks and users=copy (it keeps "
                                 "masking deterministic)")
        if self.batch_size < 1:
            raise JamDeployError("batch_size must be 1 or more")

    def maskers(self):
        """{(item, field): masking.masker.Masker} of ``masks``."""
        return parse_rules(self.masks, self.mask_key) if self.masks else {}


@dataclass
class RefreshResult:
    """What a refresh copied, noted and verified."""
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
        """Whether anything of the target changed."""
        return any(t.changed for t in self.tables) or bool(
            self.metadata.get("changed") or any(self.cleared.values())
            or self.users.get("changed") or self.files.get("copied")
            or self.files.get("placeholders"))


def source_connection(source, overrides):
    """The source project's connection, with the keys given in ``overrides`` replaced
    (its admin.sqlite names the database as the production host sees it)."""
    connection = Connection(source.connection())
    connection.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if "database" in (overrides or {}):
        dialect_for(connection.get("db_type")).locate(connection, source.path)
    return connection


def run_refresh(target_path, source_path, options=None, engine_factory=create_engine,
                check_mode=False, report=None):
    """Refresh the project at ``target_path`` from the one at ``source_path`` with
    ``options`` (``RefreshOptions``); returns the ``RefreshResult``.

    Refuses a source and target that are one database. Check mode counts what would be
    written and writes nothing; a real run holds the target's import lock, finishes what
    an interrupted run left, keeps the target in maintenance from its first write, then
    verifies and, when something changed or did not verify, writes a report.
    """
    options = options or RefreshOptions()
    report = report or (lambda line: None)
    started = time.monotonic()
    masks = options.maskers()
    target, source = Project(target_path), Project(source_path)
    result = RefreshResult()
    src_conn = source_connection(source, options.source_overrides)
    tgt_conn = target.connection()
    supported_dialect(tgt_conn["db_type"], "refreshing the data of")
    supported_dialect(src_conn["db_type"], "copying data from")
    same_database.check_settings(src_conn, tgt_conn)
    source_meta = source.metadata(for_import=True)
    # Before anything changes: the copy is planned from this metadata (and the target's when
    # its own is kept), so broken metadata must not get as far as the import's own check.
    validate_metadata(source_meta, what=f"the source project {source.path}")
    if not options.import_metadata:
        validate_metadata(target.metadata(for_import=True),
                          what=f"the target project {target.path}")
    if options.import_metadata:
        result.metadata = _import_metadata(target, source, engine_factory, check_mode, report)
        target = Project(target_path)
    target_meta = target.metadata(for_import=True)
    if check_mode and options.import_metadata:
        # The import has not happened: plan the data against the metadata it would give.
        target_meta = prepare(source_meta, target_meta, tgt_conn["db_type"])
    plan = plan_copy(source_meta, target_meta, src_conn["db_type"], tgt_conn["db_type"],
                     _with_history_user(masks, target_meta, options.mask_key),
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
            # Jam.py 7.x processes break on the maintenance flag: they keep serving.
            window = MaintenanceWindow(target.path, target.admin_path,
                                       RefreshJournal(target.path), window_mode(target.layout))
            with project_lock(target.path, METADATA_IMPORT, timeout=600,
                              note="refreshing data"), window:
                result.notes += recover(target, engine_factory, report)
                copy(window.open)
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
        for name in (t for t in tables if t in present):
            cleared[name] = conn.execute(
                text(f"SELECT COUNT(*) FROM {sql_name(conn, name)}")).scalar()
            if cleared[name] and not check_mode:
                before_write()
                conn.execute(text(f"DELETE FROM {sql_name(conn, name)}"))
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
        names = uploads.referenced_files(plan, engine, "source" if check_mode else "target")
        result.files = asdict(uploads.sync_files(names, source.path, target.path,
                                                 options.files, check_mode))


def _import_metadata(target, source, engine_factory, check_mode, report):
    folder = tempfile.mkdtemp(prefix="jampy-refresh-")
    try:
        exported = export_project(source, os.path.join(folder, "source.zip"))
        imported = run_import(target.path, exported.dest, ImportOptions(import_delay=0),
                              engine_factory, check_mode, report)
        return {"changed": imported.changed, "plan": imported.plan,
                "recovered": imported.recovered or []}
    finally:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)


def _write_report(target, source, result):
    now = datetime.datetime.now()
    path = target.path / "logs" / f"refresh_{now:%Y-%m-%d_%H-%M-%S}.json"
    body = dict(asdict(result), changed=result.changed)
    body.update(source=str(source.path), target=str(target.path),
                time=now.isoformat(timespec="seconds"))
    write_text(path, json.dumps(body, indent=1, default=str), target.path, 0o640)
    return str(path)
