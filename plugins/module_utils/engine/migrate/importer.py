"""The import: a metadata archive into a project, while Jam.py runs.

read and check → plan (before any maintenance window) → maintenance on → import delay →
DDL and admin.sqlite as one unit where the database allows → files → log → maintenance
off with version bumps. An empty plan changes nothing at all: no maintenance window, no
version bump, no log. The caller holds the import lock (``run.run_import``).

The project's Jam.py line decides how the window is announced (``jam.protocol``): 5.x
processes answer "under maintenance" while the flag is set; 7.x processes would break on
it, so they keep serving the old metadata without a flag and without an import delay,
and the drops they could still need wait until after the bump (``deferred``).
"""
import datetime
import gc
import os
import sqlite3
import time
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field

from ..archive.read import read_archive
from ..archive.validate import validate_metadata
from ..db.connect import create_engine
from ..db.registry import dialect_for
from ..errors import JamDeployError
from ..files import copy_like
from ..jam.import_log import ImportLog
from ..jam.journal import ImportJournal
from ..jam.protocol import FLAG, LIVE, MaintenanceWindow, maintenance_flag, window_mode
from . import deferred, guards, incoming, omissions
from .admin_changes import admin_statements
from .backup import back_up
from .incoming_files import IncomingFiles
from .plan import build_plan, check_integrity
from .rehearsal import rehearse
from .render import render_plan
from .summary import summarize
from .steps import DropIndex, RebuildTable

REPAIRED = " - repaired by this import"
# Seconds running processes get, still in maintenance, to reload the imported metadata
# (at most the import delay: none without one); see protocol.reload_under_maintenance.
RELOAD_SECONDS = 2
# Admin items a running Jam.py process reads once and keeps (privileges per role).
_CACHED_BY_PROCESSES = ("sys_privileges", "sys_roles", "sys_field_privileges")


def _silent(line):
    """A report that drops the progress lines."""


@dataclass(frozen=True)
class ImportOptions:
    """What jam_import asks for (its options of the same names); JamDeployError for a value
    outside what they accept."""
    import_delay: int = None      # None: the project's own Import delay parameter
    lock_timeout: float = None    # None: wait for another import as long as it takes
    backup: bool = True
    # False on the other application hosts of a shared database: one host changed the
    # schema already, these only need admin.sqlite and the files.
    schema: bool = True
    drift: str = "fail"
    allow_data_loss: bool = False
    rehearse: bool = True
    # Repair Jam.py's known omissions (migrate.omissions) now rather than with the next
    # change of their tables.
    repair_omissions: bool = False
    # An item ID reused for another item type: drop the old item, create the new one.
    replace_retyped_items: bool = False

    def __post_init__(self):
        if self.import_delay is not None and self.import_delay < 0:
            raise JamDeployError("import_delay must be 0 or more seconds")
        if self.drift not in guards.DRIFT_POLICIES:
            raise JamDeployError(f"drift must be one of {', '.join(guards.DRIFT_POLICIES)}, "
                                 f"not {self.drift!r}")


class ImportFailed(JamDeployError):
    """The import stopped; the message names the statement and the database error."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


@dataclass
class ImportResult:
    """What an import planned and did."""
    changed: bool = False
    plan: dict = field(default_factory=dict)
    statements: list = field(default_factory=list)   # DDL, in order
    executed: list = field(default_factory=list)     # DDL actually sent
    admin_changes: list = field(default_factory=list)  # readable lines
    summary: dict = field(default_factory=dict)      # summary.summarize
    files: list = field(default_factory=list)
    log_file: str = None
    versions: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    progress: list = field(default_factory=list)
    drift: list = field(default_factory=list)        # live schema vs current metadata
    omissions: list = field(default_factory=list)    # Jam.py's known omissions, readable
    # How running processes were told (jam.protocol FLAG or LIVE) and the drops LIVE left
    # until they had the new metadata.
    maintenance: str = None
    deferred: list = field(default_factory=list)
    # Why the application's processes must restart (empty: they need not).
    restart_reasons: list = field(default_factory=list)
    recovered: list = field(default_factory=list)   # what finishing an interrupted import did
    rehearsal: str = None                            # "passed" or why it was skipped
    data_loss: list = field(default_factory=list)    # what the plan would destroy
    seconds: dict = field(default_factory=dict)      # time per phase
    backup: dict = field(default_factory=dict)       # folder and restore hint
    project_path: str = None
    schemas: tuple = ()                              # (current, desired) model.Schema

    @property
    def restart_needed(self):
        """Whether the application's processes must restart for the import to apply."""
        return bool(self.restart_reasons)


class Clock:
    """Seconds spent per phase, for the result and the benchmark."""

    def __init__(self, seconds):
        self.seconds = seconds

    @contextmanager
    def phase(self, name):
        """Add the time the ``with`` block takes to phase ``name``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0) + time.perf_counter() - started, 3)


class Importer:
    """One import of the archive at ``archive_path`` into ``project`` (a ``jam.project.
    Project``), with ``options`` (``ImportOptions``); progress lines go to ``report``."""

    def __init__(self, project, archive_path, options=None, engine_factory=create_engine,
                 report=None):
        self.project = project
        self.archive_path = archive_path
        self.options = options or ImportOptions()
        self.engine_factory = engine_factory
        self.report = report or _silent
        self.result = ImportResult(project_path=str(project.path))
        self.clock = Clock(self.result.seconds)
        self.committed = self.files_copied = False
        self.incoming_files = None

    def run(self, check_mode=False):
        """Plan, check the live database, and unless ``check_mode`` apply; returns the
        ImportResult or raises (check mode refuses what a real run would refuse)."""
        with ExitStack() as stack:
            stack.callback(self._remove_files)
            with self.clock.phase("plan"):
                self._plan()
            if not self.result.changed and not self.options.repair_omissions:
                return self.result
            self.report("plan ready")
            with self.clock.phase("connect"):
                engine = self._connect()
            if engine is not None:
                stack.callback(engine.dispose)
                with self.clock.phase("checks"):
                    self._check_database(engine)
            if not self.result.changed:  # only asked to repair, and nothing to repair
                return self.result
            if engine is not None and self.options.rehearse and self.dialect.rehearses:
                with self.clock.phase("rehearsal"):
                    self.result.rehearsal = rehearse(
                        self.dialect, self.project.connection(), self.result.statements,
                        self.engine_factory)
                self.report(f"rehearsal {self.result.rehearsal}")
            if not check_mode:
                self._back_up()
                self._apply(engine)
            return self.result

    # -- planning (read-only) -----------------------------------------------------------
    def _plan(self):
        # Planning builds many long-lived objects (admin rows, SQLAlchemy tables); Python's
        # cyclic collector would walk them again and again (it doubled the planning time
        # of a 300-table project), and they hold no reference cycles to free.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build_plan()
        finally:
            if enabled:
                gc.enable()

    def _build_plan(self):
        project = self.project
        connection = project.connection()
        if connection["db_type"] is None:
            raise JamDeployError(f"the project {project.path} has no database connection yet; "
                                 "complete it first (jampy.deploy.jam_project)")
        self.dialect = dialect_for(connection["db_type"])
        self.archive = read_archive(self.archive_path)
        validate_metadata(self.archive.metadata, self.dialect.code,
                          what=f"the archive {self.archive_path}")
        self.current = project.metadata(for_import=True)
        self.retyped = check_integrity(self.current, self.archive.metadata,
                                       self.options.replace_retyped_items)
        self.desired = incoming.prepare(self.archive.metadata, self.current, self.dialect.code)
        self.soft_deleted = project.soft_deleted_counts()
        self.mode = window_mode(project.layout)
        plan = build_plan(self.current, self.desired, self.dialect.code, self.soft_deleted,
                          replaced=self.retyped)
        self.incoming_files = IncomingFiles(self.archive)
        # Same metadata: a differing generated file only shows another Jam.py version (or a
        # restart) regenerated it; copying it would make every run a change.
        generated = () if plan.admin else _generated_files(self.desired.task_item())
        self.file_changes = self.incoming_files.changed(project.path, generated)
        self.result.warnings.extend(self.archive.warnings)
        if self.mode == LIVE and project.parameters()["debugging"]:
            self.result.warnings.append(
                "Debugging is on: Jam.py 7.x answers HTTP 500 instead of an error message "
                "to a request that fails while the import switches the metadata; turn it "
                "off in production (jampy.deploy.jam_params debugging: false)")
        self._use_plan(plan)

    def _use_plan(self, plan):
        self.plan = plan
        self.rendered = render_plan(plan, self.dialect.code)
        self.deferred = []
        if self.mode == LIVE and self.options.schema:
            self.rendered, self.deferred = deferred.split(self.rendered)
        self.admin_sql = admin_statements(plan.admin, self.project.columns)
        result = self.result
        result.plan = plan.summary()
        result.plan["files"] = len(self.file_changes)
        result.statements = [sql for step, sqls in self.rendered for sql in sqls] + [
            sql for entry in self.deferred for sql in entry["sql"]]
        result.maintenance = self.mode
        result.deferred = [entry["describe"] for entry in self.deferred]
        result.admin_changes = [c.describe() for c in plan.admin]
        result.summary = summarize(plan, self.current, self.desired)
        result.files = self.file_changes
        result.changed = not plan.empty or bool(self.file_changes)
        # Running processes cache each role's privileges until they restart (only the
        # process that runs an import drops its cache).
        result.restart_reasons = [
            "privileges or roles changed: running Jam.py processes keep the old ones until "
            "they restart"] if any(c.table in _CACHED_BY_PROCESSES for c in plan.admin) else []
        result.schemas = (plan.current_schema, plan.desired_schema)

    def _remove_files(self):
        if self.incoming_files is not None:
            self.incoming_files.remove()

    # -- checking (read-only) -----------------------------------------------------------
    def _connect(self):
        """The database engine, connected once now: an unreachable database fails the run
        before the site goes into maintenance."""
        if not self.options.schema or not (
                self.rendered or self.deferred or self.options.repair_omissions):
            return None
        engine = self.engine_factory(self.project.connection())
        try:
            engine.connect().close()
        except BaseException:
            engine.dispose()
            raise
        return engine

    def _check_database(self, engine):
        """Drift (Jam.py's known omissions apart, which the plan may repair) and data loss,
        before anything changes (and in check mode)."""
        with engine.connect() as conn:
            found = guards.drift(conn, self.dialect, self.plan.current_schema)
            known, found = omissions.recognise(
                found, omissions.Context.of(self.current, self.dialect, self.project.path))
            self.result.drift = [str(d) for d in found]
            guards.check_drift(found, self.options.drift)
            self.result.warnings += [f"drift: {d}" for d in found]
            self._repair(known, conn)
            self.result.data_loss = guards.data_loss(conn, self.plan, self.dialect)
        guards.check_data_loss(self.result.data_loss, self.options.allow_data_loss)

    def _repair(self, known, conn):
        """The plan again, rebuilding the tables whose omissions a rebuild repairs when
        they change anyway (or all of them with repair_omissions); the omissions reported,
        those this import repairs marked so."""
        tables = omissions.tables_to_repair(known)
        if tables:
            self._use_plan(build_plan(self.current, self.desired, self.dialect.code,
                                      self.soft_deleted, tables, self.options.repair_omissions,
                                      self.retyped, omissions.leftover_indexes(known)))
        rebuilt = {s.old.name for s in self.plan.steps if isinstance(s, RebuildTable)}
        dropped = {(s.table, s.index.name) for s in self.plan.steps if isinstance(s, DropIndex)}

        def repaired(o):
            return (o.kind.rebuild_repairs or o.kind.drop_repairs) and o.table in rebuilt \
                or o.kind.drop_repairs and (o.table, o.difference.name) in dropped
        self.result.omissions = [f"{o}{REPAIRED if repaired(o) else ''}" for o in known]
        self.result.warnings += [f"Jam.py omission: {line}" for line in self.result.omissions]
        for name in sorted({o.table for o in known if o.kind.rebuild_repairs} & rebuilt):
            # the foreign keys Jam.py left out
            self.result.warnings += guards.dangling_references(
                conn, self.plan.current_schema.tables[name])

    # -- applying -----------------------------------------------------------------------
    def _back_up(self):
        """Before DDL that cannot be rolled back, dump what it changes (and admin.sqlite)."""
        if self.dialect.transactional_ddl or not self.dialect.dumps_tables or \
                not self.options.backup or not self.options.schema:
            return
        tables = self.plan.existing_tables_changed()
        if not tables:
            return
        with self.clock.phase("backup"):
            self.result.backup = back_up(self.project, self.dialect, tables)
        self.report(f"backup of {len(tables)} tables in {self.result.backup['folder']}")

    def _import_delay(self):
        if self.mode == LIVE:
            self.report("no import delay: Jam.py 7.x processes keep serving (no maintenance "
                        "flag) until the new metadata is in force")
            return 0
        delay = self.options.import_delay
        if delay is None:
            delay = self.project.parameters()["import_delay"]
            if delay and not self.current.table_items():
                self.report("no import delay: a project without tables serves nothing yet")
                delay = 0
        return delay

    def _apply(self, engine):
        project, result = self.project, self.result
        log = ImportLog(project.path, project.parameters()["language"])
        delay = self._import_delay()
        journal = ImportJournal(project.path, self.archive_path, self.dialect.code,
                                self.deferred)
        window = MaintenanceWindow(project.path, project.admin_path, journal, self.mode)
        if self.mode == LIVE and maintenance_flag(project.admin_path):
            result.restart_reasons.append(
                "the maintenance flag was set before this import (a Jam.py 7.x process that "
                "read it answers HTTP 500 until it restarts); the import cleared it")
        try:
            with self.clock.phase("maintenance"):
                window.open()
            self.report("maintenance on" if self.mode == FLAG else
                        "import window open without the maintenance flag (Jam.py 7.x)")
            for key in ("import_reading_data", "import_checking_integrity", "import_analyzing"):
                log.progress(key)
            if delay:
                log.progress("import_waiting_close")
                self.report(f"import delay: waiting {delay} s")
                with self.clock.phase("import_delay"):
                    time.sleep(delay)
            self._apply_database_and_admin(engine, log, journal)
            log.progress("import_copying")
            with self.clock.phase("files"):
                try:
                    self.incoming_files.copy(self.file_changes, project.path, self.report)
                except OSError as exc:
                    raise ImportFailed(
                        f"the metadata were imported but copying the files failed ({exc}); "
                        "run the import again to copy them", result) from None
                self.files_copied = True
                self.report("files copied")
        except ImportFailed as exc:
            log.error(str(exc))
            raise
        except JamDeployError as exc:
            log.error(str(exc))
            raise ImportFailed(str(exc), result) from None
        finally:
            # Once the database and admin.sqlite are committed the new metadata is in force:
            # running processes must reload it even if copying files failed, and the next
            # run's recovery copies the files.
            with self.clock.phase("maintenance"):
                result.versions = window.close(
                    success=self.committed,
                    keep_journal=self.committed and not (self.files_copied and
                                                         not self.deferred),
                    reload_seconds=min(delay, RELOAD_SECONDS))
            self.report(self._closed(window))
            try:
                if self.committed and self.files_copied and self.deferred:
                    self._drop_deferred(engine, log, journal)
            finally:
                result.log_file = str(log.write(self._outcome(), datetime.datetime.now()))
                result.progress = log.lines

    def _closed(self, window):
        """The progress line of the window's end."""
        if self.mode == FLAG:
            return "maintenance off"
        if not self.committed:
            return "import window closed: the old metadata stays in force"
        repaired = f" (counters repaired {window.repairs} times)" if window.repairs else ""
        return f"new metadata in force: versions bumped{repaired}"

    def _drop_deferred(self, engine, log, journal):
        """The drops the old metadata needed, now that processes reload the new one."""
        journal.phase("contract")
        self.report(f"dropping what only the old metadata used: {', '.join(self.result.deferred)}")
        with self.clock.phase("deferred"), engine.begin() as conn:
            try:
                deferred.drop(conn, self.deferred, lambda sql: (
                    log.sql(sql), self.result.executed.append(sql)))
            except Exception as exc:  # the driver's error; the journal retries next run
                message = (f"the new metadata is in force but dropping what it no longer "
                           f"uses failed ({str(getattr(exc, 'orig', exc)).strip()}); the "
                           "next import (or jam_params reset_maintenance) retries the drops")
                log.error(message)
                raise ImportFailed(message, self.result) from None
        journal.end()
        self.report("dropped")

    def _outcome(self):
        if not self.committed:
            return "failed"
        return "success" if self.files_copied else "errors"

    def _apply_database_and_admin(self, engine, log, journal):
        """DDL, then admin.sqlite, then the database commit: the journal says how far this
        got, ``_admin.sqlite`` (Jam.py's own convention, restored at its next start) holds
        admin.sqlite as it was until the database has committed."""
        log.progress("import_changing_db")
        conn = engine.connect() if engine else None
        try:
            # Without transactional DDL each statement commits by itself; the others wait
            # for our commit.
            trans = conn.begin() if conn is not None else None
            journal.phase("database")
            with self.clock.phase("database"):
                self._execute_ddl(conn, log)
            log.progress("import_changing_admin")
            admin_copy = str(self.project.path / "_admin.sqlite")
            copy_like(self.project.admin_path, admin_copy)
            journal.phase("admin")
            try:
                self.report("admin.sqlite saved as _admin.sqlite")
                with self.clock.phase("admin"):
                    self._execute_admin()
                journal.phase("commit")
                self.report("admin.sqlite changed")
                with self.clock.phase("database"):
                    if trans is not None:
                        trans.commit()
            except BaseException:
                os.replace(admin_copy, self.project.admin_path)
                raise
            self.committed = True
            try:
                self.report("database committed")
            finally:  # from here on admin.sqlite must follow the database, never go back
                os.remove(admin_copy)
                journal.phase("files")
        finally:
            if conn is not None:
                conn.close()

    def _execute_ddl(self, conn, log):
        if not self.options.schema:
            self.report("schema changes left to the host that owns the database")
            return
        for step, sqls in self.rendered:
            self.report(step.describe())
            for sql in sqls:
                log.sql(sql)
                try:
                    conn.exec_driver_sql(sql)
                except Exception as exc:  # the driver's error, reported with the statement
                    error = getattr(exc, "orig", exc)
                    ran = ("rolled back: the database and admin.sqlite are unchanged"
                           if self.dialect.transactional_ddl else
                           f"{len(self.result.executed)} statements before it were applied "
                           "and are not rolled back by this database; admin.sqlite is "
                           "unchanged" + self._restore_hint())
                    raise ImportFailed(f"statement failed: {sql}\n{str(error).strip()}\n"
                                       f"The import was {ran}.", self.result) from None
                self.result.executed.append(sql)

    def _restore_hint(self):
        found = self.result.backup
        if not found:
            return ""
        return (f". The changed tables were saved before in {found['folder']}: restore them "
                f"with `{found['restore']}` (as the database owner), then import again")

    def _execute_admin(self):
        with closing(sqlite3.connect(str(self.project.admin_path), timeout=30,
                                     isolation_level=None)) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in self.admin_sql:
                    con.execute(sql, params)
                con.execute("COMMIT")
            except sqlite3.Error as exc:
                con.execute("ROLLBACK")
                raise ImportFailed(f"admin.sqlite change failed: {exc}", self.result) from None


def _generated_files(task):
    """The client code Jam.py writes itself from the metadata (js/<task>.js and its
    minified copy): a process regenerates it when it loads the task."""
    name = (task or {}).get("f_item_name")
    return {f"js/{name}.js", f"js/{name}.min.js"} if name else set()
