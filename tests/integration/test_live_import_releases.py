"""A live import while a real Jam.py process serves logged-in /api requests continuously.

Jam.py 7.0.120 must never answer HTTP 5xx - before, during or after an import that adds a
field and an item, or one that removes them - and serves the new field without a
restart (its processes break for good on the maintenance flag, jam.protocol). Jam.py
5.4.136 keeps its protocol: status 7 during the window, served after it.

The apps are the release's sdist demo (items, lookups, privileges) imported into
PostgreSQL, MariaDB or its own SQLite database, and a variant of it with one more field on
customers and one more item (rows added to a copy of the demo's admin.sqlite as the Builder
adds them: a field row, an item row with its common fields).
"""
import collections
import shutil
import sqlite3
import time
import urllib.error
from contextlib import closing

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import journal, protocol
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUTS, LAYOUT_70)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.recovery import recover
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh.run import (
    RefreshOptions, run_refresh)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)

from tests.harness import jamenv, projects, services
from tests.harness.jamenv import REPO
from tests.harness import demo_variants as variants
from tests.harness.admin_dump import dump_admin
from tests.harness.ansible_run import run_module
from tests.harness.api_loop import ApiLoop, logged_in
from tests.harness.kill_import import kill_at
from tests.harness.server import RESPONSE, JamServer

J54, J55, J70 = jamenv.ALL
NEW_FIELD, NEW_ITEM = variants.NEW_FIELD, variants.NEW_ITEM


@pytest.fixture
def demo_zips(tmp_path):
    """The release's (demo zip, zip with the field and the item added)."""
    return lambda jam: variants.demo_zips(tmp_path / f"zips-{jam.version}", jam)


def import_while_serving(server, project, zip_path, jam):
    """The import run while ApiLoop works; returns (its result, the loop, seconds)."""
    loop = ApiLoop(server.url, form_login=jam.major >= 7)
    loop.start()
    time.sleep(2)
    loop.during()
    started = time.monotonic()
    result = variants.live_import(project, zip_path, jam)
    seconds = time.monotonic() - started
    loop.after(3)
    print(f"{jam}: import {seconds:.1f} s, requests {loop.figures()}")
    return result, loop, seconds


@pytest.fixture(params=["postgresql", "mysql", "sqlite"])
def database(request):
    """A PostgreSQL or MariaDB database for a new project (MariaDB commits each DDL
    statement by itself), or None: the demo's own SQLite database (its rows included;
    SQLite drops a column by rebuilding the table)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue({"postgresql": "pg_database",
                                    "mysql": "mysql_database"}[request.param])


def test_jam_70_serves_through_imports_that_add_and_remove(demo_zips, database, tmp_path):
    jam = J70
    base, more = demo_zips(jam)
    if database is None:
        project = projects.copy_demo(tmp_path / "target", jam)
        run_module("jampy.deploy.jam_params", {"project_path": str(project), "safe_mode": True},
                   python=jam.python())
    else:
        project = variants.serving_project(tmp_path / "target", jam, database, base)
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
        added_id = client.insert("customers", {"firstname": "Ann", "lastname": "Gold",
                                               NEW_FIELD: "gold"})
        assert [r[NEW_FIELD] for r in logged_in(server.url, True).open(
            "customers", where={"id": added_id}, fields=["id", NEW_FIELD])] == ["gold"]
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
def test_jam_5_answers_maintenance_during_the_window_and_serves_after(
        jam, demo_zips, pg_database, tmp_path):
    base, more = demo_zips(jam)
    project = variants.serving_project(tmp_path / "target", jam, pg_database, base)
    with JamServer(project, jam=jam) as server:
        added, loop, seconds = import_while_serving(server, project, more, jam)
        figures = f"import {seconds:.1f} s; requests {loop.figures()}"
        assert added["changed"] and added["maintenance"] == "flag", added
        assert loop.outcomes("during").get("status 7"), figures
        assert not loop.failures(allowed=("served", "status 7")), figures
        assert loop.outcomes("after") == {"served": loop.outcomes("after")["served"]}, figures
        client = logged_in(server.url, jam.major >= 7)
        assert NEW_FIELD in client.item("customers").field_names, figures


# The field changes the 7.0 Builder makes to an existing field (its type is read-only
# there; a text field's size can grow): the SYS_FIELDS columns each sets.
FIELD_CHANGES = {
    "rename": {"F_FIELD_NAME": "fax_number", "F_DB_FIELD_NAME": "FAX_NUMBER"},
    "resize": {"F_SIZE": 60},
}


@pytest.mark.parametrize("change", sorted(FIELD_CHANGES))
def test_jam_70_serves_through_an_import_that_renames_or_resizes_a_field(
        change, demo_zips, pg_database, tmp_path):
    """The column is renamed (or widened) in the database transaction that precedes the
    version bump: a request the old metadata serves in between would name a column that
    is gone. Measured: none gets an error (docs/reliability.md)."""
    jam = J70
    base, unused = demo_zips(jam)
    changed = projects.copy_demo(tmp_path / "changed", jam)
    variants.change_field(changed, "customers", "fax", **FIELD_CHANGES[change])
    zip_path = variants.export(changed, tmp_path / "changed.zip", jam)
    project = variants.serving_project(tmp_path / "target", jam, pg_database, base)
    with JamServer(project, jam=jam) as server:
        result, loop, seconds = import_while_serving(server, project, zip_path, jam)
        figures = f"import {seconds:.1f} s; requests {loop.figures()}"
        print(f"{change}: {figures}")
        assert result["changed"] and result["maintenance"] == "live", result
        assert not result["restart_needed"] and not result["deferred"], result
        assert not loop.failures(), f"HTTP 5xx or failed requests: {figures}"
        client = logged_in(server.url, True)
        field = client.item("customers").field(
            FIELD_CHANGES[change].get("F_FIELD_NAME", "fax"))
        assert field.size == FIELD_CHANGES[change].get("F_SIZE", 24), field
        added = client.insert("customers", {"firstname": "Ann", "lastname": "Fax",
                                            field.name: "+33 1 23"})
        assert [r[field.name] for r in client.open("customers", where={"id": added})] == \
            ["+33 1 23"]


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
    project = variants.serving_project(tmp_path / "target", jam, pg_database, base)
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


# Where an import on 7.x can be cut short: before any change (rolled back), after the bump
# and before or in the deferred drops (rolled forward, drops included).
POINTS_70 = ["import window open", "new metadata in force",
             "dropping what only the old metadata used"]


def admin_and_schema(project):
    """(metadata rows, live schema): never a mix of the old and the new import."""
    proj = Project(project)
    engine = create_engine(proj.connection())
    try:
        with engine.connect() as conn:
            schema = reflect_schema(conn, proj.connection()["db_type"])
    finally:
        engine.dispose()
    return dump_admin(project, LAYOUTS[LAYOUT_70].metadata_tables, protocol_state=False,
                      ignore=["SYS_PARAMS.F_BUILD_VERSION", "SYS_PARAMS.F_MODIFICATION"]), schema


@pytest.mark.parametrize("point", POINTS_70)
def test_jam_70_import_killed_at_each_point_recovers_old_or_new(point, demo_zips, tmp_path):
    """The import that removes the field and the item, killed (kill -9) at ``point``: the
    next run's recovery leaves the old state or the new one (deferred drops done), without
    the maintenance flag ever set."""
    jam = J70
    base, more = demo_zips(jam)
    server = services.database_server("postgresql")
    databases = [server.create(), server.create()]
    try:
        victim, reference = (variants.serving_project(tmp_path / name, jam, db, base)
                             for name, db in zip(("victim", "reference"), databases))
        for project in (victim, reference):
            run_import(project, more, ImportOptions(allow_data_loss=True))
        before = admin_and_schema(victim)
        run_import(reference, base, ImportOptions(allow_data_loss=True))
        after = admin_and_schema(reference)
        assert kill_at(victim, base, point, options={"allow_data_loss": True})[-1] == "PAUSED"
        assert Project(victim).parameters()["maintenance"] is False
        recovered = recover(Project(victim), create_engine)
        now = admin_and_schema(victim)
        new = now[0] == after[0] and not compare_schemas(now[1], after[1])
        old = now[0] == before[0] and not compare_schemas(now[1], before[1])
        assert new or old, f"a mix of old and new after {recovered}"
        assert new == (point != "import window open"), recovered
        assert journal.read(victim) is None and not (victim / "_admin.sqlite").exists()
        assert Project(victim).parameters()["maintenance"] is False
    finally:
        for db in databases:
            server.drop(db)


def test_jam_70_serves_through_a_data_refresh(demo_zips, pg_database, tmp_path):
    """jam_data's copy into a serving 7.0.120 project (the demo's rows from its SQLite
    database): no maintenance flag, no HTTP 5xx, the rows served afterwards."""
    jam = J70
    base, unused = demo_zips(jam)
    project = variants.serving_project(tmp_path / "target", jam, pg_database, base)
    source = projects.copy_demo(tmp_path / "source", jam)
    with JamServer(project, jam=jam) as server:
        loop = ApiLoop(server.url, form_login=True)
        loop.start()
        time.sleep(2)
        loop.during()
        result = run_refresh(project, source, RefreshOptions(import_metadata=False))
        loop.after(3)
        figures = f"requests {loop.figures()}"
        print(f"{jam}: data refresh, {figures}")
        assert result.changed and result.verification["ok"], result.verification
        assert not loop.failures(), f"HTTP 5xx or failed requests: {figures}"
        assert Project(project).parameters()["maintenance"] is False
        assert logged_in(server.url, True).open("customers", limit=3), figures


def test_jam_70_a_stuck_maintenance_flag_needs_a_restart_and_jam_params_says_so(tmp_path):
    """What the live window avoids, measured: a 7.0.120 process that read the flag answers
    HTTP 500 to everything, still after the flag is cleared, until it restarts."""
    jam = J70
    demo = projects.copy_demo(tmp_path / "demo", jam)
    with JamServer(demo, jam=jam) as server:
        client = server.client()
        assert client.status("load") == RESPONSE
        protocol.maintenance_on(demo, demo / "admin.sqlite")
        seen = []
        for unused in range(3):
            try:
                seen.append(client.status("load"))
            except urllib.error.HTTPError as exc:
                seen.append(exc.code)
        assert seen[1:] == [500, 500], seen
        cleared = run_module("jampy.deploy.jam_params", {
            "project_path": str(demo), "reset_maintenance": True}, python=jam.python(),
            expected_warnings=[r"restart the application"])
        assert cleared["changed"] and "HTTP 500 until they restart" in cleared["_output"]
        with pytest.raises(urllib.error.HTTPError, match="500"):
            client.status("load")
        server.stop()
        server.start()
        assert server.client().status("load") == RESPONSE


def test_jam_70_own_import_from_migration_folder_and_the_other_processes(
        demo_zips, pg_database, tmp_path):
    """The ``migration_folder`` delivery on 7.x, as the migrate role does it: the zip in
    ``migration/``, a restart (process ``a``), whose start runs Jam.py 7.0.120's own
    import - which sets the maintenance flag - while process ``b`` serves a client; then
    ``b`` restarts too (mod_wsgi restarts every daemon process once wsgi.py is touched)."""
    jam = J70
    base, more = demo_zips(jam)
    project = variants.serving_project(tmp_path / "target", jam, pg_database, base)
    with JamServer(project, jam=jam) as a, JamServer(project, jam=jam) as b:
        loop = ApiLoop(b.url, form_login=True)
        loop.start()
        time.sleep(2)
        loop.during()
        (project / "migration").mkdir(exist_ok=True)
        shutil.copy(more, project / "migration" / more.name)
        a.stop()
        a.start()  # Jam.py imports the zip while it starts
        imported = not (project / "migration" / more.name).exists()
        time.sleep(3)
        loop.phase = "after"  # a has imported, b has not restarted
        time.sleep(3)
        loop.stop()
        figures = f"requests on b {loop.figures()}"
        print(f"migration folder: {figures}")
        assert imported, a.log()[-3000:]
        assert NEW_FIELD in logged_in(a.url, True).item("customers").field_names
        assert loop.outcomes("before") == {"served": loop.outcomes("before")["served"]}, figures
        assert loop.outcomes("after") == {"http 500": loop.outcomes("after")["http 500"]}, \
            figures
        b.stop()
        b.start()
        assert NEW_FIELD in logged_in(b.url, True).item("customers").field_names


def test_jam_70_concurrent_clients_through_the_project_wsgi_py(
        demo_zips, pg_database, tmp_path):
    """Six clients without pause while imports add and remove a field and an item, served
    through the role's wsgi.py: its reload gate lets each reload run alone. Without it,
    4 of 6 such imports had failed requests (an empty task tree...: docs/reliability.md)."""
    jam = J70
    base, more = demo_zips(jam)
    project = variants.serving_project(tmp_path / "target", jam, pg_database, base)
    projects.role_wsgi(project)
    with JamServer(project, jam=jam, own_wsgi=True,
                   python_path=[REPO / "roles/project/files"]) as server:
        for zip_path in (more, base, more, base):
            loops = [ApiLoop(server.url, form_login=True, pause=0) for unused in range(6)]
            for loop in loops:
                loop.start()
            time.sleep(2)
            for loop in loops:
                loop.during()
            result = variants.live_import(project, zip_path, jam)
            for loop in loops:
                loop.phase = "after"
            time.sleep(2)
            for loop in loops:
                loop.stop()
            figures = dict(sum((collections.Counter(
                {f"{phase} {outcome}": n for (phase, outcome), n in loop.counts.items()})
                for loop in loops), collections.Counter()))
            print(f"6 clients: {figures}")
            assert result["changed"] and not any(loop.failures() for loop in loops), figures
            assert all(loop.outcomes("during").get("served") for loop in loops), figures
        assert "Traceback" not in server.log().split("serving")[-1], server.log()[-3000:]
