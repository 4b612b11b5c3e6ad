"""Files written into a project keep the project's owner.

The modules often run as root while Jam.py runs as the web server's user, and Jam.py
must be able to rewrite what we write (its lock files, the build-id marker, admin.sqlite,
imported files). So every file or folder created in a project takes the owner and group
of the project folder, and a replaced file keeps the mode and owner of the one it replaces.
"""
import os
import shutil
import tempfile


def adopt(path, like):
    """Give ``path`` the owner and group of ``like`` (only root can, and only root needs to)."""
    if os.geteuid() == 0:
        st = os.stat(like)
        os.chown(path, st.st_uid, st.st_gid)


def make_dirs(path, project_path, mode=0o755):
    """Create ``path`` and missing parents below the project, owned like the project."""
    path = os.path.abspath(str(path))
    missing = []
    while not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for folder in reversed(missing):
        os.mkdir(folder, mode)
        adopt(folder, project_path)


def write_atomically(target, write, prepare):
    """Write ``target`` with ``write(file)`` into a temporary file beside it, give that file
    its mode and owner with ``prepare(temp)``, then rename it over ``target``: a reader sees
    the old file or the new one, never a part."""
    target = str(target)
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".jampy-")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        prepare(temp)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def replace_file(target, write, project_path, mode=0o644):
    """Atomically (re)write ``target`` with ``write(file)``: a new file gets ``mode`` and the
    project's owner, an existing one keeps its own mode and owner."""
    target = str(target)
    make_dirs(os.path.dirname(target), project_path)
    like = target if os.path.exists(target) else None

    def prepare(temp):
        if like:
            shutil.copymode(like, temp)
            adopt(temp, like)
        else:
            os.chmod(temp, mode)
            adopt(temp, project_path)

    write_atomically(target, write, prepare)


def write_text(target, text, project_path, mode=0o644):
    """``replace_file`` with ``text`` in UTF-8."""
    replace_file(target, lambda out: out.write(text.encode("utf-8")), project_path, mode)


def copy_file(source, target, project_path, mode=0o644):
    """``replace_file`` with the bytes of ``source``."""
    def write(out):
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
    replace_file(target, write, project_path, mode)


def copy_like(source, target):
    """A byte copy of ``source`` with its mode and owner (admin.sqlite's backup)."""
    shutil.copyfile(source, target)
    shutil.copymode(source, target)
    adopt(target, source)
