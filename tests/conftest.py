"""Shared pytest set-up: the collection on sys.path, each test's kind (marker), Jam.py
projects and databases."""
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
COLLECTIONS = REPO / ".cache" / "collections"
_link = COLLECTIONS / "ansible_collections" / "jampy" / "deploy"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(REPO)
sys.path.insert(0, str(COLLECTIONS))
sys.path.insert(0, str(REPO))

from tests.harness import jamenv, projects, services  # noqa: E402

JAM70 = TESTS / "fixtures" / "jam70"
KINDS = ("unit", "integration")


def pytest_collection_modifyitems(items):
    """Every test is unit or integration (pytest.ini says what each means): its own
    marker, else its folder's - tests/unit/ holds unit tests, the other folders
    integration tests."""
    for item in items:
        if not any(item.get_closest_marker(kind) for kind in KINDS):
            folder = item.path.relative_to(TESTS).parts[0]
            item.add_marker("unit" if folder == "unit" else "integration")


@pytest.fixture
def demo_project(tmp_path):
    """A fresh copy of the demo application from the Jam.py 5.4.136 sdist."""
    return projects.copy_demo(tmp_path / "demo")


@pytest.fixture
def new_project(tmp_path):
    """A project folder made by Jam.py's project script, not yet completed."""
    return projects.create_project(tmp_path / "project")


def _database_fixture(kind):
    server = services.database_server(kind)
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
