"""playbooks/refresh_nonprod.yml with two inventory hosts on this machine: a production
project on PostgreSQL (group production) refreshed into a staging project on SQLite
(group staging), masked; production untouched, its secrets never copied, nothing left in
the temporary folders, a re-run changes nothing, and the safety refusals."""
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.export import (
    export_project)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from tests.harness import apps, databases, jamenv, projects, services, shop_data
from tests.harness.ansible_run import REPO, run_playbook

PLAYBOOK = REPO / "playbooks" / "refresh_nonprod.yml"
SNAPSHOT = REPO / "roles" / "refresh" / "files" / "source_snapshot.py"
MASKS = {"customers.email": "email", "customers.phone": {"rule": "phone", "keep": 3},
         "customers.notes": "blank", "suppliers.email": "email"}
KEY = "playbook-refresh-key-0123456789"
SECRET_KEY = "production-secret-key-0123456789"
STAGING_PASSWORD = "staging-users-pw-42"
PRODUCTION_PASSWORDS = ("admin-pw-in-production", "ann-pw-in-production")


def admin_sql(project, sql, *params):
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        with con:
            return con.execute(sql, params).fetchall()


def make_production(folder, db):
    """The refresh app with a little data, a secret key and a second account."""
    project = projects.create_project(folder / "shop")
    apps.build(project, [apps.complete(db, name="Shop", item_name="shop"), *apps.REFRESH_APP])
    admin_sql(project, "UPDATE SYS_PARAMS SET F_SECRET_KEY = ?", SECRET_KEY)
    admin_sql(project, "UPDATE SYS_USERS SET F_PASSWORD = ?", PRODUCTION_PASSWORDS[0])
    admin_sql(project, "INSERT INTO SYS_USERS (ID, DELETED, F_NAME, F_LOGIN, F_PASSWORD, F_ROLE, "
              "F_ADMIN, F_UUID) VALUES (10, 0, 'Ann Smith', 'ann@shop-customers.example.com', "
              "?, 1, 0, 'a-production-session')", PRODUCTION_PASSWORDS[1])
    counts = shop_data.fill(project, customers=300, suppliers=20, products=60, orders=200)
    return project, counts, db


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    postgres = services.database_server("postgresql")
    db = postgres.create("prod")
    yield make_production(tmp_path_factory.mktemp("prod"), db)
    postgres.drop(db)


def tree_digest(folder):
    """Every path and file content under a folder."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def rows(project, item, columns="COUNT(*)"):
    table = shop_data.names(Project(project).metadata(), item)[0]
    engine = create_engine(Project(project).connection())
    try:
        with engine.connect() as conn:
            return conn.execute(text(f'SELECT {columns} FROM "{table}"')).fetchall()
    finally:
        engine.dispose()


def recap(output, host):
    line = next(l for l in output.splitlines() if l.startswith(host + " "))
    return {k: int(v) for k, v in (part.split("=") for part in line.split(":", 1)[1].split())}


class Site:
    """An inventory with production and staging on this machine, and private folders for
    every temporary file (the role's and Ansible's own)."""

    def __init__(self, tmp_path, production, staging):
        prod, counts, db = production
        self.tmp = {name: tmp_path / name for name in ("remote", "controller", "ansible")}
        for folder in self.tmp.values():
            folder.mkdir()
        # The play becomes root: as root that is su to itself, otherwise left out.
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "ansible_become": os.geteuid() == 0, "ansible_become_method": "ansible.builtin.su",
                 "jampy_project_name": "shop", "jampy_venv_path": str(jamenv.VENV)}
        self.inventory = tmp_path / "hosts.json"
        self.inventory.write_text(json.dumps({"all": {"vars": local, "children": {
            "production": {"hosts": {"prod.test": {
                "ansible_host": "127.0.0.1", "jampy_project_path": str(prod),
                "jampy_db_password": db.password}}},
            "staging": {"hosts": {"staging.test": {
                "jampy_project_path": str(staging), "jampy_refresh_masks": MASKS,
                "jampy_refresh_mask_key": KEY, "jampy_refresh_batch_size": 100,
                "jampy_refresh_users": "copy", "jampy_refresh_users_password": STAGING_PASSWORD,
                "jampy_refresh_tmp_path": str(self.tmp["remote"]),
                "jampy_refresh_controller_tmp_path": str(self.tmp["controller"])}}},
        }}}))

    def set(self, host, **variables):
        inventory = json.loads(self.inventory.read_text())
        inventory["all"]["children"]["staging"]["hosts"][host].update(variables)
        self.inventory.write_text(json.dumps(inventory))

    def run(self, *args, check=True):
        env = {"ANSIBLE_REMOTE_TMP": str(self.tmp["ansible"] / "remote"),
               "ANSIBLE_LOCAL_TEMP": str(self.tmp["ansible"] / "local")}
        return run_playbook(PLAYBOOK, "-i", str(self.inventory), *args, check=check, env=env)

    def leftovers(self):
        return [p for folder in self.tmp.values() for p in folder.rglob("*")
                if p.is_file() and (p.suffix in (".sqlite", ".zip") or p.name.endswith(".tar.gz"))]


def test_refresh_staging_from_production(production, target_project, tmp_path):
    prod, counts, db = production
    staging = target_project("sqlite", "staging")
    site = Site(tmp_path, production, staging)
    untouched = tree_digest(prod)
    admin_sum = hashlib.sha256((prod / "admin.sqlite").read_bytes()).hexdigest()

    planned = site.run("-e", "jampy_refresh_confirm=staging", "--check")
    assert "Mode:          check - nothing written" in planned.stdout, planned.stdout
    assert Project(staging).metadata().expected_tables() == []

    done = site.run("-e", "jampy_refresh_confirm=staging", "-vvv")
    output = done.stdout + done.stderr
    assert recap(done.stdout, "staging.test")["changed"] == 1, done.stdout
    for secret in (db.password, KEY, SECRET_KEY, STAGING_PASSWORD, *PRODUCTION_PASSWORDS):
        assert secret not in output
    assert "Verification:  ok" in done.stdout
    for item, count in counts.items():
        assert rows(staging, item) == [(count,)], item
    emails = [r[0] for r in rows(staging, "customers", "EMAIL")]
    assert len(emails) == counts["customers"]
    assert all(e.endswith("@example.invalid") for e in emails)
    assert not {r[0] for r in rows(prod, "customers", "email")} & set(emails)
    assert list((staging / "logs").glob("refresh_*.json"))
    assert Project(staging).connection()["db_type_name"] == "sqlite"  # its own database
    accounts = admin_sql(staging, "SELECT ID, F_LOGIN, F_PASSWORD, F_UUID FROM SYS_USERS "
                                  "WHERE F_ADMIN IS NOT 1")
    assert [(a[0], a[2], a[3]) for a in accounts] == [(10, STAGING_PASSWORD, None)]
    assert accounts[0][1].endswith("@example.invalid")

    assert tree_digest(prod) == untouched
    assert hashlib.sha256((prod / "admin.sqlite").read_bytes()).hexdigest() == admin_sum
    assert site.leftovers() == []
    assert not any(site.tmp["remote"].iterdir()) and not any(site.tmp["controller"].iterdir())

    again = site.run("-e", "jampy_refresh_confirm=staging")
    assert recap(again.stdout, "staging.test")["changed"] == 0, again.stdout
    assert "Changed:       nothing" in again.stdout
    assert site.leftovers() == []


def test_refresh_from_a_sqlite_production(target_project, tmp_path):
    """The production database is a SQLite file: a consistent copy travels with the
    snapshot (the target cannot reach the file) and is removed with it."""
    folder = tmp_path / "prod"
    folder.mkdir()
    prod, counts, db = make_production(
        folder, databases.ProjectDatabase(databases.SQLITE, str(folder / "shop.sqlite")))
    untouched = tree_digest(folder)
    staging = target_project("sqlite", "staging")
    site = Site(tmp_path, (prod, counts, db), staging)
    done = site.run("-e", "jampy_refresh_confirm=staging")
    assert "uploaded files, the SQLite database;" in done.stdout, done.stdout
    for item, count in counts.items():
        assert rows(staging, item) == [(count,)], item
    assert tree_digest(folder) == untouched
    assert site.leftovers() == []


def test_refusals(production, target_project, tmp_path):
    prod, counts, db = production
    staging = target_project("sqlite", "staging")
    site = Site(tmp_path, production, staging)

    unconfirmed = site.run(check=False)
    assert unconfirmed.returncode != 0
    assert "Confirm with -e jampy_refresh_confirm=staging" in unconfirmed.stdout

    production_target = site.run("-e", "jampy_refresh_target_group=production",
                                 "-e", "jampy_refresh_confirm=production", check=False)
    assert production_target.returncode != 0
    assert ("Refusing to refresh the group production: it holds the production host "
            "prod.test") in production_target.stdout

    site.set("staging.test", jampy_refresh_masks={})
    unmasked = site.run("-e", "jampy_refresh_confirm=staging", check=False)
    assert unmasked.returncode != 0 and "No masking rules" in unmasked.stdout
    site.set("staging.test", jampy_refresh_masks=MASKS)

    admin_sql(staging, "UPDATE SYS_PARAMS SET F_PRODUCTION = 1")
    flagged = site.run("-e", "jampy_refresh_confirm=staging", check=False)
    assert flagged.returncode != 0 and "has its Production parameter on" in flagged.stdout
    assert Project(staging).metadata().expected_tables() == []
    assert not any(site.tmp["remote"].iterdir()) and not any(site.tmp["controller"].iterdir())


def test_failure_is_explained_and_cleaned_up(production, target_project, tmp_path):
    """jam_data fails after the snapshot travelled: its message shows (the task's no_log
    hides the rest) and the temporary folders go; extra options reach the module."""
    prod, counts, db = production
    staging = target_project("sqlite", "staging")
    site = Site(tmp_path, production, staging)
    site.set("staging.test", jampy_refresh_options={"no_such_option": True})
    failed = site.run("-e", "jampy_refresh_confirm=staging", check=False)
    assert failed.returncode != 0
    assert "Unsupported parameters for (jampy.deploy.jam_data) module: no_such_option" \
        in failed.stdout, failed.stdout
    assert db.password not in failed.stdout and KEY not in failed.stdout
    assert site.leftovers() == []
    assert not any(site.tmp["remote"].iterdir()) and not any(site.tmp["controller"].iterdir())


def test_snapshot_holds_no_secret(production, tmp_path):
    """What leaves the production host: admin.sqlite without passwords, secret key or
    sessions, in a consistent copy readable by its owner only."""
    prod, counts, db = production
    archive = tmp_path / "snapshot.tar.gz"
    result = subprocess.run([sys.executable, str(SNAPSHOT), str(prod), str(archive)],
                            capture_output=True, text=True, check=True)
    summary = json.loads(result.stdout)
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.tar.gz"]  # no copy left
    assert summary["database_copied"] is False
    assert {"SYS_TASKS.F_PASSWORD", "SYS_PARAMS.F_SECRET_KEY",
            "SYS_USERS.F_PASSWORD"} <= set(summary["blanked"])
    assert archive.stat().st_mode & 0o077 == 0
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["admin.sqlite"]
        member = tar.getmember("admin.sqlite")
        assert member.mode == 0o600
        data = tar.extractfile(member).read()
    for secret in (db.password, SECRET_KEY, "a-production-session", *PRODUCTION_PASSWORDS):
        assert secret.encode() not in data
    copy = tmp_path / "admin.sqlite"
    copy.write_bytes(data)
    assert Project(copy.parent).metadata().expected_tables() == \
        Project(prod).metadata().expected_tables()
    assert Project(copy.parent).connection().public() == Project(prod).connection().public() | {
        "password_set": False}


def test_snapshot_of_a_sqlite_project(demo_project, tmp_path):
    """A SQLite production database travels as a consistent copy the snapshot's connection
    points to; the project files come from the export, uploads from static/files (regular
    files only)."""
    uploads = demo_project / "static" / "files"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "invoice-1.pdf").write_bytes(b"%PDF-1.4 production document")
    (uploads / "passwd").symlink_to("/etc/passwd")
    exported = export_project(Project(demo_project), tmp_path / "metadata.zip")
    work = tmp_path / "work"
    work.mkdir()
    archive = work / "snapshot.tar.gz"
    subprocess.run([sys.executable, str(SNAPSHOT), str(demo_project), str(archive),
                    "--export", exported.dest, "--uploads"], check=True, capture_output=True)
    assert [p.name for p in work.iterdir()] == ["snapshot.tar.gz"]
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert all(m.mode == 0o600 and m.isfile() for m in members.values())
        tar.extractall(unpacked)
    assert {"admin.sqlite", "database.sqlite", "static/files/invoice-1.pdf"} <= set(members)
    assert set(exported.files) <= set(members) and "task.dat" not in members
    assert "static/files/passwd" not in members
    copy = Project(unpacked)
    assert copy.connection()["database_path"] == str(unpacked / "database.sqlite")
    original = Project(demo_project)
    assert copy.metadata().expected_tables() == original.metadata().expected_tables()
    count = 'SELECT COUNT(*) FROM "DEMO_CUSTOMERS"'
    with closing(sqlite3.connect(unpacked / "database.sqlite")) as con:
        copied = con.execute(count).fetchone()
    with closing(sqlite3.connect(original.connection()["database_path"])) as con:
        assert copied == con.execute(count).fetchone() and copied[0] > 0
