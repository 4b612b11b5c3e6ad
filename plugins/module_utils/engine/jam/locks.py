"""Jam.py's cross-process file locks, taken the way its bundled py-filelock takes them.

``locks/<name>.lock`` opened with O_RDWR|O_CREAT|O_TRUNC and ``flock(LOCK_EX|LOCK_NB)``
polled (facts §5): holding ``$metadata_import`` keeps Jam.py's own imports (Builder or
migration folder) and ours from overlapping, in any combination.
"""
import datetime
import fcntl
import json
import os
import socket
import time
from contextlib import contextmanager

from ..errors import JamDeployError
from ..files import adopt, make_dirs

METADATA_IMPORT = "$metadata_import"
SAVE_BUILD_ID = "$save_build_id"
_POLL = 0.05


class LockTimeout(JamDeployError):
    """The lock stayed held by another process for longer than the timeout."""


def _holder_path(lock_path):
    return lock_path[:-len(".lock")] + ".holder"


def _describe_holder(lock_path):
    """Who holds the lock, from the note a jampy.deploy holder leaves (Jam.py leaves none)."""
    try:
        with open(_holder_path(lock_path)) as f:
            note = json.load(f)
        return (f"jampy.deploy ({note['what']}, pid {note['pid']} on {note['host']}, "
                f"since {note['since']})")
    except (OSError, ValueError, KeyError):
        return "Jam.py (a Builder or migration-folder import) or another program"


def _leave_note(lock_path, project_path, what):
    note = {"what": what, "pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.datetime.now().isoformat(timespec="seconds")}
    path = _holder_path(lock_path)
    with open(path, "w") as f:
        json.dump(note, f)
    adopt(path, project_path)
    return path


@contextmanager
def project_lock(project_path, name, timeout=None, on_wait=None, note=None):
    """Hold ``locks/<name>.lock``; wait up to ``timeout`` seconds (None: forever).

    With ``note`` (what the holder does) a ``<name>.holder`` file says who holds it, so
    that a process that times out can name the holder.
    """
    folder = os.path.join(str(project_path), "locks")
    make_dirs(folder, project_path)
    path = os.path.join(folder, name + ".lock")
    created = not os.path.exists(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o664)
    if created:
        adopt(path, project_path)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{path} is held by {_describe_holder(path)} for more than "
                        f"{timeout:g} s; try again later or raise lock_timeout") from None
                if not waited and on_wait:
                    on_wait(path)
                waited = True
                time.sleep(_POLL)
        holder = _leave_note(path, project_path, note) if note else None
        try:
            yield path
        finally:
            if holder and os.path.exists(holder):
                os.remove(holder)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
