"""A live import while a real Jam.py process serves logged-in /api requests continuously.

Jam.py 7.0.120 must never answer HTTP 5xx - before, during or after an import that adds a
field and an item, or one that removes them - and serves the new field without a
restart (its processes break for good on the maintenance flag, jam.protocol). Jam.py
5.4.136 keeps its protocol: status 7 during the window, served after it.

The apps are the release's sdist demo (items, lookups, privileges) imported into
PostgreSQL, and a variant of it with one more field on customers and one more item (rows
added to a copy of the demo's admin.sqlite as the Builder adds them: a field row, an item
row with its common fields).
"""
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

from tests.harness import jamenv, projects
from tests.harness.ansible_run import run_module
from tests.harness.api_loop import ApiLoop, logged_in
from tests.harness.server import JamServer

J54, J55, J70 = jamenv.ALL
NEW_FIELD, NEW_ITEM = "loyalty", "regions"


def _copy_rows(con, table, where, changes):
    """Copy the rows of ``table`` matching ``where`` with ``changes`` ({column: value or
    function of the row}); returns the new rows' ids."""
    cur = con.execute(f"SELECT * FROM {table} WHERE {where}")
    columns = [d[0] for d in cur.description]
    ids = []
    for row in cur.fetchall():
        values = dict(zip(columns, row))
        for column, change in changes.items():
            if column in values:  # F_RECORD_VERSION is 7.0's
                values[column] = change(values) if callable(change) else change
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                    f"({', '.join('?' * len(columns))})", [values[c] for c in columns])
        ids.append(values["ID"])
    return ids


def add_field_and_item(project):
    """customers.loyalty (a text field like fax) and the item regions (like genres: its
    common fields and name, the same privileges)."""
    with closing(sqlite3.connect(project / "admin.sqlite")) as con, con:
        next_field = con.execute("SELECT MAX(ID) FROM SYS_FIELDS").fetchone()[0] + 1
        customers, genres = (con.execute(
            "SELECT ID FROM SYS_ITEMS WHERE F_ITEM_NAME = ? AND DELETED = 0 AND TYPE_ID = 10",
            (name,)).fetchone()[0] for name in ("customers", "genres"))
        _copy_rows(con, "SYS_FIELDS", f"OWNER_REC_ID = {customers} AND F_FIELD_NAME = 'fax'",
                   {"ID": next_field, "F_FIELD_NAME": NEW_FIELD, "F_DB_FIELD_NAME": "LOYALTY",
                    "F_NAME": "Loyalty"})
        item = con.execute("SELECT MAX(ID) FROM SYS_ITEMS").fetchone()[0] + 1
        field_ids = {}

        def new_field_id(row):
            field_ids[row["ID"]] = next_field + 1 + len(field_ids)
            return field_ids[row["ID"]]
        _copy_rows(con, "SYS_FIELDS", f"OWNER_REC_ID = {genres} AND DELETED = 0",
                   {"ID": new_field_id, "OWNER_REC_ID": item})
        _copy_rows(con, "SYS_ITEMS", f"ID = {genres}", {
            "ID": item, "F_ITEM_NAME": NEW_ITEM, "F_NAME": "Regions",
            "F_TABLE_NAME": "DEMO_REGIONS",
            **{c: (lambda row, c=c: field_ids.get(row[c], row[c]))
               for c in ("F_PRIMARY_KEY", "F_DELETED_FLAG", "F_RECORD_VERSION")}})
        next_privilege = con.execute("SELECT MAX(ID) FROM SYS_PRIVILEGES").fetchone()[0] + 1
        _copy_rows(con, "SYS_PRIVILEGES", f"ITEM_ID = {genres} AND DELETED = 0",
                   {"ID": lambda row: next_privilege + row["OWNER_REC_ID"], "ITEM_ID": item})


def insert_customer(project, loyalty):
    engine = create_engine(Project(project).connection())
    try:
        with engine.begin() as conn:
            conn.execute(text('INSERT INTO demo_customers (firstname, loyalty, deleted) '
                              "VALUES ('Ann', :loyalty, 0)"), {"loyalty": loyalty})
    finally:
        engine.dispose()


def export(project, dest, jam):
    return Path(run_module("jampy.deploy.jam_export", {
        "project_path": str(project), "dest": str(dest)}, python=jam.python())["dest"])


def live_import(project, zip_path, jam):
    return run_module("jampy.deploy.jam_import", {
        "project_path": str(project), "src": str(zip_path), "import_delay": 2,
        "allow_data_loss": True}, python=jam.python())


@pytest.fixture
def demo_zips(tmp_path):
    """{release: (the demo's zip, the zip with the field and the item added)}."""
    def make(jam):
        folder = tmp_path / f"zips-{jam.version}"
        base = projects.copy_demo(folder / "base", jam)
        more = projects.copy_demo(folder / "more", jam)
        add_field_and_item(more)
        return (export(base, folder / "base.zip", jam), export(more, folder / "more.zip", jam))
    return make


def serving_project(folder, jam, db, zip_path):
    """A new project of the release on ``db`` with the demo imported, in safe mode."""
    project = projects.create_project(folder, jam)
    run_module("jampy.deploy.jam_project", {
        "project_path": str(project), "name": "Demo", "item_name": "demo",
        "db_type": "postgresql", "database": db.database, "user": db.user,
        "password": db.password, "host": db.host, "port": str(db.port)}, python=jam.python())
    assert live_import(project, zip_path, jam)["changed"]
    run_module("jampy.deploy.jam_params", {"project_path": str(project), "safe_mode": True},
               python=jam.python())
    return project


def import_while_serving(server, project, zip_path, jam):
    """The import run while ApiLoop works; returns (its result, the loop, seconds)."""
    loop = ApiLoop(server.url, form_login=jam.major >= 7)
    loop.start()
    time.sleep(2)
    loop.during()
    started = time.monotonic()
    result = live_import(project, zip_path, jam)
    seconds = time.monotonic() - started
    loop.after(3)
    print(f"{jam}: import {seconds:.1f} s, requests {loop.figures()}")
    return result, loop, seconds


def test_jam_70_serves_through_imports_that_add_and_remove(demo_zips, pg_database,
                                                          tmp_path):
    jam = J70
    base, more = demo_zips(jam)
    project = serving_project(tmp_path / "target", jam, pg_database, base)
    with JamServer(project, jam=jam) as server:
        added, loop, seconds = import_while_serving(server, project, more, jam)
        figures = f"import {seconds:.1f} s; requests {loop.figures()}"
        assert added["changed"] and added["maintenance"] == "live", added
        assert loop.outcomes("before").get("served") and loop.outcomes("after").get("served"), \
            figures
        assert not loop.failures(), f"HTTP 5xx or failed requests: {figures}"
        # The new field is served without a restart; the new item's privileges only by
        # restarted processes (Jam.py caches them), which the result asks for.
        client = logged_in(server.url, jam.major >= 7)
        assert NEW_FIELD in client.item("customers").field_names, figures
        insert_customer(project, "gold")  # harness apply speaks 5.x; the read is 7.0's
        assert [r[NEW_FIELD] for r in client.open("customers", fields=["id", NEW_FIELD])] == \
            ["gold"]
        assert added["restart_needed"] and "privileges" in added["restart_reasons"][0], added
        server.stop()
        server.start()
        assert logged_in(server.url, jam.major >= 7).open(NEW_ITEM) == []

        removed, loop, seconds = import_while_serving(server, project, base, jam)
        figures = f"import {seconds:.1f} s; requests {loop.figures()}"
        assert removed["changed"] and removed["deferred"], removed
        assert not loop.failures(), f"HTTP 5xx or failed requests: {figures}"
        client = logged_in(server.url, jam.major >= 7)
        assert NEW_FIELD not in client.item("customers").field_names, figures
        assert "privileges" in removed["restart_reasons"][0], removed  # regions' rows
        assert "Traceback" not in server.log().split("serving")[-1], server.log()[-3000:]


@pytest.mark.parametrize("jam", [J54, J55], ids=str)
def test_jam_5_answers_maintenance_during_the_window_and_serves_after(jam, demo_zips,
                                                                     pg_database, tmp_path):
    base, more = demo_zips(jam)
    project = serving_project(tmp_path / "target", jam, pg_database, base)
    with JamServer(project, jam=jam) as server:
        added, loop, seconds = import_while_serving(server, project, more, jam)
        figures = f"import {seconds:.1f} s; requests {loop.figures()}"
        assert added["changed"] and added["maintenance"] == "flag", added
        assert loop.outcomes("during").get("status 7"), figures
        assert not loop.failures(allowed=("served", "status 7")), figures
        assert loop.outcomes("after") == {"served": loop.outcomes("after")["served"]}, figures
        client = logged_in(server.url, jam.major >= 7)
        assert NEW_FIELD in client.item("customers").field_names, figures


def counters(project):
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        return con.execute("SELECT F_BUILD_VERSION, F_PARAMS_VERSION, F_MODIFICATION "
                           "FROM SYS_PARAMS").fetchone()


def test_jam_70_a_process_started_before_the_import_cannot_hide_the_next_one(
        demo_zips, pg_database, tmp_path):
    """Two processes: ``warm`` serves all along, ``cold`` starts before the first import and
    gets its first request only after it - its first task load writes back the counters it
    read at its start (Jam.py's ``App.create_task``). The second import must still make
    ``warm`` reload (its counters go past the marker's, not only past the database's)."""
    jam = J70
    base, more = demo_zips(jam)
    project = serving_project(tmp_path / "target", jam, pg_database, base)
    with JamServer(project, jam=jam) as warm, JamServer(project, jam=jam) as cold:
        added, loop, seconds = import_while_serving(warm, project, more, jam)
        assert not loop.failures(), loop.figures()
        written = counters(project)
        assert logged_in(cold.url, True).item("customers").field(NEW_FIELD)
        reverted = counters(project)
        assert reverted < written, (written, reverted)  # what Jam.py does, measured
        removed, loop, seconds = import_while_serving(warm, project, base, jam)
        figures = f"counters {written} -> {reverted} -> {counters(project)}; {loop.figures()}"
        assert removed["changed"] and not loop.failures(), figures
        for server in (warm, cold):
            assert NEW_FIELD not in logged_in(server.url, True).item("customers").field_names, \
                figures
