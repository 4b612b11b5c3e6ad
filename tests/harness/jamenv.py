"""The cached virtual environment that holds the real Jam.py used as the reference peer.

Jam.py 5.4 bundles its own werkzeug and puts it first on ``sys.path``, so it lives in a
venv of its own (made from the system Python that Debian's mod_wsgi uses) and the tests
talk to it through subprocesses running the scripts in ``jamside/``.
"""
import fcntl
import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

JAM_VERSION = "5.4.136"
REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("JAMPY_DEPLOY_CACHE", REPO / ".cache"))
VENV = CACHE / f"jam-{JAM_VERSION}" / "venv"
SDIST_DIR = CACHE / f"jam-{JAM_VERSION}" / "sdist"
JAMSIDE = Path(__file__).resolve().parent / "jamside"
BASE_PYTHON = os.environ.get("JAMPY_DEPLOY_BASE_PYTHON", "/usr/bin/python3")
# A production project's venv, from the same locks the project role installs on targets
# (Jam.py, SQLAlchemy/Alembic for this collection's modules, the driver), one per database:
# the tests need both drivers, so both locks go in (their common packages are identical).
LOCKS_DIR = REPO / "roles" / "project" / "files" / "locks"
LOCKS = [LOCKS_DIR / f"jam-{JAM_VERSION}-{db}.txt" for db in ("postgresql", "mysql")]
VENV_FROM_LOCK = REPO / "scripts" / "venv-from-lock.sh"


def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _locks_digest():
    digest = hashlib.sha256()
    for lock in [LOCKS_DIR / "bootstrap.txt", *LOCKS]:
        digest.update(lock.read_bytes())
    return digest.hexdigest() + "\n"


def jam_python():
    """Path of the Python interpreter of the Jam.py venv, made from the locks on first use
    and again whenever a lock changes."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".complete"
    wanted = _locks_digest()
    if stamp.exists() and stamp.read_text() == wanted:
        return str(python)
    with _locked(VENV.parent / ".lock"):
        if not (stamp.exists() and stamp.read_text() == wanted):
            subprocess.run(["bash", str(VENV_FROM_LOCK), BASE_PYTHON, str(VENV), *map(str, LOCKS)],
                           check=True)
            stamp.write_text(wanted)
    return str(python)


def sdist_root():
    """Unpacked Jam.py sdist (it holds the demo project that the wheel does not)."""
    root = SDIST_DIR / f"jam.py-{JAM_VERSION}"
    if (root / "demo" / "admin.sqlite").exists():
        return root
    with _locked(SDIST_DIR / ".lock"):
        if not (root / "demo" / "admin.sqlite").exists():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                 "-d", str(SDIST_DIR), f"jam.py=={JAM_VERSION}"],
                check=True,
            )
            archive = SDIST_DIR / f"jam.py-{JAM_VERSION}.tar.gz"
            _check_locked_hash(archive)
            with tarfile.open(archive) as tar:
                _safe_extract(tar, SDIST_DIR)
    return root


def _check_locked_hash(archive):
    """The sdist must be one of the files the lock names (the same bytes the venv got)."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if f"sha256:{digest}" not in LOCKS[0].read_text():
        archive.unlink()
        raise RuntimeError(f"{archive.name} (sha256 {digest}) is not a file of {LOCKS[0]}")


def _safe_extract(tar, dest):
    """Extract regular files and folders only, inside ``dest`` (Python 3.11.2 has no
    extraction filters)."""
    for member in tar.getmembers():
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise RuntimeError(f"unexpected member {member.name!r} in the Jam.py sdist")
    tar.extractall(dest)  # noqa: S202 - every member was checked above


def run_jamside(script, *args, **kwargs):
    """Run one of the ``jamside`` scripts with the Jam.py venv's Python."""
    return run_jamside_script(JAMSIDE / script, *args, **kwargs)


def run_jamside_script(script, *args, cwd=None, timeout=600, check=True, env=None):
    """Run any script with the Jam.py venv's Python; raise with its output when it fails."""
    full_env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    full_env.update(env or {})
    result = subprocess.run(
        [jam_python(), str(script), *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env, check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{script} {' '.join(map(str, args))} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result
