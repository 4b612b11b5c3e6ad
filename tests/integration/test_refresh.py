"""jam_data: a production project on PostgreSQL with related tables (lookups, a detail,
a cycle, a self-reference) and 13,200 rows, refreshed into staging projects on SQLite and
PostgreSQL with masking - through ansible-playbook, checked in the databases and through
the real Jam.py serving the staging data."""
import hashlib

import pytest
from sqlalchemy import text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.dbconnect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.project import Project
from tests.harness import apps, databases, jamenv, projects, shop_data
from tests.harness.ansible_run import run_module as run_any_module
from tests.harness.server import JamServer

MASKS = {"customers.email": "email", "customers.name": {"rule": "hash", "length": 20},
         "customers.phone": {"rule": "phone", "keep": 3}, "customers.notes": "blank",
         "suppliers.email": "email"}
KEY = "staging-refresh-key-0123456789"


def run_module(*args, **kwargs):
    return run_any_module(*args, python=jamenv.jam_python(), **kwargs)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    postgres = databases.SERVERS["postgresql"]
    db = postgres.create("prod")
    project = projects.create_project(tmp_path_factory.mktemp("prod") / "shop")
    apps.build(project, [apps.complete(db, name="Shop", item_name="shop"), *apps.REFRESH_APP])
    counts = shop_data.fill(project)
    yield project, counts, db
    postgres.drop(db)


def query(project, sql):
    engine = create_engine(Project(project).connection())
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).fetchall()
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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_refresh_into_staging(kind, production, target_project):
    prod, counts, prod_db = production
    staging = target_project(kind, "staging")
    args = {"project_path": str(staging), "source_project_path": str(prod), "masks": MASKS,
            "mask_key": KEY, "batch_size": 1000}

    planned = run_module("jampy.deploy.jam_data", args, check_mode=True)
    assert planned["changed"]
    assert {t["item"]: t["inserted"] for t in planned["tables"]} == counts
    assert Project(staging).metadata().expected_tables() == []  # nothing imported, nothing copied

    done = run_module("jampy.deploy.jam_data", args)
    assert done["changed"] and done["verification"]["ok"], done["verification"]
    assert {t["item"]: t["source_rows"] for t in done["tables"]} == counts
    assert all(c["equal"] for c in done["verification"]["counts"].values())
    assert done["verification"]["orphans"] == {} and done["verification"]["masked_leaks"] == {}

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

    before = fingerprint(staging)
    again = run_module("jampy.deploy.jam_data", args)
    assert again["changed"] is False and fingerprint(staging) == before

    with JamServer(staging) as server:
        client = server.client()
        client.load()
        assert len(client.open("customers", limit=50)) == 50
        new_id = client.insert("customers", {"name": "New staging customer"})
        assert new_id == counts["customers"] + 1  # keys continue after the copied ones


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
