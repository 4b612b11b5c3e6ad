"""The import journal: what an import in progress has done, for the run after a crash.

``locks/jampy-import.journal`` (JSON) names the phase the import reached; the archive
being imported is kept beside it as ``locks/jampy-import.zip`` so that an interrupted
import can be finished (rolled forward) even when the original zip is gone. Both go
away when the import ends, successful or not.

A data refresh (jam_data) leaves ``locks/jampy-refresh.journal`` while the target is in
maintenance for it: after a crash, recovery turns maintenance off (the rows already
written stay; a new refresh finishes the copy).
"""
import datetime
import json
import os
import socket

from ..files import copy_file, write_text

JOURNAL = "jampy-import.journal"
REFRESH = "jampy-refresh.journal"
ARCHIVE = "jampy-import.zip"
# In order. Before "commit" the database has nothing committed; from "files" on it has.
# "maintenance" is the window opened (without the flag on Jam.py 7.x); "contract": the new
# metadata is in force and only the deferred drops (``deferred``) are left.
PHASES = ("maintenance", "database", "admin", "commit", "files", "contract")


def _path(project_path, name):
    return os.path.join(str(project_path), "locks", name)


def _entry():
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "started": datetime.datetime.now().isoformat(timespec="seconds")}


def read(project_path):
    """The journal an interrupted import left (its ``archive_copy`` included), or None."""
    try:
        with open(_path(project_path, JOURNAL)) as f:
            entry = json.load(f)
    except (OSError, ValueError):
        return None
    entry["archive_copy"] = _path(project_path, ARCHIVE)
    return entry


class ImportJournal:
    """The journal of one import of ``archive_path`` into a ``db_type`` database;
    ``deferred``: the drops it leaves until running processes have the new metadata
    (``migrate.deferred``, as dicts)."""

    def __init__(self, project_path, archive_path=None, db_type=None, deferred=()):
        self.project_path = project_path
        self.archive_path = archive_path
        self.db_type = db_type
        self.deferred = deferred
        self.entry = {}

    def begin(self):
        """Keep a copy of the archive and enter the first phase."""
        copy_file(self.archive_path, _path(self.project_path, ARCHIVE), self.project_path,
                  0o600)
        self.entry = {**_entry(), "db_type": self.db_type,
                      "archive": os.path.abspath(str(self.archive_path)),
                      "deferred": list(self.deferred)}
        self.phase("maintenance")

    def phase(self, name):
        """Record that the import reached phase ``name`` (one of PHASES)."""
        self.entry["phase"] = name
        write_text(_path(self.project_path, JOURNAL), json.dumps(self.entry),
                   self.project_path, 0o600)

    def end(self):
        """The import ended: nothing left to recover."""
        for name in (JOURNAL, ARCHIVE):
            path = _path(self.project_path, name)
            if os.path.exists(path):
                os.remove(path)


class RefreshJournal:
    """The marker of a data refresh that holds the target in maintenance."""

    def __init__(self, project_path):
        self.project_path = project_path

    def begin(self):
        """Leave the marker."""
        write_text(_path(self.project_path, REFRESH), json.dumps(_entry()), self.project_path,
                   0o600)

    def end(self):
        """Remove the marker."""
        if refresh_interrupted(self.project_path):
            os.remove(_path(self.project_path, REFRESH))


def refresh_interrupted(project_path):
    """Whether a data refresh left its marker (a crash while it held maintenance)."""
    return os.path.exists(_path(project_path, REFRESH))
