"""Shared pytest set-up: the collection on sys.path, Jam.py projects and databases."""
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".cache" / "collections"
_link = COLLECTIONS / "ansible_collections" / "jampy" / "deploy"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(REPO)
sys.path.insert(0, str(COLLECTIONS))
sys.path.insert(0, str(REPO))

from tests.harness import databases, jamenv, projects  # noqa: E402

JAM70 = Path(__file__).resolve().parent / "fixtures" / "jam70"


@pytest.fixture
def demo_project(tmp_path):
    """A fresh copy of the demo application from the Jam.py 5.4.136 sdist."""
    return projects.copy_demo(tmp_path / "demo")


@pytest.fixture
def new_project(tmp_path):
    """A project folder made by Jam.py's project script, not yet completed."""
    return projects.create_project(tmp_path / "project")


def _database_fixture(kind):
    server = databases.SERVERS[kind]
    if not server.available():
        message = (f"{kind} is not reachable on 127.0.0.1 with the test account "
                   "(run `make services` as root)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    db = server.create()
    try:
        yield db
    finally:
        server.drop(db)


@pytest.fixture
def pg_database():
    yield from _database_fixture("postgresql")


@pytest.fixture
def mysql_database():
    yield from _database_fixture("mysql")


@pytest.fixture(scope="session")
def jam_python():
    return jamenv.jam_python()


def copy_tree(src, dst):
    shutil.copytree(src, dst)
    return Path(dst)
