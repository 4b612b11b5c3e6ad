"""Jam.py's cross-process file locks, taken the way its bundled py-filelock takes them.

``locks/<name>.lock`` opened with O_RDWR|O_CREAT|O_TRUNC and ``flock(LOCK_EX|LOCK_NB)``
polled (facts §5): holding ``$metadata_import`` keeps Jam.py's own imports (Builder or
migration folder) and ours from overlapping, in any combination.
"""
import fcntl
import os
import time
from contextlib import contextmanager

from .errors import JamDeployError
from .files import adopt, make_dirs

METADATA_IMPORT = "$metadata_import"
SAVE_BUILD_ID = "$save_build_id"
_POLL = 0.05


class LockTimeout(JamDeployError):
    pass


@contextmanager
def project_lock(project_path, name, timeout=None, on_wait=None):
    """Hold ``locks/<name>.lock``; wait up to ``timeout`` seconds (None: forever)."""
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
                        f"{path} is held by another process (an import by Jam.py or "
                        f"jampy.deploy) for more than {timeout:g} s; try again later or "
                        "raise lock_timeout") from None
                if not waited and on_wait:
                    on_wait(path)
                waited = True
                time.sleep(_POLL)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
