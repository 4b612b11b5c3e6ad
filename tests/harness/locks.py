"""The lock files (requirements/dev.lock, roles/project/files/locks/*.txt) and what a venv
really holds, both as {canonical name: version}."""
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEV_LOCK = REPO / "requirements" / "dev.lock"
PROJECT_LOCKS = REPO / "roles" / "project" / "files" / "locks"
BOOTSTRAP_LOCK = PROJECT_LOCKS / "bootstrap.txt"

_ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)\s*(\\?)$")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(lock):
    """[(name, version, [sha256 hashes])] in the order of the file."""
    found = []
    for line in Path(lock).read_text().splitlines():
        match = _ENTRY.match(line)
        if match:
            found.append((canonical(match.group(1)), match.group(2), []))
        elif line.strip().startswith("--hash=sha256:") and found:
            found[-1][2].append(line.strip().split(":", 1)[1].rstrip(" \\"))
    return found


def pinned(*locks):
    """{name: version} of the locks together (bootstrap's pip and setuptools included);
    a package pinned to two versions is an error."""
    versions = {}
    for lock in (BOOTSTRAP_LOCK, *locks):
        for name, version, _hashes in entries(lock):
            if versions.setdefault(name, version) != version:
                raise ValueError(f"{name} is pinned to {versions[name]} and {version} ({lock})")
    return versions


def installed(python):
    """{name: version} of everything in the venv of ``python`` (pip and setuptools too)."""
    out = subprocess.run([str(python), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    return {canonical(name): version
            for name, version in (line.split("==", 1) for line in out.split())}


def differences(python, *locks):
    """Lines "+name==version" (installed, not locked) and "-name==version" (locked, missing)."""
    have, want = installed(python), pinned(*locks)
    return sorted([f"+{n}=={v}" for n, v in have.items() if want.get(n) != v] +
                  [f"-{n}=={v}" for n, v in want.items() if have.get(n) != v])


if __name__ == "__main__":
    import sys

    # python -m tests.harness.locks VENV_PYTHON LOCK...: the venv must be exactly the locks.
    diff = differences(sys.argv[1], *sys.argv[2:])
    print("\n".join(diff) if diff else f"{sys.argv[1]}: exactly {', '.join(sys.argv[2:])}")
    sys.exit(1 if diff else 0)
