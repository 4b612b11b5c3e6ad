"""The locks: complete (every dependency pinned, hashed) and the venvs made from them are
exactly them."""
import sys

import pytest

from tests.harness import jamenv, locks

ALL_LOCKS = [locks.DEV_LOCK, *sorted(locks.PROJECT_LOCKS.glob("*.txt"))]


@pytest.mark.parametrize("lock", ALL_LOCKS, ids=lambda p: p.name)
def test_every_locked_package_has_a_version_and_hashes(lock):
    found = locks.entries(lock)
    assert found, f"{lock} lists nothing"
    for name, version, hashes in found:
        assert version and hashes, f"{lock}: {name} has no hash"
        assert all(len(h) == 64 for h in hashes), f"{lock}: {name} has a malformed hash"


@pytest.mark.parametrize("version", jamenv.VERSIONS)
def test_a_lock_per_jam_release_and_database(version):
    for db in ("sqlite", "postgresql", "mysql"):
        versions = locks.pinned(locks.PROJECT_LOCKS / f"jam-{version}-{db}.txt")
        assert versions["sqlalchemy"] and versions["alembic"]
        assert ("psycopg2-binary" in versions) == (db == "postgresql")
        assert ("mysqlclient" in versions) == (db == "mysql")


def test_the_test_venv_is_exactly_the_dev_lock():
    assert locks.installed(sys.executable) == locks.pinned(locks.DEV_LOCK)


@pytest.mark.integration
@pytest.mark.parametrize("jam", jamenv.ALL, ids=str)
def test_the_jam_venvs_are_exactly_their_locks(jam):
    assert locks.installed(jam.python()) == locks.pinned(*jam.locks)
