"""A project's release history: every zip an import changed the project with, kept on the
host with a JSON record (when, who, what, the plan's summary, the result), the release
deployed now, the one a rollback goes back to, and pruning.

Where it lives: a folder beside the project (``<project>-releases`` by default), created
with mode 0700 and owned by whoever imports (root under ``become``). Never inside the
project: Jam.py serves files from the project folder (5.4 and 7.0: everything under
``static/``, ``js/``, ``css/`` and every top-level ``*.html``), and its Builder's Export
and jam_export take files from it (``archive.contents``). A path inside is refused.

A release is ``<id>.zip`` and ``<id>.json``, ``<id>`` = ``<UTC time>_<fingerprint[:12]>``,
so ids sort by time; the zip is written first and each file is written to a temporary
name and renamed, so a record never names a missing or partial zip.
"""
import datetime
import json
import os
import re
import shutil

from ..errors import JamDeployError
from ..files import write_atomically
from ..jam.releases import archive_release

ID_PATTERN = re.compile(r"^\d{8}T\d{6}Z_[0-9a-f]{12}$")
PREVIOUS = "previous"


class ReleaseHistoryError(JamDeployError):
    """The release history cannot be used as asked; nothing was changed."""


def default_history_path(project_path):
    """``<project>-releases``, beside the project folder."""
    return os.path.abspath(str(project_path)).rstrip(os.sep) + "-releases"


def release_id(when, fingerprint):
    """The id of a release imported at ``when`` (UTC) with metadata ``fingerprint``."""
    return f"{when:%Y%m%dT%H%M%SZ}_{fingerprint[:12]}"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class ReleaseHistory:
    """The release folder of the project at ``project_path`` (``path``, default beside it)."""

    def __init__(self, project_path, path=None):
        project = os.path.realpath(str(project_path))
        self.path = os.path.abspath(str(path)) if path else default_history_path(project)
        real = os.path.realpath(self.path)
        if os.path.commonpath([project, real]) == project:
            raise ReleaseHistoryError(
                f"the release history {self.path} is inside the project {project}: Jam.py "
                "could serve its zips and records, and exports could take them; choose a "
                f"folder outside the project (default {default_history_path(project)})")

    def releases(self):
        """The records, oldest first ([] when the folder does not exist yet)."""
        try:
            names = sorted(os.listdir(self.path))
        except FileNotFoundError:
            return []
        except PermissionError:
            raise ReleaseHistoryError(
                f"cannot read the release history {self.path} (permission denied): run as "
                "its owner (become)") from None
        records = []
        for name in names:
            stem, ext = os.path.splitext(name)
            if ext == ".json" and ID_PATTERN.match(stem):
                try:
                    with open(os.path.join(self.path, name), encoding="utf-8") as f:
                        records.append(json.load(f))
                except (OSError, ValueError) as exc:
                    raise ReleaseHistoryError(
                        f"release record {os.path.join(self.path, name)} is unreadable "
                        f"({exc}): remove it and its zip, or restore them") from None
        return records

    def zip_path(self, record):
        return os.path.join(self.path, f"{record['id']}.zip")

    @staticmethod
    def deployed(records, fingerprint):
        """The newest release whose metadata the project has now, or None (the project was
        changed by other means)."""
        matching = [r for r in records if r["fingerprint"] == fingerprint]
        return matching[-1] if matching else None

    def resolve(self, which, fingerprint, records=None):
        """The release ``which`` names: ``previous`` (the newest before the deployed one
        with other metadata) or an id; among ``records`` when given (read once)."""
        records = self.releases() if records is None else records
        known = ", ".join(r["id"] for r in records) or "none"
        if which != PREVIOUS:
            for record in records:
                if record["id"] == which:
                    return record
            raise ReleaseHistoryError(
                f"release {which!r} is not in {self.path}; known releases: {known}")
        deployed = self.deployed(records, fingerprint)
        if deployed is None:
            raise ReleaseHistoryError(
                f"no release in {self.path} is deployed (the project's metadata matches none; "
                f"it was changed by other means): name the release to go back to; known "
                f"releases: {known}")
        earlier = [r for r in records[:records.index(deployed)]
                   if r["fingerprint"] != fingerprint]
        if not earlier:
            raise ReleaseHistoryError(
                f"there is no release before the deployed one ({deployed['id']}) in "
                f"{self.path}; known releases: {known}")
        return earlier[-1]

    def rollback(self, which, fingerprint):
        """(the zip of the release ``which`` names, what a rollback's record says: the
        ``to`` id and the ``from`` id, the deployed release's or None)."""
        records = self.releases()
        target = self.resolve(which, fingerprint, records)
        deployed = self.deployed(records, fingerprint)
        return self.zip_path(target), {"to": target["id"],
                                       "from": deployed["id"] if deployed else None}

    def check_writable(self):
        """Refuse, before an import changes anything, a history this user cannot write."""
        folder = self.path
        while not os.path.isdir(folder):  # the nearest folder that exists decides
            folder = os.path.dirname(folder)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ReleaseHistoryError(
                f"cannot write the release history {self.path} (permission denied on "
                f"{folder}): run as root (become), set history_path to a folder this user "
                "can write, or keep_releases to 0 to keep no history")

    def add(self, src, record, keep):
        """Keep the zip ``src`` with ``record``; prune to the newest ``keep``. Returns the
        ids pruned."""
        os.makedirs(self.path, mode=0o700, exist_ok=True)
        os.chmod(self.path, 0o700)
        with open(src, "rb") as source:
            self._write(f"{record['id']}.zip", lambda out: shutil.copyfileobj(source, out))
        text = json.dumps(record, indent=2, sort_keys=True) + "\n"
        self._write(f"{record['id']}.json", lambda out: out.write(text.encode("utf-8")))
        return self.prune(keep)

    def prune(self, keep):
        """Remove all but the newest ``keep`` releases (record first, then its zip)."""
        pruned = [r["id"] for r in self.releases()[:-keep]] if keep > 0 else []
        for name in pruned:
            for ext in (".json", ".zip"):
                try:
                    os.unlink(os.path.join(self.path, name + ext))
                except FileNotFoundError:
                    pass
        return pruned

    def _write(self, name, write):
        write_atomically(os.path.join(self.path, name), write,
                         lambda temp: os.chmod(temp, 0o600))


def release_record(archive, src, fingerprint, when, by, result, msg, rollback=None):
    """The JSON record of a release: when, who, what (the zip, the metadata ``fingerprint``,
    the Jam.py release and project name the zip holds), the import's summary and one-line
    ``msg``, its result; ``rollback``: {"to": id, "from": id or None} for a rollback."""
    task = archive.metadata.task_item() or {}
    return {
        "id": release_id(when, fingerprint),
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by": by,
        "zip": {"source": str(src), "sha256": archive.sha256},
        "fingerprint": fingerprint,
        "jam_version": archive_release(archive.metadata),
        "project": task.get("f_item_name"),
        "rollback": rollback,
        "summary": result.summary,
        "msg": msg,
        "result": {"changed": result.changed, "maintenance": result.maintenance,
                   "statements": len(result.executed),
                   "admin_changes": len(result.admin_changes),
                   "files": len(result.files), "log_file": result.log_file},
    }


def listing(records, fingerprint):
    """(releases as jam_info lists them, the deployed release's id or None)."""
    deployed = ReleaseHistory.deployed(records, fingerprint)
    return ([{"id": r["id"], "time": r["time"], "fingerprint": r["fingerprint"],
              "msg": r["msg"], "rollback": r.get("rollback")} for r in records],
            deployed["id"] if deployed else None)
