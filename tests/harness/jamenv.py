"""The real Jam.py releases the tests use as reference peers, installed side by side.

Each supported release is a `JamEnv`: a cached venv made from the project role's locks for
that release (the packages a production project gets, both database drivers) and its
unpacked sdist (the demo application the wheel does not hold). Jam.py 5.x bundles its own
werkzeug and puts it first on ``sys.path``, so every release lives in a venv of its own
(made from the system Python that Debian's mod_wsgi uses) and the tests talk to it through
subprocesses running the scripts in ``jamside/``.

The module-level names (``jam_python()``, ``sdist_root()``, ``run_jamside()``, ``VENV``...)
are those of the reference release, 5.4.136, which most tests use.
"""
import fcntl
import hashlib
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

# The releases the collection supports, oldest first (roles/project/vars/main.yml).
VERSIONS = ("5.4.136", "5.5.4", "7.0.120")
JAM_VERSION = "5.4.136"
REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("JAMPY_DEPLOY_CACHE", REPO / ".cache"))
JAMSIDE = Path(__file__).resolve().parent / "jamside"
BASE_PYTHON = os.environ.get("JAMPY_DEPLOY_BASE_PYTHON", "/usr/bin/python3")
LOCKS_DIR = REPO / "roles" / "project" / "files" / "locks"
VENV_FROM_LOCK = REPO / "scripts" / "venv-from-lock.sh"
# The Jam.py line of a lock: its distribution name (jam-py, jam-py-v5, jam-py-v7).
_JAM_ENTRY = re.compile(r"^(jam-py(?:-v\d+)?)==", re.MULTILINE)


def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


class JamEnv:
    """One Jam.py release for the tests: ``python()`` of its venv, ``sdist_root()``,
    ``project_script()`` and jamside scripts run with it. Paths are fixed at creation;
    the venv and the sdist are made on first use (and again when a lock changes), under a
    file lock, so parallel test workers share them."""

    def __init__(self, version=JAM_VERSION):
        if version not in VERSIONS:
            raise ValueError(f"Jam.py {version} is not supported; the tests know {VERSIONS}")
        self.version = version
        self.root = CACHE / f"jam-{version}"
        self.venv = self.root / "venv"
        self.sdist_dir = self.root / "sdist"
        # A production project's venv, from the same locks the project role installs on
        # targets, one per database: the tests need both drivers, so both locks go in
        # (their common packages are identical).
        self.locks = [LOCKS_DIR / f"jam-{version}-{db}.txt" for db in ("postgresql", "mysql")]

    def __repr__(self):
        return f"JamEnv({self.version!r})"

    def __str__(self):
        return self.version

    @property
    def major(self):
        """The major release: 5 (5.4, 5.5) or 7."""
        return int(self.version.split(".")[0])

    @property
    def distribution(self):
        """The PyPI name the locks install this release under."""
        match = _JAM_ENTRY.search(self.locks[0].read_text())
        if not match:
            raise RuntimeError(f"{self.locks[0]} does not pin Jam.py")
        return match.group(1)

    def _locks_digest(self):
        digest = hashlib.sha256()
        for lock in [LOCKS_DIR / "bootstrap.txt", *self.locks]:
            digest.update(lock.read_bytes())
        return digest.hexdigest() + "\n"

    def python(self):
        """Path of the venv's Python interpreter, made from the locks on first use and
        again whenever a lock changes."""
        python = self.venv / "bin" / "python"
        stamp = self.venv / ".complete"
        wanted = self._locks_digest()
        if stamp.exists() and stamp.read_text() == wanted:
            return str(python)
        with _locked(self.root / ".lock"):
            if not (stamp.exists() and stamp.read_text() == wanted):
                subprocess.run(["bash", str(VENV_FROM_LOCK), BASE_PYTHON, str(self.venv),
                                *map(str, self.locks)], check=True)
                stamp.write_text(wanted)
        return str(python)

    def project_script(self):
        """Jam.py's ``jam-project.py`` as this release installs it."""
        return Path(self.python()).parent / "jam-project.py"

    def sdist_root(self):
        """The unpacked sdist (it holds the demo and builder projects the wheel does not);
        the archive must be one of the files the lock names."""
        stamp = self.sdist_dir / ".complete"
        if stamp.exists():
            return self.sdist_dir / stamp.read_text().strip()
        with _locked(self.sdist_dir / ".lock"):
            if not stamp.exists():
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                     "--no-binary", ":all:", "-d", str(self.sdist_dir),
                     f"{self.distribution}=={self.version}"],
                    check=True,
                )
                archive, = self.sdist_dir.glob(f"*-{self.version}.tar.gz")
                self._check_locked_hash(archive)
                with tarfile.open(archive) as tar:
                    top = _safe_extract(tar, self.sdist_dir)
                stamp.write_text(top + "\n")
        return self.sdist_dir / stamp.read_text().strip()

    def demo(self):
        """The demo application of the sdist (a complete SQLite project)."""
        demo = self.sdist_root() / "demo"
        if not (demo / "admin.sqlite").is_file():
            raise RuntimeError(f"the Jam.py {self.version} sdist has no demo application")
        return demo

    def _check_locked_hash(self, archive):
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if f"sha256:{digest}" not in self.locks[0].read_text():
            archive.unlink()
            raise RuntimeError(f"{archive.name} (sha256 {digest}) is not a file of {self.locks[0]}")

    def run_jamside(self, script, *args, **kwargs):
        """Run one of the ``jamside`` scripts with this release's Python."""
        return self.run_script(JAMSIDE / script, *args, **kwargs)

    def run_script(self, script, *args, cwd=None, timeout=600, check=True, env=None):
        """Run any script with this release's Python; raise with its output when it fails."""
        full_env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        full_env.update(env or {})
        result = subprocess.run(
            [self.python(), str(script), *map(str, args)],
            cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env, check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{script} {' '.join(map(str, args))} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result


class InstalledJamEnv(JamEnv):
    """A release installed in a venv of its own (a deployed project's, a copy changed by
    Jam.py's scripts): its Python and scripts instead of the cached venv's."""

    def __init__(self, version, venv):
        super().__init__(version)
        self.venv = Path(venv)

    def python(self):
        return str(self.venv / "bin" / "python")


def _safe_extract(tar, dest):
    """Extract regular files and folders only, inside ``dest`` (Python 3.11.2 has no
    extraction filters); returns the one top-level folder."""
    tops = set()
    for member in tar.getmembers():
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise RuntimeError(f"unexpected member {member.name!r} in the Jam.py sdist")
        tops.add(parts[0])
    if len(tops) != 1:
        raise RuntimeError(f"the Jam.py sdist has several top-level folders: {sorted(tops)}")
    tar.extractall(dest)  # noqa: S202 - every member was checked above
    return tops.pop()


REFERENCE = JamEnv(JAM_VERSION)
# Every supported release, for tests parametrized over them (ids: the versions).
ALL = tuple(JamEnv(version) for version in VERSIONS)
VENV = REFERENCE.venv
SDIST_DIR = REFERENCE.sdist_dir
LOCKS = REFERENCE.locks


def jam_python():
    """Path of the reference Jam.py venv's Python (see `JamEnv.python`)."""
    return REFERENCE.python()


def sdist_root():
    """The reference Jam.py's unpacked sdist (see `JamEnv.sdist_root`)."""
    return REFERENCE.sdist_root()


def run_jamside(script, *args, **kwargs):
    """Run one of the ``jamside`` scripts with the reference Jam.py's Python."""
    return REFERENCE.run_jamside(script, *args, **kwargs)


def run_jamside_script(script, *args, **kwargs):
    """Run any script with the reference Jam.py's Python."""
    return REFERENCE.run_script(script, *args, **kwargs)
