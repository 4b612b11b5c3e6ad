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

from .files import copy_file, write_text

JOURNAL = "jampy-import.journal"
REFRESH = "jampy-refresh.journal"
ARCHIVE = "jampy-import.zip"
# In order. Before "commit" the database has nothing committed; from "files" on it has.
PHASES = ("maintenance", "database", "admin", "commit", "files")


def _path(project_path, name):
    return os.path.join(str(project_path), "locks", name)


def read(project_path):
    try:
        with open(_path(project_path, JOURNAL)) as f:
            entry = json.load(f)
    except (OSError, ValueError):
        return None
    entry["archive_copy"] = _path(project_path, ARCHIVE)
    return entry


class Journal:
    def __init__(self, project_path):
        self.project_path = project_path
        self.entry = {}

    def begin(self, archive_path, db_type):
        copy_file(archive_path, _path(self.project_path, ARCHIVE), self.project_path, 0o600)
        self.entry = {"pid": os.getpid(), "host": socket.gethostname(), "db_type": db_type,
                      "archive": os.path.abspath(str(archive_path)),
                      "started": datetime.datetime.now().isoformat(timespec="seconds")}
        self.phase("maintenance")

    def phase(self, name):
        self.entry["phase"] = name
        write_text(_path(self.project_path, JOURNAL), json.dumps(self.entry),
                   self.project_path, 0o600)

    def end(self):
        for name in (JOURNAL, ARCHIVE):
            path = _path(self.project_path, name)
            if os.path.exists(path):
                os.remove(path)


def refresh_started(project_path):
    entry = {"pid": os.getpid(), "host": socket.gethostname(),
             "started": datetime.datetime.now().isoformat(timespec="seconds")}
    write_text(_path(project_path, REFRESH), json.dumps(entry), project_path, 0o600)


def refresh_interrupted(project_path):
    return os.path.exists(_path(project_path, REFRESH))


def refresh_ended(project_path):
    if refresh_interrupted(project_path):
        os.remove(_path(project_path, REFRESH))
