"""jam_data: a production project on PostgreSQL with related tables (lookups, a detail,
a cycle, a self-reference) and 13,200 rows, accounts, history written by Jam.py for a
logged-in user, a record lock and uploaded files, refreshed into staging projects on
SQLite and PostgreSQL with masking - through ansible-playbook, checked in the databases
and through the real Jam.py serving the staging data."""
import hashlib
import json
import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import journal
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh import same_database
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import (
    Connection, Project)
from tests.harness import apps, jamenv, projects, services, shop_data
from tests.harness.ansible_run import run_module as run_any_module
from tests.harness.kill_import import kill_at
from tests.harness.server import JamServer

MASKS = {"customers.email": "email", "customers.name": {"rule": "hash", "length": 20},
         "customers.phone": {"rule": "phone", "keep": 3}, "customers.notes": "blank",
         "suppliers.email": "email"}
KEY = "staging-refresh-key-0123456789"
# Production accounts besides the project's own admin (ID 1): id, name, login, password.
PROD_USERS = [(2, "John Smith", "jsmith", "prod-secret-jsmith"),
              (3, "Mary Jones", "mary.jones@shop-customers.example.com", "prod-secret-mary")]
STAGING_PASSWORD = "staging-only-pw-42"
PHOTO = bytes.fromhex("89504e470d0a1a0a") + b"production photo"
MANUAL = b"%PDF-1.4 production manual"


def run_module(*args, **kwargs):
    return run_any_module(*args, python=jamenv.jam_python(), **kwargs)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    postgres = services.database_server("postgresql")
    db = postgres.create("prod")
    project = projects.create_project(tmp_path_factory.mktemp("prod") / "shop")
    apps.build(project, [apps.complete(db, name="Shop", item_name="shop"), *apps.REFRESH_APP])
    counts = shop_data.fill(project)
    production_activity(project)
    yield project, counts, db
    postgres.drop(db)


def production_activity(project):
    """Accounts, an upload per file/image field, history that Jam.py records for a
    logged-in user (safe mode on meanwhile), a record lock."""
    with sqlite3.connect(project / "admin.sqlite") as con:
        con.executemany(
            "INSERT INTO SYS_USERS (ID, DELETED, F_NAME, F_LOGIN, F_PASSWORD, F_ROLE, F_ADMIN, "
            "F_PSW_HASH) VALUES (?, 0, ?, ?, ?, 1, 0, ?)",
            [(i, name, login, pw, hashlib.md5(pw.encode()).hexdigest())
             for i, name, login, pw in PROD_USERS])
        con.execute("UPDATE SYS_PARAMS SET F_SAFE_MODE = 1")
    files = project / "static" / "files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "photo_1.png").write_bytes(PHOTO)
    (files / "manual_1.pdf").write_bytes(MANUAL)
    with JamServer(project) as server:
        client = server.client()
        assert client.login("jsmith", "prod-secret-jsmith")["result"]["data"]
        client.load()
        client.update("customers", 3, {"email": "changed3@shop-customers.example.com"})
        client.update("products", 1, {"photo": "photo_1.png",
                                      "manual": "manual_1.pdf?Product manual.pdf"})
    with sqlite3.connect(project / "admin.sqlite") as con:
        con.execute("UPDATE SYS_PARAMS SET F_SAFE_MODE = 0")
    add_lock(project)


def add_lock(project):
    """A record lock on customer 3, as Jam.py's edit lock keeps it."""
    metadata = Project(project).metadata()
    customers = next(r["id"] for r in metadata.items.values() if r["f_item_name"] == "customers")
    locks, columns = shop_data.names(metadata, "locks")
    query(project, f'INSERT INTO "{locks}" ("{columns["id"]}", "{columns["item_id"]}", '
                   f'"{columns["item_rec_id"]}", "{columns["version"]}") '
                   f'VALUES (1, {customers}, 3, 2)')
    return locks


def query(project, sql):
    engine = create_engine(Project(project).connection())
    try:
        with engine.begin() as conn:
            if conn.dialect.name in ("mysql", "mariadb"):  # the tests' SQL quotes names "so"
                conn.exec_driver_sql("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')")
            result = conn.execute(text(sql))
            return result.fetchall() if result.returns_rows else result.rowcount
    finally:
        engine.dispose()


def fingerprint(project):
    tables = Project(project).metadata().expected_tables()
    digest = hashlib.sha256()
    for name in tables:
        quoted = f'"{name}"'
        for row in query(project, f"SELECT * FROM {quoted} ORDER BY 1"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def admin_digest(project):
    return hashlib.sha256((project / "admin.sqlite").read_bytes()).hexdigest()


def rows_by_item(result, what):
    return {t["item"]: t[what] for t in result["tables"]}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_refresh_into_staging(kind, production, target_project):
    prod, counts, prod_db = production
    staging = target_project(kind, "staging")
    files = "placeholder" if kind == "sqlite" else "copy"
    args = {"project_path": str(staging), "source_project_path": str(prod), "masks": MASKS,
            "mask_key": KEY, "batch_size": 1000, "users": "copy",
            "users_password": STAGING_PASSWORD, "files": files}
    untouched = admin_digest(staging)

    planned = run_module("jampy.deploy.jam_data", args, check_mode=True)
    assert planned["changed"]
    assert rows_by_item(planned, "inserted") == {**counts, "history": 1}
    assert planned["users"]["copied"] == 2 and planned["users"]["left_out"] == 1  # ID 1: admin
    assert planned["files"]["referenced"] == 2
    assert Project(staging).metadata().expected_tables() == []  # nothing imported, nothing copied
    assert admin_digest(staging) == untouched and not (staging / "static" / "files").exists()

    done = run_module("jampy.deploy.jam_data", args)
    assert done["changed"] and done["verification"]["ok"], done["verification"]
    assert rows_by_item(done, "source_rows") == {**counts, "history": 1}
    assert all(c["equal"] for c in done["verification"]["counts"].values())
    assert done["verification"]["orphans"] == {} and done["verification"]["masked_leaks"] == {}
    assert any("locks: record locks cleared" in n for n in done["notes"])

    upper = kind == "sqlite"
    customers = "SHOP_CUSTOMERS" if upper else "shop_customers"
    email, phone, notes = ("EMAIL", "PHONE", "NOTES") if upper else ("email", "phone", "notes")
    source_emails = {r[0] for r in query(prod, "SELECT email FROM shop_customers")}
    staged = query(staging, f"SELECT {email}, {phone}, {notes} FROM {customers}")
    assert not source_emails & {r[0] for r in staged}
    assert all(r[0].endswith("@example.invalid") for r in staged)
    assert all(r[1].startswith("+33") for r in staged) and {r[2] for r in staged} <= {"", None}
    table, column = (("SHOP_SUPPLIERS", "PREFERRED_PRODUCT") if upper
                     else ("shop_suppliers", "preferred_product"))
    suppliers = query(staging, f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")
    assert suppliers[0][0] == 100  # the cycle's second pass
    locks = "SHOP_LOCKS" if upper else "shop_locks"
    assert query(staging, f"SELECT COUNT(*) FROM {locks}")[0][0] == 0
    accounts = check_accounts(staging)
    check_history(staging, upper, accounts)
    check_files(staging, files)

    before, admin_before = fingerprint(staging), admin_digest(staging)
    again = run_module("jampy.deploy.jam_data", args)
    assert again["changed"] is False and fingerprint(staging) == before, again["tables"]
    assert admin_digest(staging) == admin_before

    add_lock(staging)  # a lock taken on staging is cleared by the next refresh
    assert run_module("jampy.deploy.jam_data", args, check_mode=True)["cleared"] == {locks: 1}

    run_module("jampy.deploy.jam_params", {"project_path": str(staging), "safe_mode": True})
    with JamServer(staging) as server:
        client = server.client()
        assert client.login("jsmith", "prod-secret-jsmith")["result"]["data"] is None
        assert client.login(accounts[2][0], STAGING_PASSWORD)["result"]["data"]
        client.load()
        assert len(client.open("customers", limit=50)) == 50
        new_id = client.insert("customers", {"name": "New staging customer"})
        assert new_id == counts["customers"] + 1  # keys continue after the copied ones


def check_accounts(staging):
    """The staging admin kept; production accounts masked, with the staging password."""
    with sqlite3.connect(staging / "admin.sqlite") as con:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT ID, F_LOGIN, F_NAME, F_PASSWORD, F_ADMIN, F_IP, F_UUID FROM SYS_USERS")}
    assert rows[1][:4] == ("admin", "Admin", "111", 1)
    assert sorted(rows) == [1, 2, 3]
    for user_id, name, login, password in PROD_USERS:
        masked = rows[user_id]
        assert masked[0] != login and masked[1] != name
        assert masked[2:] == (STAGING_PASSWORD, 0, None, None)
    assert rows[2][0].startswith("user-") and rows[3][0].endswith("@example.invalid")
    text_of_admin = (staging / "admin.sqlite").read_bytes()
    assert not any(secret.encode() in text_of_admin for *unused, secret in PROD_USERS)
    return rows


def check_history(staging, upper, accounts):
    """Jam.py's record of the e-mail change: the value masked like the customer's, the
    user's name masked like the account's."""
    metadata = Project(staging).metadata()
    email_field = next(r["id"] for r in metadata.fields.values() if r["f_field_name"] == "email"
                       and metadata.items[r["owner_rec_id"]]["f_item_name"] == "customers")
    history, changes, user = (("SHOP_HISTORY", '"CHANGES"', '"USER"') if upper
                              else ("shop_history", '"changes"', '"user"'))
    rows = query(staging, f"SELECT {changes}, {user} FROM {history}")
    assert len(rows) == 1
    recorded = dict(json.loads(rows[0][0][1:]))
    customers, email = ("SHOP_CUSTOMERS", "EMAIL") if upper else ("shop_customers", "email")
    current = query(staging, f"SELECT {email} FROM {customers} WHERE id = 3")[0][0]
    assert recorded[email_field] == current and current.endswith("@example.invalid")
    assert rows[0][1] == accounts[2][1] != "John Smith"


def check_files(staging, mode):
    folder = staging / "static" / "files"
    photo, manual = (folder / "photo_1.png").read_bytes(), (folder / "manual_1.pdf").read_bytes()
    if mode == "copy":
        assert (photo, manual) == (PHOTO, MANUAL)
    else:
        assert photo.startswith(b"\x89PNG") and photo != PHOTO
        assert b"not copied from production" in manual


def test_exclusion_takes_what_refers_to_it(production, target_project):
    prod, counts, prod_db = production
    staging = target_project("sqlite", "staging")
    planned = run_module("jampy.deploy.jam_data", {
        "project_path": str(staging), "source_project_path": str(prod),
        "exclude": ["customers"]}, check_mode=True)
    assert "customers: excluded" in planned["notes"]
    assert "orders: excluded too (orders.customer refers to customers)" in planned["notes"]
    assert "order_lines: excluded too (details of orders)" in planned["notes"]
    assert set(rows_by_item(planned, "inserted")) == {"suppliers", "products", "history"}
    unknown = run_module("jampy.deploy.jam_data", {
        "project_path": str(staging), "source_project_path": str(prod),
        "exclude": ["clients"]}, expect_failure=True)
    assert "no table item named clients" in unknown["msg"]


def test_a_sample_takes_what_depends_on_it(production, target_project):
    """The 100 newest orders, their lines (details), everything else whole; no orphan."""
    prod, counts, prod_db = production
    staging = target_project("sqlite", "staging")
    done = run_module("jampy.deploy.jam_data", {
        "project_path": str(staging), "source_project_path": str(prod),
        "sample": {"orders": 100}})
    assert done["verification"]["ok"] and done["verification"]["orphans"] == {}
    copied = rows_by_item(done, "inserted")
    assert copied == {**counts, "orders": 100, "order_lines": 100 * 2, "history": 1}
    newest = query(staging, "SELECT MIN(ID), MAX(ID) FROM SHOP_ORDERS")[0]
    assert tuple(newest) == (counts["orders"] - 99, counts["orders"])
    lines = query(staging, "SELECT COUNT(*) FROM SHOP_ORDER_LINES WHERE MASTER_REC_ID < "
                           f"{counts['orders'] - 99}")
    assert lines[0][0] == 0
    again = run_module("jampy.deploy.jam_data", {
        "project_path": str(staging), "source_project_path": str(prod),
        "sample": {"orders": 100}})
    assert again["changed"] is False
    wrong = run_module("jampy.deploy.jam_data", {
        "project_path": str(staging), "source_project_path": str(prod),
        "sample": {"orders": 0, "invoices": 5}}, expect_failure=True)
    assert "sample: no copied table item named invoices" in wrong["msg"]


def test_refuses_the_same_database(production, tmp_path):
    prod, counts, prod_db = production
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "admin.sqlite").write_bytes((prod / "admin.sqlite").read_bytes())
    result = run_module("jampy.deploy.jam_data",
                        {"project_path": str(twin), "source_project_path": str(prod)},
                        expect_failure=True)
    assert "same database" in result["msg"]


def test_masks_need_a_key_and_valid_rules(production, target_project):
    prod, counts, prod_db = production
    staging = target_project("sqlite", "staging")
    base = {"project_path": str(staging), "source_project_path": str(prod)}
    assert "mask_key is required" in run_module(
        "jampy.deploy.jam_data", {**base, "masks": {"customers.email": "email"}},
        expect_failure=True)["msg"]
    bad = run_module("jampy.deploy.jam_data", {**base, "masks": {"customers.email": "scramble"},
                                               "mask_key": KEY}, expect_failure=True)
    assert "customers.email" in bad["msg"] and "email" in bad["msg"]
    assert not (staging / "logs").exists()
    clash = run_module("jampy.deploy.jam_data", {**base, "masks": {"customers.name": "full_name"},
                                                 "mask_key": KEY}, expect_failure=True)
    assert "customers.name has a unique index" in clash["msg"]


def test_a_killed_refresh_is_finished_by_the_next(production, target_project):
    """kill -9 in the middle of the copy (maintenance on): the next run turns maintenance
    off, finishes the copy and verifies."""
    prod, counts, prod_db = production
    staging = target_project("postgresql", "staging")
    lines = kill_at(staging, prod, "orders:", kind="refresh")
    assert any(line.startswith("customers: 3000 rows") for line in lines)  # rows written
    assert Project(staging).parameters()["maintenance"] is True
    assert journal.refresh_interrupted(staging)

    done = run_module("jampy.deploy.jam_data", {"project_path": str(staging),
                                                "source_project_path": str(prod)})
    assert any("interrupted data refresh" in n for n in done["notes"])
    assert done["verification"]["ok"] and rows_by_item(done, "source_rows") == {
        **counts, "history": 1}
    assert Project(staging).parameters()["maintenance"] is False
    assert not journal.refresh_interrupted(staging)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_the_same_database_is_recognised_on_the_server(kind):
    """Two connections that name the server differently still reach one database: the
    lock probe sees it; another database on the same server is not mistaken for it."""
    server = services.database_server(kind)
    first, second = server.create("probe"), server.create("probe")
    try:
        connections = [Connection(db.as_connection()) for db in (first, first, second)]
        engines = [create_engine(c) for c in connections]
        try:
            assert same_database.same_server_database(connections[0], connections[1],
                                                      engines[0], engines[1])
            assert not same_database.same_server_database(connections[0], connections[2],
                                                          engines[0], engines[2])
        finally:
            for engine in engines:
                engine.dispose()
    finally:
        server.drop(first)
        server.drop(second)


def test_a_source_with_broken_metadata_is_refused_before_anything_changes(
        production, target_project, tmp_path):
    """The copy is planned from the source's metadata: a broken size is named, and the
    target (admin.sqlite, database file) is as it was."""
    prod, counts, prod_db = production
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "admin.sqlite").write_bytes((prod / "admin.sqlite").read_bytes())
    with closing(sqlite3.connect(broken / "admin.sqlite")) as con:
        con.execute("UPDATE SYS_FIELDS SET F_SIZE = -5 WHERE F_FIELD_NAME = 'name' AND "
                    "OWNER_REC_ID = (SELECT ID FROM SYS_ITEMS WHERE F_ITEM_NAME = 'customers')")
        con.commit()
    staging = target_project("sqlite", "staging")
    before = admin_digest(staging), sorted(p.name for p in staging.iterdir())
    result = run_module("jampy.deploy.jam_data",
                        {"project_path": str(staging), "source_project_path": str(broken)},
                        expect_failure=True)
    assert f"the source project {broken}" in result["msg"] and "size" in result["msg"]
    assert (admin_digest(staging), sorted(p.name for p in staging.iterdir())) == before
