"""jam_project: the Builder's new-project dialogs headless, compared with Jam.py's own."""
import hashlib
import shutil
import sqlite3
from contextlib import closing

import pytest

from tests.harness import apps, databases, jamenv, projects, services
from tests.harness.ansible_run import run_module as run_any_module
from tests.harness.server import RESPONSE, JamServer


def run_module(*args, jam=jamenv.REFERENCE, **kwargs):
    """On the target the modules run in the project's venv, next to Jam.py."""
    return run_any_module(*args, python=jam.python(), **kwargs)


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def completion_state(project):
    """What the new-project dialogs store (not what a Jam.py start adds)."""
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        tasks = con.execute("SELECT * FROM SYS_TASKS").fetchall()
        items = con.execute("SELECT ID, F_NAME, F_ITEM_NAME FROM SYS_ITEMS ORDER BY ID").fetchall()
        fields = con.execute("SELECT ID, F_DB_FIELD_NAME FROM SYS_FIELDS ORDER BY ID").fetchall()
        language = con.execute("SELECT F_LANGUAGE FROM SYS_PARAMS").fetchall()
    return tasks, items, fields, language, (project / "index.html").read_text()


def module_args(project, db):
    names = {1: "sqlite", 3: "postgresql", 4: "mysql"}
    args = {"project_path": str(project), "name": "Shop", "item_name": "shop",
            "db_type": names[db.db_type], "database": db.database}
    for key in ("user", "password", "host", "port", "encoding"):
        if getattr(db, key):
            args[key] = getattr(db, key)
    return args


@pytest.fixture
def database(request, tmp_path):
    kind = request.param
    if kind == "sqlite":
        yield databases.ProjectDatabase(databases.SQLITE, "shop.sqlite")
        return
    server = services.database_server(kind)
    db = server.create()
    yield db
    server.drop(db)


@pytest.mark.parametrize("jam", [jamenv.REFERENCE, jamenv.JamEnv("7.0.120")], ids=str)
@pytest.mark.parametrize("database", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_like_the_builder_then_jam_serves_it(database, jam, tmp_path):
    """7.0 on MySQL: the dialog makes one choose a Python library (MySQLdb is the first),
    without which Jam.py 7.0 cannot connect."""
    theirs = projects.create_project(tmp_path / "theirs", jam)
    ours = tmp_path / "ours"
    shutil.copytree(theirs, ours)  # the same secret key and template
    apps.build(theirs, [apps.complete(database, name="Shop", item_name="shop")], jam=jam)
    args = module_args(ours, database)

    before = sha(ours / "admin.sqlite"), sha(ours / "index.html")
    checked = run_module("jampy.deploy.jam_project", args, check_mode=True, diff=True, jam=jam)
    assert checked["changed"] and not (ours / "shop.sqlite").exists()
    assert (sha(ours / "admin.sqlite"), sha(ours / "index.html")) == before
    assert "password" not in checked["diff"]["after"].replace("password_set", "")
    done = run_module("jampy.deploy.jam_project", args, diff=True, verbosity=4, jam=jam)
    assert done["rc"] == 0
    if database.password:
        assert database.password not in done["_output"]
    assert completion_state(ours) == completion_state(theirs)
    assert not run_module("jampy.deploy.jam_project", args, jam=jam)["changed"]

    with JamServer(ours, jam=jam) as server:
        assert server.client().status("load") == RESPONSE


def test_refuses_to_change_the_database_type_of_a_project_with_tables(tmp_path):
    project = projects.create_project(tmp_path / "p")
    apps.build(project, [apps.complete(apps.sqlite_database()),
                         apps.add_item("catalogs", "things", fields=[apps.field("x")])])
    before = sha(project / "admin.sqlite")
    args = {"project_path": str(project), "name": "Shop", "item_name": "shop",
            "db_type": "postgresql", "database": "elsewhere", "check_connection": False}
    refused = run_module("jampy.deploy.jam_project", args, expect_failure=True)
    assert "already has tables" in refused["msg"] and "force_db_type" in refused["msg"]
    assert sha(project / "admin.sqlite") == before


def test_unreachable_database_is_named_without_the_password(tmp_path):
    project = projects.create_project(tmp_path / "p")
    before = sha(project / "admin.sqlite")
    args = {"project_path": str(project), "name": "Shop", "item_name": "shop",
            "db_type": "postgresql", "database": "shopdb", "user": "shopuser",
            "password": "Very-Secret-42", "host": "127.0.0.1", "port": "1"}
    failed = run_module("jampy.deploy.jam_project", args, expect_failure=True)
    for part in ("127.0.0.1", "shopdb", "shopuser", "1"):
        assert part in failed["msg"]
    assert "Very-Secret-42" not in failed["_output"]
    assert sha(project / "admin.sqlite") == before
    verbose = run_module("jampy.deploy.jam_project", args, verbosity=4)
    assert verbose["rc"] != 0 and "Very-Secret-42" not in verbose["_output"]


def test_bad_input(tmp_path):
    project = projects.create_project(tmp_path / "p")
    before = sha(project / "admin.sqlite")
    base = {"project_path": str(project), "name": "Shop", "item_name": "shop",
            "db_type": "sqlite", "database": "x.sqlite"}
    for change, message in (({"item_name": "Not Valid"}, "lower-case Python identifier"),
                            ({"db_type": "access"}, "value of db_type must be one of"),
                            ({"dsn": "x"}, "Jam.py 7.0 projects only")):
        result = run_module("jampy.deploy.jam_project", {**base, **change}, expect_failure=True)
        assert message in result["msg"]
    assert sha(project / "admin.sqlite") == before


@pytest.mark.parametrize("db_type, extra, expected", [
    ("mssql", {"server": "SQLEXPRESS", "port": "1433"},
     {"F_DB_TYPE": 6, "F_SERVER": "SQLEXPRESS", "F_PORT": "1433"}),
    ("oracle", {"port": "1521"}, {"F_DB_TYPE": 5, "F_PORT": "1521"}),
    ("firebird", {"encoding": "UTF8"}, {"F_DB_TYPE": 2, "F_ENCODING": "UTF8"}),
])
def test_databases_not_testable_here_are_written_as_the_builder_would(
        db_type, extra, expected, tmp_path):
    project = projects.create_project(tmp_path / "p")
    args = {"project_path": str(project), "name": "Shop", "item_name": "shop",
            "db_type": db_type, "database": "SHOPDB", "user": "shop", "password": "pw",
            "host": "db.example.org", "check_connection": False, **extra}
    assert run_module("jampy.deploy.jam_project", args)["changed"]
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        cur = con.execute("SELECT * FROM SYS_TASKS")
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
        names = [r[0] for r in con.execute("SELECT F_DB_FIELD_NAME FROM SYS_FIELDS")]
    assert {k: row[k] for k in expected} == expected
    assert (row["F_ALIAS"], row["F_LOGIN"], row["F_HOST"]) == ("SHOPDB", "shop", "db.example.org")
    assert names and all(n == n.upper() for n in names)  # upper-case identifiers there
    assert not run_module("jampy.deploy.jam_project", args)["changed"]


GERMAN = 7  # its "ok" is empty in langs.sqlite of 5.4.136 and 7.0.120: the Builder says "OK"
LABELS = "<p>__$_ok_$__ __$_cancel_$__ __$_log_out_$__</p>\n"


@pytest.mark.parametrize("jam", [jamenv.JamEnv("5.4.136"), jamenv.JamEnv("7.0.120")], ids=str)
def test_the_language_like_the_builder_english_where_a_text_is_empty(jam, tmp_path):
    theirs = projects.create_project(tmp_path / "theirs", jam)
    page = theirs / ("templates.html" if jam.major >= 7 else "index.html")
    # 7.0's template page has no labels of its own: a page of the user's has them.
    page.write_text(page.read_text() + LABELS)
    ours = tmp_path / "ours"
    shutil.copytree(theirs, ours)
    jam.run_jamside("set_language.py", theirs, GERMAN)
    run_any_module("jampy.deploy.jam_project", {
        "project_path": str(ours), "name": "Shop", "item_name": "shop", "language": GERMAN,
        "db_type": "sqlite", "database": "shop.sqlite"}, python=jam.python())

    translated = page.read_text()
    assert "<p>OK Abbruch Abmelden</p>" in translated and "__$_" not in translated
    assert (ours / page.name).read_text() == translated
    with closing(sqlite3.connect(theirs / "admin.sqlite")) as a, \
            closing(sqlite3.connect(ours / "admin.sqlite")) as b:
        query = "SELECT ID, F_NAME FROM SYS_ITEMS WHERE TYPE_ID <> 5 ORDER BY ID"
        assert b.execute(query).fetchall() == a.execute(query).fetchall()
        assert b.execute("SELECT F_LANGUAGE FROM SYS_PARAMS").fetchall() == [(GERMAN,)]


def test_names_belong_to_the_metadata_once_the_project_is_completed(tmp_path):
    """An import brings the development project's name; completing the project again must
    not take it back (each run would undo the import and the import the run)."""
    project = projects.create_project(tmp_path / "p")
    args = {"project_path": str(project), "name": "Shop", "item_name": "shop",
            "db_type": "sqlite", "database": "shop.sqlite"}
    assert run_module("jampy.deploy.jam_project", args)["changed"]
    imported = {**args, "name": "Shop of development"}
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        con.execute("UPDATE SYS_ITEMS SET F_NAME = ? WHERE TYPE_ID = 5", (imported["name"],))
        con.commit()
    before = sha(project / "admin.sqlite")
    assert not run_module("jampy.deploy.jam_project", args)["changed"]
    assert sha(project / "admin.sqlite") == before
    forced = run_module("jampy.deploy.jam_project", {**args, "update_names": "always"})
    assert forced["changed"]
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        assert con.execute("SELECT F_NAME FROM SYS_ITEMS WHERE TYPE_ID = 5").fetchall() == [("Shop",)]
