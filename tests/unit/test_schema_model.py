"""The schema model without database servers: canonical types, the schema Jam.py creates
for the 5.4 sdist demo and the 7.0 demo, schema comparison, SQLite reflection, and how
dbconnect builds URLs and reports errors (never with the password)."""
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db import connect as dbconnect
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.registry import (
    DIALECTS, dialect_for)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUT_54, LAYOUT_70)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
    schema_from_metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    Column, ForeignKey, Index, Schema, Table, canonical_type)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)
from tests.harness import databases, projects, services

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"
SECRET = "S3cr3t pa:ss/w@rd?%"


# ------------------------------------------------------------------- canonical types

@pytest.mark.parametrize("reflected, canonical", [
    ("int(11)", "INTEGER"),                      # MySQL/MariaDB INT
    ("INTEGER(11)", "INTEGER"),                  # SQLAlchemy's rendering of it
    ("INT", "INTEGER"),
    ("character varying(50)", "VARCHAR(50)"),    # PostgreSQL
    ("VARCHAR(50) COLLATE utf8mb4_general_ci", "VARCHAR(50)"),
    ("VARCHAR(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "VARCHAR(50)"),
    ("timestamp without time zone", "TIMESTAMP"),
    ("numeric", "NUMERIC"),
    ("double", "DOUBLE"),
    ("longtext", "LONGTEXT"),
    ("VARCHAR2(50 CHAR)", "VARCHAR2(50)"),       # Oracle length semantics
    ("NVARCHAR(max)", "NVARCHAR(MAX)"),          # SQL Server
    ("FLOAT(53)", "FLOAT"),
])
def test_canonical_type_folds_spellings(reflected, canonical):
    assert canonical_type(reflected) == canonical


@pytest.mark.parametrize("layout", [LAYOUT_54, LAYOUT_70])
def test_canonical_type_keeps_every_type_jam_creates(layout):
    for db_type, dialect in DIALECTS.items():
        for data_type in dialect.column_types.get(layout, ()):  # none: not modelled
            for size in (None, 0, 50):
                text = dialect.column_type(layout, data_type, size)
                assert canonical_type(text) == text, (db_type, data_type, size)


def test_column_types_per_database():
    def column_type(layout, db_type, data_type, size):
        return dialect_for(db_type).column_type(layout, data_type, size)

    assert column_type(LAYOUT_54, j.SQLITE, j.TEXT, 50) == "TEXT"
    assert column_type(LAYOUT_54, j.POSTGRESQL, j.TEXT, 50) == "VARCHAR(50)"
    assert column_type(LAYOUT_70, j.POSTGRESQL, j.TEXT, 50) == "TEXT"
    assert column_type(LAYOUT_54, j.MYSQL, j.BOOLEAN, None) == "INTEGER"
    assert column_type(LAYOUT_54, j.MYSQL, j.IMAGE, None) == "LONGTEXT"
    assert column_type(LAYOUT_70, j.MYSQL, j.IMAGE, None) == "VARCHAR(256)"


# ------------------------------------------------------------------- the model on demos

@pytest.fixture(scope="module")
def demo54(tmp_path_factory):
    return Project(projects.copy_demo(tmp_path_factory.mktemp("demo54") / "demo")).metadata()


@pytest.fixture(scope="module")
def demo70(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo70")
    shutil.copy(JAM70 / "demo-admin.sqlite", folder / "admin.sqlite")
    return Project(folder).metadata()


DEMO_TABLES = ["DEMO_ALBUMS", "DEMO_ARTISTS", "DEMO_CUSTOMERS", "DEMO_GENRES", "DEMO_HISTORY",
               "DEMO_INVOICES", "DEMO_INVOICE_TABLE", "DEMO_LOCKS", "DEMO_TRACKS"]


@pytest.mark.integration  # the 5.4 demo comes from the Jam.py sdist
def test_demo54_on_sqlite(demo54):
    model = schema_from_metadata(demo54)
    assert model.db_type == j.SQLITE and sorted(model.tables) == DEMO_TABLES
    assert model.sequences == set()
    invoices = model.tables["DEMO_INVOICES"]
    # group fields first (5.4 items inherit them), then the item's own; no master fields
    assert [(c.name, c.type) for c in invoices.columns] == [
        ("ID", "INTEGER"), ("DELETED", "INTEGER"), ("CUSTOMER", "INTEGER"),
        ("INVOICE_DATE", "TEXT"), ("SUBTOTAL", "REAL"), ("TAXRATE", "REAL"), ("TAX", "REAL"),
        ("TOTAL", "REAL")]
    pk = invoices.column("ID")
    # `"ID" INTEGER PRIMARY KEY`: declared nullable, no generator of Jam.py's own
    assert (pk.primary_key, pk.nullable, pk.autoincrement, pk.sequence) == \
        (True, True, False, None)
    assert invoices.indexes == [Index("DEMO_INVOICES_IDX", (("INVOICE_DATE", True),))]
    # foreign keys are inline and unnamed in SQLite
    assert invoices.foreign_keys == [
        ForeignKey(None, ("CUSTOMER",), "DEMO_CUSTOMERS", ("ID",))]
    # the history table has no primary key; the locks table has its own ID
    assert not any(c.primary_key for c in model.tables["DEMO_HISTORY"].columns)
    assert model.tables["DEMO_LOCKS"].column("ID").primary_key


@pytest.mark.integration
def test_demo54_on_other_databases(demo54):
    # The same metadata for other databases (names as stored: the case conversion and the
    # generator names are Jam.py's import's job, facts §4.5/4.6).
    mysql = schema_from_metadata(demo54, j.MYSQL)
    pk = mysql.tables["DEMO_INVOICES"].column("ID")
    assert (pk.type, pk.nullable, pk.autoincrement, pk.sequence) == \
        ("INTEGER", False, True, None)
    assert mysql.tables["DEMO_CUSTOMERS"].column("FIRSTNAME").type == "VARCHAR(40)"
    assert mysql.tables["DEMO_INVOICES"].column("TOTAL").type == "DOUBLE"
    assert mysql.tables["DEMO_INVOICES"].foreign_keys[0].name == "FK_DEMO_INVOICES_CUSTOMER"

    items = {row_id: dict(row) for row_id, row in demo54.items.items()}
    items[16]["f_gen_name"] = "demo_invoices_seq"  # what the import into PostgreSQL sets
    demo54.tables["sys_items"].rows = items
    pg = schema_from_metadata(demo54, j.POSTGRESQL)
    pk = pg.tables["DEMO_INVOICES"].column("ID")
    assert (pk.nullable, pk.autoincrement, pk.sequence) == (False, False, "demo_invoices_seq")
    assert pg.sequences == {"demo_invoices_seq"}
    assert pg.tables["DEMO_INVOICES"].column("INVOICE_DATE").type == "DATE"


def test_demo70(demo70):
    model = schema_from_metadata(demo70)
    # invoices_client is a copy of invoices (F_COPY_OF): it shares DEMO_INVOICES
    assert sorted(model.tables) == [t for t in DEMO_TABLES if t != "DEMO_LOCKS"]
    assert model.tables["DEMO_INVOICES"].item_id == 16
    tracks = [c.name for c in model.tables["DEMO_TRACKS"].columns]
    assert "TRACKS_SOLD" not in tracks and "ARTIST" not in tracks  # calculated, master
    assert {"ID", "DELETED"} <= set(tracks)  # 7.0: the items own their common fields
    pg = schema_from_metadata(demo70, j.POSTGRESQL)
    pk = pg.tables["DEMO_INVOICES"].column("ID")
    assert (pk.autoincrement, pk.sequence) == (True, None)  # SERIAL PRIMARY KEY
    assert pg.sequences == set()
    assert pg.tables["DEMO_CUSTOMERS"].column("FIRSTNAME").type == "TEXT"


# ------------------------------------------------------------------- comparison

def _table(**overrides):
    values = dict(name="T", columns=[Column("ID", "INTEGER", True, False, True),
                                     Column("NAME", "VARCHAR(50)")],
                  indexes=[Index("T_IDX", (("NAME", True),), True)],
                  foreign_keys=[ForeignKey("FK_T_R", ("R",), "R", ("ID",))])
    values.update(overrides)
    return Table(**values)


def test_compare_schemas_equal_and_different():
    expected = Schema(j.MYSQL, {"T": _table(), "GONE": _table(name="GONE")}, {"S1"})
    assert compare_schemas(expected, expected) == []
    actual = Schema(j.MYSQL, {
        "T": _table(columns=[Column("ID", "INTEGER", True, True, False),
                             Column("NAME", "VARCHAR(40)"), Column("X", "TEXT")],
                    indexes=[Index("T_IDX", (("NAME", False),), True), Index("OTHER", ())],
                    foreign_keys=[]),
        "NEW": _table(name="NEW")}, {"S2"})
    assert compare_schemas(expected, actual) == [
        "table GONE: missing",
        "table NEW: not expected, found",
        "table T: column X TEXT: not expected, found",
        "table T: column ID: NOT NULL expected, nullable found",
        "table T: column ID: auto-increment expected, no auto-increment found",
        "table T: column NAME: type VARCHAR(50) expected, VARCHAR(40) found",
        "table T: index OTHER (): not expected, found",
        "table T: index T_IDX: unique (NAME DESC) expected, unique (NAME) found",
        "table T: foreign key FK_T_R (R) references R (ID): missing",
        "sequence S1: missing",
        "sequence S2: not expected, found",
    ]


def test_compare_foreign_keys_unnamed_match_by_definition():
    named = Schema(j.SQLITE, {"T": _table()})
    unnamed = Schema(j.SQLITE, {"T": _table(foreign_keys=[ForeignKey(None, ("R",), "R", ("ID",))])})
    assert compare_schemas(named, unnamed) == []
    other = Schema(j.SQLITE, {"T": _table(foreign_keys=[ForeignKey(None, ("R",), "Q", ("ID",))])})
    assert compare_schemas(unnamed, other) == [
        "table T: foreign key (R) references R (ID): missing",
        "table T: foreign key (R) references Q (ID): not expected, found"]
    sequence = Schema(j.POSTGRESQL, {"T": _table(columns=[
        Column("ID", "INTEGER", True, False, sequence="t_seq")])})
    plain = Schema(j.POSTGRESQL, {"T": _table(columns=[Column("ID", "INTEGER", True, False)])})
    assert compare_schemas(sequence, plain) == [
        "table T: column ID: default nextval(t_seq) expected, no sequence default found"]


# ------------------------------------------------------------------- SQLite reflection

def test_reflect_sqlite_drops_what_sqlite_adds(tmp_path):
    path = tmp_path / "data.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE "R" ("ID" INTEGER PRIMARY KEY, "CODE" TEXT UNIQUE);
        CREATE TABLE "T" ("ID" INTEGER PRIMARY KEY, "DELETED" INTEGER, "A" TEXT, "B" REAL,
                          "R" INTEGER, FOREIGN KEY(R) REFERENCES R(ID));
        CREATE INDEX "T_IDX" ON "T" ("A" DESC, "B");
        CREATE UNIQUE INDEX "T_U" ON "T" ("B");
    """)
    con.close()
    engine = dbconnect.create_engine({"db_type": j.SQLITE, "database": str(path)})
    try:
        found = reflect_schema(engine, j.SQLITE)
    finally:
        engine.dispose()
    assert sorted(found.tables) == ["R", "T"] and found.sequences == set()
    assert found.tables["R"].indexes == []  # sqlite_autoindex_R_1 (the UNIQUE) left out
    t = found.tables["T"]
    assert t.columns[0] == Column("ID", "INTEGER", primary_key=True, nullable=True)
    assert [c.type for c in t.columns] == ["INTEGER", "INTEGER", "TEXT", "REAL", "INTEGER"]
    assert sorted(t.indexes, key=lambda i: i.name) == [
        Index("T_IDX", (("A", True), ("B", False))), Index("T_U", (("B", False),), True)]
    assert t.foreign_keys == [ForeignKey(None, ("R",), "R", ("ID",))]


# ------------------------------------------------------------------- dbconnect

def test_sqlite_ddl_rolls_back(tmp_path):
    engine = dbconnect.create_engine({"db_type": j.SQLITE, "database": "x.sqlite",
                                      "database_path": str(tmp_path / "x.sqlite")})
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE "KEEP" ("ID" INTEGER PRIMARY KEY)')
        with engine.connect() as conn:
            trans = conn.begin()
            conn.exec_driver_sql('CREATE TABLE "GONE" ("ID" INTEGER)')
            conn.exec_driver_sql('ALTER TABLE "KEEP" ADD COLUMN "X" TEXT')
            conn.exec_driver_sql('CREATE INDEX "KEEP_IDX" ON "KEEP" ("X")')
            trans.rollback()
        assert compare_schemas(reflect_schema(engine, j.SQLITE), Schema(j.SQLITE, {
            "KEEP": Table("KEEP", [Column("ID", "INTEGER", True, True)])})) == []
        with engine.connect() as conn:
            trans = conn.begin()
            conn.exec_driver_sql('DROP TABLE "KEEP"')
            trans.rollback()
        assert list(reflect_schema(engine, j.SQLITE).tables) == ["KEEP"]
    finally:
        engine.dispose()


CONNECTIONS = {
    "postgresql": ({"db_type": j.POSTGRESQL, "database": "jam", "user": "jam",
                    "host": "db.example", "port": "5432", "encoding": "UTF8"},
                   "postgresql+psycopg2", "postgresql+psycopg2://jam:***@db.example:5432/jam"),
    "mysql": ({"db_type": j.MYSQL, "database": "jam", "user": "jam", "host": "db.example",
               "port": "3306", "encoding": "utf8mb4"},
              "mysql+mysqldb", "mysql+mysqldb://jam:***@db.example:3306/jam?charset=utf8mb4"),
    "mssql": ({"db_type": j.MSSQL, "database": "jam", "user": "sa", "server": "sql.example",
               "port": "1433", "encoding": "UTF-8"},
              "mssql+pymssql", "mssql+pymssql://sa:***@sql.example:1433/jam?charset=UTF-8"),
    "oracle": ({"db_type": j.ORACLE, "database": "db.example:1521/ORCLPDB1", "user": "scott"},
               "oracle+oracledb", "oracle+oracledb://scott:***@"),
    "firebird": ({"db_type": j.FIREBIRD, "database": "/var/lib/firebird/jam.fdb",
                  "user": "SYSDBA", "host": "fb.example", "port": "3050", "encoding": "UTF8"},
                 "firebird+fdb",
                 "firebird+fdb://SYSDBA:***@fb.example:3050//var/lib/firebird/jam.fdb"
                 "?charset=UTF8"),
}


@pytest.mark.parametrize("kind", sorted(CONNECTIONS))
def test_urls_hide_the_password(kind):
    connection, driver, shown = CONNECTIONS[kind]
    url, connect_args = dbconnect.connection_url(dict(connection, password=SECRET), driver)
    assert repr(url) == shown and str(url) == shown
    assert url.password == SECRET  # given to the driver as is, not URL-formatted
    if kind == "oracle":  # the DSN goes to the driver as Jam.py passes it
        assert connect_args == {"dsn": "db.example:1521/ORCLPDB1"}
        assert dbconnect.connection_url(connection, "oracle+cx_oracle")[0].drivername == \
            "oracle+cx_oracle"


def test_mysql_falls_back_to_pymysql_only_without_mysqldb(monkeypatch):
    assert dbconnect.driver_for(j.MYSQL) == "mysql+mysqldb"
    monkeypatch.setattr(dbconnect, "_installed", lambda module: module == "pymysql")
    assert dbconnect.driver_for(j.MYSQL) == "mysql+pymysql"


@pytest.mark.parametrize("db_type, package", [
    (j.POSTGRESQL, "psycopg2-binary"), (j.MYSQL, "mysqlclient"), (j.MSSQL, "pymssql"),
    (j.ORACLE, "oracledb"), (j.FIREBIRD, "sqlalchemy-firebird fdb")])
def test_missing_driver_names_package_and_interpreter(monkeypatch, db_type, package):
    monkeypatch.setattr(dbconnect, "_installed", lambda module: False)
    with pytest.raises(JamDeployError) as error:
        dbconnect.create_engine({"db_type": db_type, "database": "jam", "password": SECRET})
    assert package in str(error.value) and sys.executable in str(error.value)
    assert SECRET not in str(error.value)


def test_bad_settings_are_reported():
    with pytest.raises(JamDeployError, match="port 'x5432' is not a number"):
        dbconnect.connection_url({"db_type": j.POSTGRESQL, "database": "d", "port": "x5432"})
    with pytest.raises(JamDeployError, match="not one Jam.py knows"):
        dbconnect.connection_url({"db_type": None})
    with pytest.raises(JamDeployError, match="folder exists"):
        dbconnect.check_connection({"db_type": j.SQLITE, "database": "/nonexistent/dir/x.db"})


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_wrong_password_error_never_shows_it(kind):
    """Against the real loopback server: the message says where and what to check."""
    server = services.database_server(kind)
    connection = {"db_type": j.DB_TYPES_BY_NAME[kind], "database": "postgres"
                  if kind == "postgresql" else "mysql", "user": databases.ADMIN_USER,
                  "password": SECRET, "host": databases.HOST, "port": server.port}
    engine = dbconnect.create_engine(connection)
    assert SECRET not in repr(engine) and SECRET not in str(engine.url)
    for attempt in (lambda: dbconnect.check_connection(connection),
                    engine.connect):  # any later connect of the engine too
        with pytest.raises(JamDeployError) as error:
            attempt()
        message = str(error.value)
        chained, exc = [], error.value
        while exc is not None:  # nor in the driver's error it was raised from
            chained.append(f"{exc!s} {exc!r}")
            exc = exc.__cause__ or exc.__context__
        assert not any(SECRET in text for text in chained)
        for part in (f"host {databases.HOST}", f"port {server.port}",
                     f"database {connection['database']}", f"user {databases.ADMIN_USER}",
                     "password"):
            assert part in message
    engine.dispose()
