"""The project and migrate roles on this host: a new SQLite production project from the
project script to served metadata, idempotent, with the files the web user needs."""
import json
import os
import pwd
import secrets
import sqlite3
import stat
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.harness import hosting, locks
from tests.harness.ansible_run import run_playbook
from tests.harness.server import JamServer

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not hosting.web_user_exists(),
                                reason="the roles are tested as root with a www-data user")


ADMIN_PASSWORD = secrets.token_urlsafe(16)


def play(tmp_path, site, zip_path, method="live"):
    book = tmp_path / "site.yml"
    book.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"jampy_project_name": "shop", "jampy_project_path": str(site / "shop"),
                 "jampy_admin_password": ADMIN_PASSWORD,
                 "jampy_venv_path": str(site / "venv"), "jampy_migrate_zip": str(zip_path),
                 "jampy_migrate_method": method, "jampy_migrate_import_delay": 0,
                 "jampy_migrate_staging_path": str(site / "staging")},
        "roles": ["jampy.deploy.project", "jampy.deploy.migrate"],
    }]))
    return book


def recap(output):
    line = next(l for l in output.splitlines() if l.startswith("localhost"))
    return dict(part.split("=") for part in line.split(":", 1)[1].split())


@pytest.fixture
def site():
    folder = hosting.new_site()
    yield folder
    hosting.remove_site(folder)


def test_new_sqlite_project_with_live_migration(site, shop_versions, tmp_path):
    book = play(tmp_path, site, shop_versions[0][1])
    first = run_playbook(book, "-vvv", timeout=900)
    assert int(recap(first.stdout)["changed"]) > 0, first.stdout
    assert ADMIN_PASSWORD not in first.stdout + first.stderr
    second = run_playbook(book)
    assert recap(second.stdout)["changed"] == "0", second.stdout

    project = site / "shop"
    www = pwd.getpwnam("www-data")
    admin = os.stat(project / "admin.sqlite")
    assert (admin.st_uid, stat.S_IMODE(admin.st_mode)) == (www.pw_uid, 0o600)
    assert stat.S_IMODE(os.stat(project / "server.py").st_mode) == 0o750
    for path in project.rglob("*"):
        assert path.owner() == "www-data", path
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        production = con.execute("SELECT F_PRODUCTION, F_SAFE_MODE, F_DEBUGGING, F_IMPORT_DELAY "
                                 "FROM SYS_PARAMS").fetchone()
        connection = con.execute("SELECT F_DB_TYPE, F_ALIAS FROM SYS_TASKS").fetchone()
    assert production == (1, 1, 0, 180) and connection == (1, "shop.sqlite")
    with closing(sqlite3.connect(project / "shop.sqlite")) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"SHOP_CUSTOMERS", "SHOP_ORDERS", "SHOP_ORDER_LINES"} <= tables

    lock = locks.PROJECT_LOCKS / "jam-5.4.136-sqlite.txt"
    assert locks.differences(site / "venv" / "bin" / "python", lock) == []

    with JamServer(project) as server:
        client = server.client()
        assert not client.login("admin", "111")["result"]["data"]  # the template's password
        assert client.login("admin", ADMIN_PASSWORD)["result"]["data"]
        client.load()
        client.insert("customers", {"name": "Ann"})
        assert [r["name"] for r in client.open("customers")] == ["Ann"]


def test_two_application_hosts_sharing_one_database(shop_versions, pg_database, tmp_path):
    """The schema changes once (on the first host); the other host gets admin.sqlite and
    the files; both projects end identical and match the database."""
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
        LAYOUTS, LAYOUT_54)
    from tests.harness import apps, projects
    from tests.harness.admin_dump import dump_admin

    hosts = {}
    for name in ("app1", "app2"):
        project = projects.create_project(tmp_path / name)
        apps.build(project, [apps.complete(pg_database, name="Shop", item_name="shop")])
        hosts[name] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                       "jampy_project_path": str(project),
                       "jampy_migrate_staging_path": str(tmp_path / f"staging-{name}")}
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
    book = tmp_path / "migrate.yml"
    book.write_text(json.dumps([{
        "hosts": "all", "gather_facts": False,
        "vars": {"jampy_project_name": "shop", "jampy_venv_path": str(sys.prefix),
                 "jampy_migrate_zip": shop_versions[0][1], "jampy_migrate_import_delay": 0},
        "roles": ["jampy.deploy.migrate"],
    }]))
    result = run_playbook(book, "-i", str(inventory), "-v")
    assert "statement failed" not in result.stdout
    app1, app2 = (Path(hosts[h]["jampy_project_path"]) for h in ("app1", "app2"))
    tables = LAYOUTS[LAYOUT_54].metadata_tables
    assert dump_admin(app1, tables, protocol_state=False) == dump_admin(app2, tables,
                                                                        protocol_state=False)
    assert (app2 / "js" / "shop.js").exists()
    again = run_playbook(book, "-i", str(inventory))
    for line in (l for l in again.stdout.splitlines() if l.startswith("app")):
        assert "changed=0" in line, again.stdout


def test_two_hosts_get_identical_venvs(tmp_path):
    """The project role on two hosts: both venvs are exactly the lock, so identical."""
    folders = [hosting.new_site(), hosting.new_site()]
    try:
        hosts = {f"app{n}": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                             "jampy_project_path": str(folder / "shop"),
                             "jampy_venv_path": str(folder / "venv")}
                 for n, folder in enumerate(folders, 1)}
        inventory = tmp_path / "hosts.json"
        inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
        book = tmp_path / "project.yml"
        book.write_text(json.dumps([{"hosts": "all", "gather_facts": False,
                                     "vars": {"jampy_project_name": "shop",
                                              "jampy_admin_password": ADMIN_PASSWORD},
                                     "roles": ["jampy.deploy.project"]}]))
        run_playbook(book, "-i", str(inventory), timeout=900)
        venvs = [locks.installed(folder / "venv" / "bin" / "python") for folder in folders]
        assert venvs[0] == venvs[1] == locks.pinned(locks.PROJECT_LOCKS / "jam-5.4.136-sqlite.txt")
    finally:
        for folder in folders:
            hosting.remove_site(folder)
