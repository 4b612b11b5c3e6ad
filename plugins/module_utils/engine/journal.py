"""The import journal: what an import in progress has done, for the run after a crash.

``locks/jampy-import.journal`` (JSON) names the phase the import reached; the archive
being imported is kept beside it as ``locks/jampy-import.zip`` so that an interrupted
import can be finished (rolled forward) even when the original zip is gone. Both go
away when the import ends, successful or not.
"""
import datetime
import json
import os
import socket

from .files import copy_file, write_text

JOURNAL = "jampy-import.journal"
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
