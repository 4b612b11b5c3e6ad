"""The import protocol: a metadata archive into a production project, while Jam.py runs.

lock → read and check → plan (before any maintenance window) → maintenance on →
import delay → DDL and admin.sqlite as one unit where the database allows → files →
log → maintenance off with version bumps → unlock. An empty plan changes nothing at
all: no maintenance window, no version bump, no log.
"""
import datetime
import filecmp
import gc
import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field

from . import (admin_changes, backup, ddl, guards, incoming, jamdefs, protocol, recovery,
               rehearsal)
from .archive import read_archive
from .errors import JamDeployError
from .files import copy_file, copy_like
from .import_log import ImportLog
from .journal import Journal
from .locking import METADATA_IMPORT, project_lock
from .plan import build_plan
from .project import Project

# Admin items a running Jam.py process reads once and keeps (privileges per role).
_CACHED_BY_PROCESSES = ("sys_privileges", "sys_roles", "sys_field_privileges")


class ImportFailed(JamDeployError):
    """The import stopped; the message names the statement and the database error."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


@dataclass
class ImportResult:
    changed: bool = False
    plan: dict = field(default_factory=dict)
    statements: list = field(default_factory=list)   # DDL, in order
    executed: list = field(default_factory=list)     # DDL actually sent
    admin_changes: list = field(default_factory=list)  # readable lines
    files: list = field(default_factory=list)
    log_file: str = None
    versions: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    progress: list = field(default_factory=list)
    drift: list = field(default_factory=list)        # live schema vs current metadata
    # Running Jam.py processes cache each role's privileges until they restart (only the
    # process that runs an import drops its cache), so new or changed privileges need a
    # restart of the application's processes to apply.
    restart_needed: bool = False
    recovered: list = field(default_factory=list)   # what finishing an interrupted import did
    rehearsal: str = None                            # MySQL: "passed" or why it was skipped
    data_loss: list = field(default_factory=list)    # what the plan would destroy
    seconds: dict = field(default_factory=dict)      # time per phase
    backup: dict = field(default_factory=dict)       # folder and restore hint (MySQL)


class _Clock:
    """Seconds spent per phase, for the result and the benchmark."""

    def __init__(self, seconds):
        self.seconds = seconds

    @contextmanager
    def phase(self, name):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0) + time.perf_counter() - started, 3)


def check_integrity(current, archived):
    """Jam.py's rule: an item ID keeps its type and its table (facts §4.3)."""
    errors = []
    for item_id, old in current.items.items():
        new = archived.items.get(item_id)
        if new is None:
            continue
        if old.get("type_id") != new.get("type_id"):
            errors.append(f"Items with ID {item_id} ({old.get('f_item_name')}, "
                          f"{new.get('f_item_name')}) have different type values")
        elif old.get("f_table_name") and (old["f_table_name"] or "").upper() != (
                new.get("f_table_name") or "").upper():
            errors.append(f"Items with ID {item_id} ({old.get('f_item_name')}, "
                          f"{new.get('f_item_name')}) have different database tables "
                          f"({old.get('f_table_name')}, {new.get('f_table_name')})")
    if errors:
        raise JamDeployError("the archive does not fit this project (nothing was changed):\n"
                             + "\n".join(errors))


class Importer:
    def __init__(self, project_path, archive_path, import_delay=None, lock_timeout=None,
                 engine_factory=None, report=None, backup=True, schema=True,
                 drift="fail", allow_data_loss=False, rehearse=True):
        self.project_path = project_path
        self.project = None
        self.plan = None
        self.archive_path = archive_path
        self.import_delay = import_delay
        self.lock_timeout = lock_timeout
        self.engine_factory = engine_factory
        self.report = report or (lambda line: None)
        self.take_backup = backup
        self.committed = self.files_copied = False
        # False on the other application hosts of a shared database: one host changed the
        # schema already, these only need admin.sqlite and the files.
        self.apply_schema = schema
        self.drift_policy = drift
        self.allow_data_loss = allow_data_loss
        self.rehearse = rehearse
        self.result = ImportResult()
        self.clock = _Clock(self.result.seconds)

    # -- planning (read-only) -----------------------------------------------------------
    def prepare(self):
        # Planning builds many long-lived objects (admin rows, SQLAlchemy tables); Python's
        # cyclic collector would walk them again and again (it doubled the planning time
        # of a 300-table project), and they hold no reference cycles to free.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._prepare()
        finally:
            if enabled:
                gc.enable()

    def _prepare(self):
        project = self.project
        connection = project.connection()
        if connection["db_type"] is None:
            raise JamDeployError(f"the project {project.path} has no database connection yet; "
                                 "complete it first (jampy.deploy.jam_project)")
        self.db_type = connection["db_type"]
        self.archive = read_archive(self.archive_path)
        current = self.current = project.metadata(for_import=True)
        check_integrity(current, self.archive.metadata)
        desired = incoming.prepare(self.archive.metadata, current, self.db_type)
        self.desired_task = desired.task_item()
        self.plan = build_plan(current, desired, self.db_type, project.soft_deleted_counts())
        self.rendered = ddl.render_plan(self.plan, self.db_type)
        self.admin_sql = admin_changes.admin_statements(self.plan.admin, project.columns)
        self.workdir = tempfile.mkdtemp(prefix="jampy-import-")
        try:
            self.archive.extract_files(self.workdir)
            self.file_changes = self._file_changes()
        except BaseException:
            self.cleanup()
            raise
        result = self.result
        result.plan = self.plan.summary()
        result.plan["files"] = len(self.file_changes)
        result.statements = [sql for step, sqls in self.rendered for sql in sqls]
        result.admin_changes = [c.describe() for c in self.plan.admin]
        result.files = self.file_changes
        result.warnings.extend(self.archive.warnings)
        result.changed = not self.plan.empty or bool(self.file_changes)
        result.restart_needed = any(c.table in _CACHED_BY_PROCESSES for c in self.plan.admin)
        return result

    def _generated_files(self):
        """The client code Jam.py writes itself from the metadata (js/<task>.js and its
        minified copy): a process regenerates it when it loads the task."""
        task = self.desired_task or {}
        name = task.get("f_item_name")
        return {f"js/{name}.js", f"js/{name}.min.js"} if name else set()

    def _file_changes(self):
        changes = []
        root = os.path.realpath(self.project.path)
        for name in self.archive.files:
            target = os.path.join(root, *name.split("/"))
            if os.path.commonpath([root, os.path.realpath(target)]) != root:
                raise JamDeployError(f"archive file {name} would be written outside the "
                                     f"project through a symbolic link in {root}")
            source = os.path.join(self.workdir, *name.split("/"))
            if not (os.path.isfile(target) and filecmp.cmp(source, target, shallow=False)):
                changes.append(name)
        if not self.plan.admin:
            # Same metadata: a differing generated file only shows another Jam.py version
            # (or a restart) regenerated it; copying it would make every run a change.
            generated = self._generated_files()
            changes = [name for name in changes if name not in generated]
        return changes

    def cleanup(self):
        if getattr(self, "workdir", None):
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    # -- applying -----------------------------------------------------------------------
    def run(self, check_mode=False):
        """Plan, check the live database, and unless ``check_mode`` apply; returns the
        ImportResult or raises (check mode refuses what a real run would refuse).

        A real run first finishes an import that was interrupted (killed, host down): see
        ``recovery``."""
        self.project = Project(self.project_path)
        if check_mode:
            return self.run_locked(check_mode=True)
        with ExitStack() as stack:
            with self.clock.phase("lock"):
                stack.enter_context(project_lock(
                    self.project.path, METADATA_IMPORT, self.lock_timeout,
                    on_wait=lambda p: self.report(f"waiting for {p}"),
                    note=f"importing {os.path.basename(str(self.archive_path))}"))
            self.result.recovered = recovery.recover(self.project, self.engine_factory,
                                                     self.report)
            self.project = Project(self.project_path)
            return self.run_locked()

    def run_locked(self, check_mode=False):
        """``run`` for a caller that holds the import lock already."""
        with ExitStack() as stack:
            stack.callback(self.cleanup)
            with self.clock.phase("plan"):
                self.prepare()
            if not self.result.changed:
                return self.result
            self.report("plan ready")
            with self.clock.phase("connect"):
                engine = self._connect()
            if engine is not None:
                stack.callback(engine.dispose)
                with self.clock.phase("checks"):
                    self._check_database(engine)
                if self.rehearse and self.db_type == jamdefs.MYSQL:
                    with self.clock.phase("rehearsal"):
                        self.result.rehearsal = rehearsal.rehearse(
                            self.project.connection(), self.result.statements,
                            self.engine_factory)
                    self.report(f"rehearsal {self.result.rehearsal}")
            if not check_mode:
                self._back_up()
                self._apply(engine)
            return self.result

    def _check_database(self, engine):
        """Drift and data loss, before anything changes (and in check mode)."""
        with engine.connect() as conn:
            found = guards.drift(conn, self.db_type, self.plan.current_schema)
            self.result.drift = found
            blocking = found if self.drift_policy == "fail" else [
                d for d in found if not guards.harmless(d, self.db_type)
            ] if self.drift_policy == "adopt" else []
            if blocking:
                raise JamDeployError(
                    "the project database differs from what the project's metadata describes "
                    "(changed outside the Builder?); nothing was changed:\n  "
                    + "\n  ".join(blocking)
                    + "\nFix the database, or set drift to adopt (keep objects the metadata "
                      "does not know) or ignore.")
            self.result.warnings += [f"drift: {d}" for d in found]
            self.result.data_loss = guards.data_loss(conn, self.plan, self.db_type)
        if self.result.data_loss and not self.allow_data_loss:
            raise JamDeployError(
                "the import would destroy stored data; nothing was changed:\n  "
                + "\n  ".join(self.result.data_loss)
                + "\nBack the data up and set allow_data_loss to go ahead.")

    def _connect(self):
        """The database engine, connected once now: an unreachable database fails the run
        before the site goes into maintenance."""
        if not self.rendered or not self.apply_schema:
            return None
        engine = self.engine_factory(self.project.connection())
        try:
            engine.connect().close()
        except BaseException:
            engine.dispose()
            raise
        return engine

    def _back_up(self):
        """Before DDL that cannot be rolled back, dump what it changes (and admin.sqlite)."""
        if self.db_type in jamdefs.TRANSACTIONAL_DDL or not self.take_backup or not self.apply_schema:
            return
        tables = self.plan.existing_tables_changed()
        if not tables or self.db_type != jamdefs.MYSQL:
            return
        with self.clock.phase("backup"):
            folder = backup.backup_folder(self.project.path, datetime.datetime.now())
            copy_like(self.project.admin_path, os.path.join(folder, "admin.sqlite"))
            dump = os.path.join(folder, f"{self.project.connection()['database']}.sql")
            restore = backup.dump_tables(self.project.connection(), tables, dump)
        self.result.backup = {"folder": folder, "tables": tables, "restore": restore}
        self.report(f"backup of {len(tables)} tables in {folder}")

    def _apply(self, engine):
        project, result = self.project, self.result
        log = ImportLog(project.path, project.parameters()["language"])
        admin_path = project.admin_path
        delay = self.import_delay
        if delay is None:
            delay = project.parameters()["import_delay"]
            if delay and not self.current.table_items():
                self.report("no import delay: a project without tables serves nothing yet")
                delay = 0
        journal = Journal(project.path)
        try:
            journal.begin(self.archive_path, self.db_type)
            with self.clock.phase("maintenance"):
                protocol.maintenance_on(project.path, admin_path)
            self.report("maintenance on")
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
                    self._copy_files()
                except OSError as exc:
                    raise ImportFailed(
                        f"the metadata were imported but copying the files failed ({exc}); "
                        "run the import again to copy them", result) from None
        except ImportFailed as exc:
            log.error(str(exc))
            raise
        except JamDeployError as exc:
            log.error(str(exc))
            raise ImportFailed(str(exc), result) from None
        finally:
            # Once the database and admin.sqlite are committed the new metadata is in force:
            # running processes must reload it even if copying files failed.
            with self.clock.phase("maintenance"):
                result.versions = protocol.maintenance_off(project.path, admin_path,
                                                           self.committed)
            self.report("maintenance off")
            if not self.committed or self.files_copied:
                journal.end()  # else the next run's recovery copies the files
            result.log_file = str(log.write(self._outcome(), datetime.datetime.now()))
            result.progress = log.lines

    def _outcome(self):
        if not self.committed:
            return "failed"
        return "success" if self.files_copied else "errors"

    def _apply_database_and_admin(self, engine, log, journal):
        """DDL, then admin.sqlite, then the database commit: the journal says how far this
        got, ``_admin.sqlite`` (Jam.py's own convention, restored at its next start) holds
        admin.sqlite as it was until the database has committed."""
        log.progress("import_changing_db")
        transactional = self.db_type in jamdefs.TRANSACTIONAL_DDL
        conn = engine.connect() if engine else None
        try:
            # MySQL commits each DDL statement by itself; the others wait for our commit.
            trans = conn.begin() if conn is not None else None
            journal.phase("database")
            with self.clock.phase("database"):
                self._execute_ddl(conn, log, transactional)
            log.progress("import_changing_admin")
            admin_copy = str(self.project.path / "_admin.sqlite")
            copy_like(self.project.admin_path, admin_copy)
            journal.phase("admin")
            try:
                self.report("admin.sqlite saved as _admin.sqlite")
                with self.clock.phase("admin"):
                    self._execute_admin(log)
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

    def _execute_ddl(self, conn, log, transactional):
        if not self.apply_schema:
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
                           if transactional else
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

    def _execute_admin(self, log):
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

    def _copy_files(self):
        for name in self.file_changes:
            self.report(f"file {name}")
            source = os.path.join(self.workdir, *name.split("/"))
            copy_file(source, os.path.join(str(self.project.path), *name.split("/")),
                      self.project.path)
        self.files_copied = True
        self.report("files copied")
