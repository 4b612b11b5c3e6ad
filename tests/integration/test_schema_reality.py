"""The schema model against what the real Jam.py 5.4.136 creates.

Each target is a fresh project made by Jam.py's project script and completed for its
database; Jam.py's own import then loads a zip made by Jam.py's own export. The live
database, reflected, must be exactly what ``schema_from_metadata`` derives from the
target's admin.sqlite (which holds the names Jam.py's import converted, facts §4.5/4.6) —
apart from the known Jam.py behaviour listed in ``known_differences``.
"""
import json

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import (
    check_connection, create_engine)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
    schema_from_metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import Column, Index
from tests.harness import apps, jamenv, projects

KINDS = ["sqlite", "postgresql", "mysql"]


def jam_export(project):
    """A metadata zip made by Jam.py's own Export."""
    return json.loads(jamenv.run_jamside("jam_export.py", project).stdout)["zip"]


@pytest.fixture(scope="module")
def development(tmp_path_factory):
    """{app: (development project, Jam.py's zip of it)}: the sdist demo, and SHOP_APP built
    with Jam.py's Builder functions in a SQLite project."""
    root = tmp_path_factory.mktemp("reality-dev")
    demo = projects.copy_demo(root / "demo")
    shop = projects.create_project(root / "shop")
    apps.build(shop, [apps.complete(apps.sqlite_database()), *apps.SHOP_APP])
    return {"demo": (demo, jam_export(demo)), "shop": (shop, jam_export(shop))}


def model_and_live(project):
    proj = Project(project)
    connection = proj.connection()
    check_connection(connection)
    engine = create_engine(connection)
    try:
        live = reflect_schema(engine, connection["db_type"])
    finally:
        engine.dispose()
    return schema_from_metadata(proj.metadata()), live


def known_differences(kind, expected):
    """Jam.py's own import, not our model: facts §4.7, an import into SQLite creates no
    foreign keys (``indices_insert_sql`` skips SQLite FK indexes; they could only be
    declared inline in CREATE TABLE, and the import passes none)."""
    if kind != "sqlite":
        return []
    return [f"table {name}: foreign key ({', '.join(fk.columns)}) references "
            f"{fk.ref_table} ({', '.join(fk.ref_columns)}): missing"
            for name, table in sorted(expected.tables.items()) for fk in table.foreign_keys]


@pytest.mark.parametrize("app", ["demo", "shop"])
def test_development_projects_match_their_metadata(app, development):
    """The SQLite development projects themselves (Builder-made), foreign keys included."""
    expected, live = model_and_live(development[app][0])
    assert compare_schemas(expected, live) == []
    assert sum(len(t.foreign_keys) for t in live.tables.values()) == \
        {"demo": 1, "shop": 2}[app]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("app", ["demo", "shop"])
def test_jams_import_creates_what_the_model_says(app, kind, development, target_project):
    target = target_project(kind, "target", app)
    result = projects.jam_import(target, development[app][1])
    assert result["success"], result["error"]

    expected, live = model_and_live(target)
    known = known_differences(kind, expected)
    assert compare_schemas(expected, live) == known
    if kind == "sqlite":  # the known difference is real: one per foreign key of the app
        assert len(known) == {"demo": 1, "shop": 2}[app]

    # Not a vacuous match: the objects Jam.py is known to create are there.
    case = str.upper if kind == "sqlite" else str.lower  # identifier_case (facts §4.8)
    tables = {"demo": 9, "shop": 4}[app]
    assert len(live.tables) == tables
    if app == "demo":
        invoices = live.tables[case("demo_invoices")]
        assert invoices.indexes == [Index(case("demo_invoices_idx"),
                                          ((case("invoice_date"), True),))]
        pk_table = invoices
    else:
        orders = live.tables[case("shop_orders")]
        assert Index(case("shop_orders_date_idx"), ((case("order_date"), True),)) \
            in orders.indexes
        assert Index(case("shop_customers_idx"), ((case("name"), False),), True) \
            in live.tables[case("shop_customers")].indexes
        pk_table = orders
    pk = pk_table.column(case("id"))
    seq = f"{pk_table.name}_seq"
    assert pk == {
        # "ID" INTEGER PRIMARY KEY
        "sqlite": Column(case("id"), "INTEGER", primary_key=True, nullable=True),
        # "id" INTEGER PRIMARY KEY DEFAULT NEXTVAL('"<table>_seq"'), the generator the
        # import named after the table (facts §4.6)
        "postgresql": Column("id", "INTEGER", primary_key=True, nullable=False, sequence=seq),
        # "id" INT NOT NULL AUTO_INCREMENT, PRIMARY KEY("id")
        "mysql": Column("id", "INTEGER", primary_key=True, nullable=False, autoincrement=True),
    }[kind]
    if kind == "postgresql":
        assert len(live.sequences) == tables - (app == "demo")  # demo_history has no key
    else:
        assert live.sequences == set()
    if kind != "sqlite":
        fk_tables = [t for t in live.tables.values() if t.foreign_keys]
        assert all(fk.name.startswith("fk_") for t in fk_tables for fk in t.foreign_keys)
        assert len(fk_tables) == {"demo": 1, "shop": 2}[app]


def test_reflect_postgresql_serial_and_foreign_objects(pg_database):
    """What Jam.py 7.0 creates on PostgreSQL (SERIAL PRIMARY KEY) reads as an
    auto-increment key without a separate sequence; a stand-alone sequence is listed."""
    connection = pg_database.as_connection()
    engine = create_engine(connection)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE "demo_t" ("id" SERIAL PRIMARY KEY, '
                                 '"name" TEXT, "at" TIMESTAMP, "n" NUMERIC)')
            conn.exec_driver_sql('CREATE SEQUENCE "spare_seq"')
            conn.exec_driver_sql('CREATE INDEX "Mixed_Case_IDX" ON "demo_t" ("at" DESC, "n")')
        live = reflect_schema(engine, j.POSTGRESQL)
    finally:
        engine.dispose()
    table = live.tables["demo_t"]
    assert table.columns == [
        Column("id", "INTEGER", primary_key=True, nullable=False, autoincrement=True),
        Column("name", "TEXT"), Column("at", "TIMESTAMP"), Column("n", "NUMERIC")]
    assert table.indexes == [Index("Mixed_Case_IDX", (("at", True), ("n", False)))]
    assert live.sequences == {"spare_seq"}
