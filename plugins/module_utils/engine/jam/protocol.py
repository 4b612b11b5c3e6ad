"""Jam.py's cross-process contract (facts §5): SYS_PARAMS flags and counters plus the
``locks/$buildID_<BUILD_VERSION>_<PARAMS_VERSION>`` marker.

Every Jam.py process compares the marker with its own build id at each /api request:
a new PARAMS_VERSION makes it re-read the settings (so it sees MAINTENANCE and answers
status 7), a new BUILD_VERSION makes it reload the task tree (the imported items).
``MaintenanceWindow`` is the one maintenance window of an import and of a data refresh.

Jam.py 7.x must never see the flag: once a 7.0.120 process has read MAINTENANCE=1 its
``App.__call__`` skips every route and answers HTTP 500 until it restarts, because only
``/api`` re-reads the settings (``wsgi.py`` ``__call__``, ``on_api``, ``check_build``).
Its window is "live": no flag, the counters bumped and the marker rewritten once, then
checked again, since a process whose first request loads the task writes back the
counters it read at its start (``App.create_task`` → ``write_settings``).
"""
import os
import sqlite3
import time
from contextlib import closing

from ..files import adopt
from .layouts import LAYOUT_54
from .locks import SAVE_BUILD_ID, project_lock

BUILD_ID_PREFIX = "$buildID"


_COUNTERS = "SELECT F_BUILD_VERSION, F_PARAMS_VERSION, F_MODIFICATION FROM SYS_PARAMS"


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
        return con.execute(_COUNTERS).fetchone()


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


def marker_versions(project_path):
    """(BUILD_VERSION, PARAMS_VERSION) the marker names, (0, 0) without one."""
    folder = os.path.join(str(project_path), "locks")
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        parts = name.split("_")
        if name.startswith(BUILD_ID_PREFIX) and len(parts) == 3 and \
                all(p.isdigit() for p in parts[1:]):
            return int(parts[1]), int(parts[2])
    return 0, 0


def _bump(project_path, admin_path, assignments, values=(), bump=(), columns=()):
    """``assignments`` plus the counters ``bump`` (columns) increased past both their value
    and the marker's: a Jam.py process that loads its task for the first time writes back
    the counters it read at its start, and a marker number used twice would not make the
    processes that saw it first reload (jam.protocol's docstring). ``columns``: as for
    ``_update_params``."""
    floors = dict(zip(("F_BUILD_VERSION", "F_PARAMS_VERSION"), marker_versions(project_path)))
    assignments = ", ".join([assignments] * bool(assignments) + [
        f"{c} = MAX(COALESCE({c}, 0), {floors.get(c, 0)}) + 1" for c in bump])
    build, params, modification = _update_params(admin_path, assignments, values, columns)
    save_build_id(project_path, build, params)
    return {"build_version": build or 0, "params_version": params or 0,
            "modification": modification or 0}


def read_counters(admin_path):
    """(BUILD_VERSION, PARAMS_VERSION, MODIFICATION) as SYS_PARAMS holds them now."""
    with closing(sqlite3.connect(str(admin_path), timeout=30)) as con:
        return tuple(v or 0 for v in con.execute(_COUNTERS).fetchone())


def maintenance_flag(admin_path):
    """Whether SYS_PARAMS holds the maintenance flag."""
    with closing(sqlite3.connect(str(admin_path), timeout=30)) as con:
        return bool(con.execute("SELECT F_MAINTENANCE FROM SYS_PARAMS").fetchone()[0])


def settle_counters(project_path, admin_path, written, wait=1.0, rounds=5):
    """Keep the counters an import wrote (``written``: as ``read_counters``): after
    ``wait`` seconds, counters a starting Jam.py process wrote back below them are set past
    both and the marker rewritten, until they stay. Returns how many repairs it took."""
    repairs = 0
    for unused in range(rounds):
        time.sleep(wait)
        found = read_counters(admin_path)
        if all(now >= then for now, then in zip(found, written)):
            return repairs
        written = tuple(max(now, then) + 1 for now, then in zip(found, written))
        _bump(project_path, admin_path,
              "F_BUILD_VERSION = ?, F_PARAMS_VERSION = ?, F_MODIFICATION = ?", written)
        repairs += 1
    return repairs


def maintenance_on(project_path, admin_path):
    """Running processes answer "under maintenance" from their next request on; returns
    the version counters."""
    return _bump(project_path, admin_path, "F_MAINTENANCE = 1", bump=("F_PARAMS_VERSION",))


def maintenance_off(project_path, admin_path, success):
    """End of maintenance: running processes re-read settings, and with ``success`` reload
    the task tree (new metadata in force); returns the version counters."""
    bump = ("F_PARAMS_VERSION",) + (("F_BUILD_VERSION", "F_MODIFICATION") if success else ())
    return _bump(project_path, admin_path, "F_MAINTENANCE = 0", bump=bump)


def reload_under_maintenance(project_path, admin_path):
    """New metadata in force while maintenance stays on: each running process reloads the
    task tree at its next request, which it answers "under maintenance". Jam.py 5.4 reloads
    in place (``load_task`` empties ``task.items`` and rebuilds them) while the process's
    other threads, which already read the new BUILD_VERSION, go on serving from that task:
    out of maintenance their requests meet an empty or half-built tree (measured:
    tests/integration/test_live_import_load.py); in maintenance they only answer status 7."""
    return _bump(project_path, admin_path, "",
                 bump=("F_PARAMS_VERSION", "F_BUILD_VERSION", "F_MODIFICATION"))


def write_settings(project_path, admin_path, columns):
    """Store parameters ({column: value}); running processes re-read them at their next
    /api request (a new PARAMS_VERSION in the marker), without a restart."""
    assignments = ", ".join(f'"{column}" = ?' for column in columns)
    return _bump(project_path, admin_path, assignments, tuple(columns.values()),
                 bump=("F_PARAMS_VERSION",), columns=tuple(columns.items()))


# How a window is announced to running processes (ImportResult.maintenance).
FLAG = "flag"   # 5.x: the maintenance flag, processes answer status 7 during the window
LIVE = "live"   # 7.x: no flag, processes serve the old metadata until the version bump


def window_mode(layout_name):
    """The announcement Jam.py processes of a project with this layout survive."""
    return FLAG if layout_name == LAYOUT_54 else LIVE


class MaintenanceWindow:
    """Jam.py's maintenance around changes running processes must not see half-done.

    ``journal`` (``begin()``/``end()``) is written before maintenance starts, so that the
    next run's recovery ends a window a crash left open. ``open`` may be called before
    every write (only the first opens); leaving the ``with`` block closes an open window.
    ``mode`` FLAG sets the maintenance flag while open; LIVE never does, and a successful
    close checks that the bumped counters stay (``settle_counters``).
    """

    def __init__(self, project_path, admin_path, journal, mode=FLAG):
        self.project_path = project_path
        self.admin_path = admin_path
        self.journal = journal
        self.mode = mode
        self.is_open = False
        self.repairs = 0

    def open(self):
        """Start maintenance, unless it has started already."""
        if not self.is_open:
            self.journal.begin()
            if self.mode == FLAG:
                maintenance_on(self.project_path, self.admin_path)
            self.is_open = True

    def close(self, success=False, keep_journal=False, reload_seconds=0):
        """End maintenance (``success``: running processes reload the metadata, given
        ``reload_seconds`` to do it still in maintenance - see ``reload_under_maintenance``;
        a process that gets no request meanwhile reloads at its first one after); the
        journal ends too unless ``keep_journal`` (work left for recovery). Returns the
        version counters."""
        if success and reload_seconds and self.mode == FLAG:
            reload_under_maintenance(self.project_path, self.admin_path)
            time.sleep(reload_seconds)
            success = False  # the new build is announced already
        versions = maintenance_off(self.project_path, self.admin_path, success)
        self.is_open = False
        if success and self.mode == LIVE:
            self.repairs = settle_counters(self.project_path, self.admin_path, tuple(
                versions[k] for k in ("build_version", "params_version", "modification")))
            versions = dict(zip(("build_version", "params_version", "modification"),
                                read_counters(self.admin_path)))
        if not keep_journal:
            self.journal.end()
        return versions

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.is_open:
            self.close()
