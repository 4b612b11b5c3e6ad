"""Column defaults of Jam.py 7.0 without database servers: the default of each data type
from F_DEFAULT_VALUE, refused numbers, reflected defaults of each database read back into
one form, the DDL rendered for SQLite, PostgreSQL and MySQL/MariaDB, a round trip through
a real SQLite database (create, reflect, rebuild) and the plan of a changed default."""
import shutil
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUT_54, LAYOUT_70)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.metadata import (
    AdminTable, Metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import steps
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.guards import (
    blocking)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.plan import (
    build_plan)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.render import (
    Renderer, render_plan)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas, differences)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.defaults import (
    field_default, reflected)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
    schema_from_metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"


@pytest.mark.parametrize("data_type, value, default", [
    (j.TEXT, "abc", "abc"), (j.TEXT, "", None), (j.TEXT, None, None),
    (j.TEXT, "O'Neil", "O'Neil"), (j.LONGTEXT, "long text", "long text"),
    (j.FILE, "a.txt", "a.txt"), (j.IMAGE, "", None),
    (j.INTEGER, "5", "5"), (j.INTEGER, "-5", "-5"), (j.INTEGER, "+7", "7"),
    (j.INTEGER, "", None),
    (j.FLOAT, "1.5", "1.5"), (j.CURRENCY, "2.250", "2.25"), (j.FLOAT, "0", "0"),
    (j.FLOAT, "1e3", "1000"),
    (j.BOOLEAN, "true", "1"), (j.BOOLEAN, "false", "0"), (j.BOOLEAN, "yes", None),
    (j.DATE, "current date", None), (j.DATETIME, "current datetime", None),
])
def test_field_default_follows_jam_70(data_type, value, default):
    assert field_default({"f_data_type": data_type, "f_default_value": value}) == default


@pytest.mark.parametrize("data_type, value", [
    (j.INTEGER, "five"), (j.INTEGER, "1.5"), (j.FLOAT, "1,5"), (j.CURRENCY, "0; DROP"),
    (j.KEYS, "1;2"),
])
def test_field_default_refuses_what_is_no_number(data_type, value):
    row = {"id": 42, "f_field_name": "amount", "f_data_type": data_type,
           "f_default_value": value}
    with pytest.raises(JamDeployError) as refused:
        field_default(row, "invoices")
    message = str(refused.value)
    assert f"{value!r} of field invoices.amount (SYS_FIELDS ID 42)" in message
    assert "nothing was changed" in message and "Application Builder" in message


@pytest.mark.parametrize("text, column_type, backslashes, value", [
    # SQLite: PRAGMA table_info's text as written (SQLAlchemy parenthesises expressions)
    ("'abc'", "TEXT", False, "abc"), ("'O''Neil'", "TEXT", False, "O'Neil"),
    ("5", "INTEGER", False, "5"), ("(1.5)", "REAL", False, "1.5"),
    ("(-5)", "INTEGER", False, "-5"), ("1.50", "REAL", False, "1.5"), (None, "TEXT", False, None),
    # PostgreSQL (measured on 15): casts after literals, negative numbers quoted
    ("'abc'::text", "TEXT", False, "abc"), ("'O''Neil'::text", "TEXT", False, "O'Neil"),
    ("''::text", "TEXT", False, ""), ("'-5'::integer", "INTEGER", False, "-5"),
    ("'-2.25'::numeric", "NUMERIC", False, "-2.25"), ("5", "TEXT", False, "5"),
    ("'x'::character varying", "VARCHAR(5)", False, "x"),
    # MariaDB (measured on 10.11): information_schema literals, NULL as text
    ("'O\\'Neil'", "TEXT", True, "O'Neil"), ("'a\\\\b'", "VARCHAR(10)", True, "a\\b"),
    ("NULL", "INTEGER", True, None), ("'NULL'", "VARCHAR(5)", True, "NULL"),
    ("1.5", "DOUBLE", True, "1.5"),
    # MySQL: the plain value
    ("abc", "TEXT", True, "abc"),
])
def test_reflected_defaults_read_back_in_one_form(text, column_type, backslashes, value):
    assert reflected(text, column_type, backslashes) == value


def _metadata(layout, fields, db_type=j.SQLITE):
    """One Catalogs item with the given own fields after ID, DELETED, RECORD_VERSION."""
    item = {"id": 10, "type_id": j.ITEM_TYPE, "parent": 2, "f_item_name": "things",
            "f_table_name": "SHOP_THINGS", "f_primary_key": 101, "deleted": 0}
    common = [(101, "id", j.INTEGER, None), (102, "deleted", j.BOOLEAN, "false"),
              (103, "record_version", j.INTEGER, "0")]
    rows = {}
    for field_id, name, data_type, default in common + list(fields):
        rows[field_id] = {"id": field_id, "owner_rec_id": 10, "f_field_name": name,
                          "f_db_field_name": name.upper(), "f_data_type": data_type,
                          "f_size": 50 if data_type == j.TEXT else None,
                          "f_default_value": default, "deleted": 0}
    tables = {"sys_items": AdminTable("sys_items", item, {10: item}),
              "sys_fields": AdminTable("sys_fields", next(iter(rows.values())), rows),
              "sys_indices": AdminTable("sys_indices", (), {})}
    return Metadata(db_type, layout, tables)


FIELDS = [(104, "name", j.TEXT, "O'Neil \\ co"), (105, "qty", j.INTEGER, "5"),
          (106, "price", j.CURRENCY, "2.25"), (107, "day", j.DATE, "current date"),
          (108, "paid", j.BOOLEAN, "true"), (109, "note", j.TEXT, "")]


def test_derived_defaults_7_0_and_none_in_5_4():
    table = schema_from_metadata(_metadata(LAYOUT_70, FIELDS)).tables["SHOP_THINGS"]
    assert {c.name: c.default for c in table.columns} == {
        "ID": None, "DELETED": "0", "RECORD_VERSION": "0", "NAME": "O'Neil \\ co",
        "QTY": "5", "PRICE": "2.25", "DAY": None, "PAID": "1", "NOTE": None}
    old = schema_from_metadata(_metadata(LAYOUT_54, FIELDS)).tables["SHOP_THINGS"]
    assert all(c.default is None for c in old.columns)


def test_demo70_defaults(tmp_path):
    """The 7.0 demo (upgraded from 5.4 by Jam.py): DELETED of its items has no default,
    the invoices' own fields have theirs, the date none."""
    shutil.copy(JAM70 / "demo-admin.sqlite", tmp_path / "admin.sqlite")
    invoices = schema_from_metadata(Project(tmp_path).metadata()).tables["DEMO_INVOICES"]
    assert (invoices.column("TAXRATE").default, invoices.column("PAID").default,
            invoices.column("DELETED").default, invoices.column("INVOICE_DATE").default) == \
        ("5", "0", None, None)


@pytest.mark.parametrize("db_type, expected", [
    (j.SQLITE, ['"DELETED" INTEGER DEFAULT 0', '"RECORD_VERSION" INTEGER DEFAULT 0',
                '"NAME" TEXT DEFAULT \'O\'\'Neil \\ co\'', '"QTY" INTEGER DEFAULT 5',
                '"PRICE" REAL DEFAULT (2.25)', '"DAY" TEXT,', '"PAID" INTEGER DEFAULT 1',
                '"NOTE" TEXT,']),
    (j.POSTGRESQL, ['"deleted" INTEGER DEFAULT 0', '"name" TEXT DEFAULT \'O\'\'Neil \\ co\'',
                    '"price" NUMERIC DEFAULT 2.25', '"day" DATE,', '"paid" INTEGER DEFAULT 1']),
    # MySQL escapes a backslash in a string literal, and writes numbers plainly
    (j.MYSQL, ['`deleted` INTEGER DEFAULT 0', "`name` VARCHAR(50) DEFAULT 'O''Neil \\\\ co'",
               '`price` DOUBLE DEFAULT 2.25', '`day` DATE,', '`paid` INTEGER DEFAULT 1']),
])
def test_create_table_and_add_column_render_defaults(db_type, expected):
    metadata = _metadata(LAYOUT_70, FIELDS, db_type)
    if db_type != j.SQLITE:
        for row in metadata.fields.values():
            row["f_db_field_name"] = row["f_db_field_name"].lower()
    schema = schema_from_metadata(metadata)
    table = next(iter(schema.tables.values()))
    renderer = Renderer(db_type, schema, schema)
    (create,) = renderer.render(steps.CreateTable(table))
    for clause in expected:
        assert clause in create + "\n", (clause, create)
    (add,) = renderer.render(steps.AddColumn(table.name, table.columns[3]))
    assert add.endswith("DEFAULT 'O''Neil \\ co'" if db_type != j.MYSQL
                        else "DEFAULT 'O''Neil \\\\ co'")


def _changed_default(db_type):
    before = _metadata(LAYOUT_70, FIELDS, db_type)
    after = _metadata(LAYOUT_70, FIELDS, db_type)
    after.fields[105]["f_default_value"] = "7"
    after.fields[109]["f_default_value"] = "none yet"
    after.fields[108]["f_default_value"] = None
    return before, after


@pytest.mark.parametrize("db_type, statements", [
    (j.POSTGRESQL, ['ALTER TABLE "SHOP_THINGS" ALTER COLUMN "QTY" SET DEFAULT 7',
                    'ALTER TABLE "SHOP_THINGS" ALTER COLUMN "PAID" DROP DEFAULT',
                    'ALTER TABLE "SHOP_THINGS" ALTER COLUMN "NOTE" SET DEFAULT \'none yet\'']),
    (j.MYSQL, ['ALTER TABLE `SHOP_THINGS` ALTER COLUMN `QTY` SET DEFAULT 7',
               'ALTER TABLE `SHOP_THINGS` ALTER COLUMN `PAID` DROP DEFAULT',
               "ALTER TABLE `SHOP_THINGS` ALTER COLUMN `NOTE` SET DEFAULT 'none yet'"]),
])
def test_a_changed_default_is_altered(db_type, statements):
    plan = build_plan(*_changed_default(db_type), db_type)
    assert [s.describe() for s in plan.steps] == [
        "alter column SHOP_THINGS.QTY default 5 → default 7",
        "alter column SHOP_THINGS.PAID default 1 → no default",
        "alter column SHOP_THINGS.NOTE no default → default 'none yet'"]
    assert [sql for _step, sqls in render_plan(plan, db_type) for sql in sqls] == statements


def test_mysql_type_change_and_rename_keep_the_default():
    metadata = _metadata(LAYOUT_70, FIELDS, j.MYSQL)
    schema = schema_from_metadata(metadata)
    table = schema.tables["SHOP_THINGS"]
    qty = table.column("QTY")
    renderer = Renderer(j.MYSQL, schema, schema)
    renamed = type(qty)("AMOUNT", qty.type, default=qty.default, field_id=qty.field_id)
    (sql,) = renderer.render(steps.RenameColumn(table.name, qty, renamed))
    assert sql.endswith("`AMOUNT` INTEGER NULL DEFAULT 5")


def _sqlite_engine(path):
    from sqlalchemy import create_engine
    return create_engine(f"sqlite:///{path}")


def test_sqlite_round_trip_and_rebuild_keep_defaults(tmp_path):
    """Created from the model, reflected back equal; a changed default rebuilds the table
    with every default (and the rows), and the reflection shows the new one."""
    before, after = _changed_default(j.SQLITE)
    engine = _sqlite_engine(tmp_path / "shop.sqlite")
    empty = Metadata(j.SQLITE, LAYOUT_70, {
        "sys_items": AdminTable("sys_items", (), {}), "sys_fields": AdminTable(
            "sys_fields", (), {}), "sys_indices": AdminTable("sys_indices", (), {})})
    with engine.begin() as conn:
        for _step, sqls in render_plan(build_plan(empty, before, j.SQLITE), j.SQLITE):
            for sql in sqls:
                conn.exec_driver_sql(sql)
        conn.exec_driver_sql('INSERT INTO "SHOP_THINGS" ("ID") VALUES (1)')
    live = reflect_schema(engine, j.SQLITE)
    assert compare_schemas(schema_from_metadata(before), live) == []

    plan = build_plan(before, after, j.SQLITE)
    assert [type(s) for s in plan.steps] == [steps.RebuildTable]
    with engine.begin() as conn:
        for _step, sqls in render_plan(plan, j.SQLITE):
            for sql in sqls:
                conn.exec_driver_sql(sql)
        row = conn.exec_driver_sql(
            'SELECT "DELETED", "QTY", "NAME", "PAID" FROM "SHOP_THINGS"').one()
        conn.exec_driver_sql('INSERT INTO "SHOP_THINGS" ("ID") VALUES (2)')
        new_row = conn.exec_driver_sql(
            'SELECT "DELETED", "QTY", "PAID", "NOTE" FROM "SHOP_THINGS" WHERE "ID" = 2').one()
    assert tuple(row) == (0, 5, "O'Neil \\ co", 1)  # kept through the rebuild
    assert tuple(new_row) == (0, 7, None, "none yet")
    live = reflect_schema(engine, j.SQLITE)
    assert compare_schemas(schema_from_metadata(after), live) == []
    # behind our back: the metadata still says 7
    drift = differences(schema_from_metadata(before), live)
    assert "table SHOP_THINGS: column QTY: default 5 expected, default 7 found" in map(str, drift)
    assert blocking(drift, "fail") and not blocking(drift, "adopt")
    engine.dispose()
