"""Jam.py's cross-process contract (facts §5): SYS_PARAMS flags and counters plus the
``locks/$buildID_<BUILD_VERSION>_<PARAMS_VERSION>`` marker.

Every Jam.py process compares the marker with its own build id at each /api request:
a new PARAMS_VERSION makes it re-read the settings (so it sees MAINTENANCE and answers
status 7), a new BUILD_VERSION makes it reload the task tree (the imported items).
``MaintenanceWindow`` is the one maintenance window of an import and of a data refresh.
"""
import os
import sqlite3
import time
from contextlib import closing

from ..files import adopt
from .locks import SAVE_BUILD_ID, project_lock

BUILD_ID_PREFIX = "$buildID"


def _update_params(admin_path, assignments, values=(), columns=()):
    """``columns``: SYS_PARAMS columns the assignments need, added first when missing (as
    Jam.py adds the columns of its admin items at start: a 7.0.120 setting in a project
    made by an earlier release)."""
    with closing(sqlite3.connect(str(admin_path), timeout=30)) as con:
        with con:
            present = {r[1].upper() for r in con.execute('PRAGMA table_info("SYS_PARAMS")')}
            for name, value in columns:
                if name.upper() not in present:
                    kind = "TEXT" if isinstance(value, str) else "INTEGER"
                    con.execute(f'ALTER TABLE SYS_PARAMS ADD COLUMN "{name}" {kind}')
            con.execute(f"UPDATE SYS_PARAMS SET {assignments}", values)
        return con.execute("SELECT F_BUILD_VERSION, F_PARAMS_VERSION FROM SYS_PARAMS").fetchone()


def save_build_id(project_path, build_version, params_version):
    """Replace the marker file, under the same lock Jam.py's ``save_build_id`` takes."""
    folder = os.path.join(str(project_path), "locks")
    with project_lock(project_path, SAVE_BUILD_ID, timeout=60):
        for name in os.listdir(folder):
            if name.startswith(BUILD_ID_PREFIX):
                os.remove(os.path.join(folder, name))
        marker = f"{BUILD_ID_PREFIX}_{build_version or 0}_{params_version or 0}"
        open(os.path.join(folder, marker), "w").close()
        adopt(os.path.join(folder, marker), project_path)
    return marker


def _bump(project_path, admin_path, assignments, values=(), columns=()):
    build, params = _update_params(admin_path, assignments, values, columns)
    save_build_id(project_path, build, params)
    return {"build_version": build or 0, "params_version": params or 0}


def maintenance_on(project_path, admin_path):
    """Running processes answer "under maintenance" from their next request on; returns
    the version counters."""
    return _bump(project_path, admin_path,
                 "F_MAINTENANCE = 1, F_PARAMS_VERSION = COALESCE(F_PARAMS_VERSION, 0) + 1")


_NEW_BUILD = (", F_BUILD_VERSION = COALESCE(F_BUILD_VERSION, 0) + 1"
              ", F_MODIFICATION = COALESCE(F_MODIFICATION, 0) + 1")


def maintenance_off(project_path, admin_path, success):
    """End of maintenance: running processes re-read settings, and with ``success`` reload
    the task tree (new metadata in force); returns the version counters."""
    assignments = "F_MAINTENANCE = 0, F_PARAMS_VERSION = COALESCE(F_PARAMS_VERSION, 0) + 1"
    return _bump(project_path, admin_path, assignments + (_NEW_BUILD if success else ""))


def reload_under_maintenance(project_path, admin_path):
    """New metadata in force while maintenance stays on: each running process reloads the
    task tree at its next request, which it answers "under maintenance". Jam.py 5.4 reloads
    in place (``load_task`` empties ``task.items`` and rebuilds them) while the process's
    other threads, which already read the new BUILD_VERSION, go on serving from that task:
    out of maintenance their requests meet an empty or half-built tree (measured:
    tests/integration/test_live_import_load.py); in maintenance they only answer status 7."""
    return _bump(project_path, admin_path,
                 "F_PARAMS_VERSION = COALESCE(F_PARAMS_VERSION, 0) + 1" + _NEW_BUILD)


def write_settings(project_path, admin_path, columns):
    """Store parameters ({column: value}); running processes re-read them at their next
    /api request (a new PARAMS_VERSION in the marker), without a restart."""
    assignments = ", ".join(f'"{column}" = ?' for column in columns)
    return _bump(project_path, admin_path,
                 f"{assignments}, F_PARAMS_VERSION = COALESCE(F_PARAMS_VERSION, 0) + 1",
                 tuple(columns.values()), tuple(columns.items()))


class MaintenanceWindow:
    """Jam.py's maintenance around changes running processes must not see half-done.

    ``journal`` (``begin()``/``end()``) is written before maintenance starts, so that the
    next run's recovery ends a window a crash left open. ``open`` may be called before
    every write (only the first opens); leaving the ``with`` block closes an open window.
    """

    def __init__(self, project_path, admin_path, journal):
        self.project_path = project_path
        self.admin_path = admin_path
        self.journal = journal
        self.is_open = False

    def open(self):
        """Start maintenance, unless it has started already."""
        if not self.is_open:
            self.journal.begin()
            maintenance_on(self.project_path, self.admin_path)
            self.is_open = True

    def close(self, success=False, keep_journal=False, reload_seconds=0):
        """End maintenance (``success``: running processes reload the metadata, given
        ``reload_seconds`` to do it still in maintenance - see ``reload_under_maintenance``;
        a process that gets no request meanwhile reloads at its first one after); the
        journal ends too unless ``keep_journal`` (work left for recovery). Returns the
        version counters."""
        if success and reload_seconds:
            reload_under_maintenance(self.project_path, self.admin_path)
            time.sleep(reload_seconds)
            success = False  # the new build is announced already
        versions = maintenance_off(self.project_path, self.admin_path, success)
        self.is_open = False
        if not keep_journal:
            self.journal.end()
        return versions

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.is_open:
            self.close()
