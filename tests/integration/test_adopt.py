"""Adopting a project deployed the Jam.py way, for every supported release on SQLite,
PostgreSQL and MariaDB: the sdist demo exported by the release's own Export and imported by
its own import into a fresh project, then imported by jam_import with default settings.

What Jam.py's import leaves (its known omissions, ``migrate.omissions``) is measured here:
no foreign keys on SQLite, a column for each calculated field with 7.0; nothing else.
"""
import json
import shutil
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import (
    check_connection, create_engine)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.registry import dialect_for
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import omissions
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    differences)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
    schema_from_metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)
from tests.harness import jamenv, projects, services
from tests.harness.ansible_run import run_module
from tests.harness.server import RESPONSE, JamServer

RELEASES = pytest.mark.parametrize("jam", jamenv.ALL, ids=str)
KINDS = pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
# The demo's foreign key (DEMO_INVOICES.CUSTOMER); 7.0.120's demo has it marked deleted.
DEMO_FK_INDEX = 11


def jams_export(project, jam):
    return Path(json.loads(jam.run_jamside("jam_export.py", project).stdout)["zip"])


def development(folder, jam):
    """(the release's demo with its foreign key, Jam.py's Export of it)."""
    dev = projects.copy_demo(folder, jam)
    with closing(sqlite3.connect(dev / "admin.sqlite")) as con:
        con.execute("UPDATE SYS_INDICES SET DELETED = 0 WHERE ID = ?", (DEMO_FK_INDEX,))
        con.commit()
    return dev, jams_export(dev, jam)


def with_new_field(zip_path, dest):
    """The zip with one more field on the demo's invoices (the table of its foreign key),
    as the Builder adds one: a copy of a plain field's row with a new ID and name."""
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(dest, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "task.dat":
                task = json.loads(data)
                fields = task["sys_fields"]
                col = {name: i for i, name in enumerate(fields["fields"])}
                items = task["sys_items"]
                item_col = {name: i for i, name in enumerate(items["fields"])}
                invoices = next(r[item_col["id"]] for r in items["records"]
                                if r[item_col["f_item_name"]] == "invoices")
                row = list(next(r for r in fields["records"]
                                if r[col["owner_rec_id"]] == invoices
                                and r[col["f_field_name"]] == "tax"))
                row[col["id"]] = max(r[col["id"]] for r in fields["records"]) + 1
                row[col["f_field_name"]], row[col["f_name"]] = "adopt_tax", "Adopt tax"
                row[col["f_db_field_name"]] = "ADOPT_TAX"
                fields["records"].append(row)
                data = json.dumps(task).encode()
            out.writestr(info, data)
    return dest


@pytest.fixture
def jam_project(tmp_path):
    """``make(jam, kind)``: a project made by the release's script, completed by jam_project
    for a new database of ``kind``."""
    made = []

    def make(jam, kind, name="target"):
        project = projects.create_project(tmp_path / name, jam)
        if kind == "sqlite":
            db = {"database": "target.sqlite"}
        else:
            server = services.database_server(kind)
            created = server.create()
            made.append((server, created))
            db = {k: v for k, v in created.as_connection().items() if v and k != "db_type"}
        run_module("jampy.deploy.jam_project", {
            "project_path": str(project), "name": "Demo", "item_name": "demo",
            "db_type": kind, **db}, python=jam.python())
        if jam.major >= 7 and kind == "mysql":
            # What 7.0's connection dialog sets for MySQL (admin.js: the first driver,
            # MySQLdb); without it Jam.py 7.0.120's import cannot connect.
            with closing(sqlite3.connect(project / "admin.sqlite")) as con:
                con.execute("UPDATE SYS_TASKS SET F_PYTHON_LIBRARY = 1")
                con.commit()
        return project

    yield make
    for server, db in made:
        server.drop(db)


@pytest.fixture
def deployed(tmp_path, jam_project):
    """``make(jam, kind)``: (target deployed by Jam.py's own import, Jam.py's zip, the zip
    with one more field)."""
    def make(jam, kind):
        dev, zip_path = development(tmp_path / "dev", jam)
        target = jam_project(jam, kind)
        result = projects.jam_import(target, zip_path, jam)
        assert result["success"], result
        return target, zip_path, with_new_field(zip_path, tmp_path / "v2.zip")
    return make


def live_schema(project):
    connection = Project(project).connection()
    check_connection(connection)
    engine = create_engine(connection)
    try:
        return reflect_schema(engine, connection["db_type"])
    finally:
        engine.dispose()


def recognised(project):
    """(omission kind names, drift) of the project's live database."""
    proj = Project(project)
    metadata = proj.metadata()
    found = differences(schema_from_metadata(metadata), live_schema(project))
    known, drift = omissions.recognise(
        found, omissions.Context.of(metadata, dialect_for(metadata.db_type)))
    return sorted(o.kind.name for o in known), [str(d) for d in drift]


def expected_omissions(jam, kind):
    return sorted((["SQLite foreign key"] if kind == "sqlite" else [])
                  + (["calculated field column"] if jam.major >= 7 else []))


def jam_import(project, zip_path, jam, check_mode=False, expect_failure=False, **options):
    staged = project.parent / f"staged-{zip_path.name}"
    shutil.copy(zip_path, staged)
    return run_module("jampy.deploy.jam_import", {
        "project_path": str(project), "src": str(staged), "import_delay": 0, **options},
        check_mode=check_mode, python=jam.python(), expect_failure=expect_failure)


def execute(project, statement):
    engine = create_engine(Project(project).connection())
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@RELEASES
@KINDS
def test_jams_own_import_leaves_only_its_known_omissions(jam, kind, deployed):
    target = deployed(jam, kind)[0]
    kinds, drift = recognised(target)
    assert drift == []
    assert kinds == expected_omissions(jam, kind)
    info = run_module("jampy.deploy.jam_info", {"project_path": str(target),
                                                "check_drift": True}, python=jam.python())
    assert info["drift"] == [] and len(info["omissions"]) == len(kinds)


@RELEASES
@KINDS
def test_a_project_deployed_by_jam_is_adopted_and_its_omissions_repaired(jam, kind, deployed):
    target, v1, v2 = deployed(jam, kind)
    case = str.upper if kind == "sqlite" else str.lower
    assert not jam_import(target, v1, jam)["changed"]  # the same metadata: nothing to do

    checked = jam_import(target, v2, jam, check_mode=True)
    assert checked["changed"] and checked["drift"] == []
    assert len(checked["omissions"]) == len(expected_omissions(jam, kind))
    assert ("known Jam.py omissions" in checked.get("msg", "")) == bool(checked["omissions"])
    assert all(any(line in w for w in checked["warnings"]) for line in checked["omissions"])
    invoices = case("demo_invoices")
    q = (lambda n: f"`{n}`") if kind == "mysql" else (lambda n: f'"{n}"')
    if kind == "sqlite":  # the table changes: rebuilt with its foreign key
        fk = next(o for o in checked["omissions"] if "foreign key" in o)
        assert fk.startswith(f"table {invoices}: foreign key (CUSTOMER)")
        assert fk.endswith("repaired by this import")
        assert any(s.startswith('CREATE TABLE "_jampy_new_DEMO_INVOICES"') and
                   "FOREIGN KEY" in s for s in checked["statements"])
    else:  # altered, as Jam.py's import would
        assert len(checked["statements"]) == 1
        assert checked["statements"][0].startswith(f"ALTER TABLE {q(invoices)} ADD COLUMN "
                                                   f"{q('adopt_tax')} ")

    done = jam_import(target, v2, jam)
    assert done["changed"] and done["executed"] == checked["statements"]
    kinds, drift = recognised(target)
    assert drift == []
    assert kinds == (["calculated field column"] if jam.major >= 7 else [])
    assert live_schema(target).tables[invoices].column(case("adopt_tax")) is not None
    if kind == "sqlite":
        assert [fk.columns for fk in live_schema(target).tables[invoices].foreign_keys] == [
            ("CUSTOMER",)]
    assert not jam_import(target, v2, jam)["changed"]
    # The release serves the adopted project (without accounts: the demo's safe mode off).
    run_module("jampy.deploy.jam_params", {"project_path": str(target), "safe_mode": False},
               python=jam.python())
    with JamServer(target, jam=jam) as server:
        client = server.client()
        assert client.status("load") == RESPONSE
        if jam.major < 7:  # the /api client speaks 5.x's session protocol
            client.insert("invoices", {"adopt_tax": 1.5})
            rows = client.open("invoices", fields=["id", "adopt_tax"])
            assert [r["adopt_tax"] for r in rows] == [1.5]


@RELEASES
@KINDS
def test_real_drift_is_still_refused(jam, kind, deployed):
    target, v2 = deployed(jam, kind)[::2]
    execute(target, f'ALTER TABLE {"`" if kind == "mysql" else chr(34)}'
            f'{"DEMO_INVOICES" if kind == "sqlite" else "demo_invoices"}'
            f'{"`" if kind == "mysql" else chr(34)} ADD COLUMN hand_made INTEGER')
    before = (target / "admin.sqlite").read_bytes()
    refused = jam_import(target, v2, jam, expect_failure=True)
    assert "hand_made" in refused["msg"].lower() and "nothing was changed" in refused["msg"]
    assert "foreign key" not in refused["msg"]  # the omission is not drift
    assert (target / "admin.sqlite").read_bytes() == before


def test_repair_omissions_rebuilds_at_once(deployed):
    jam = jamenv.REFERENCE
    target, v1 = deployed(jam, "sqlite")[:2]
    # A reference Jam.py never checked (it had no foreign key): kept, and reported.
    execute(target, 'INSERT INTO "DEMO_INVOICES" ("CUSTOMER", "DELETED") VALUES (999999, 0)')
    checked = jam_import(target, v1, jam, check_mode=True, repair_omissions=True)
    assert checked["changed"] and checked["omissions"][0].endswith("repaired by this import")
    assert any(w.startswith("table DEMO_INVOICES: 1 rows have a CUSTOMER that no "
                            "DEMO_CUSTOMERS row has") for w in checked["warnings"])
    assert checked["admin_changes"] == [] and any(
        "FOREIGN KEY" in s for s in checked["statements"])
    assert live_schema(target).tables["DEMO_INVOICES"].foreign_keys == []
    done = jam_import(target, v1, jam, repair_omissions=True)
    assert done["changed"] and done["executed"] == checked["statements"]
    assert recognised(target) == ([], [])
    engine = create_engine(Project(target).connection())
    try:
        with engine.connect() as conn:
            assert conn.execute(text('SELECT COUNT(*) FROM "DEMO_INVOICES" '
                                     'WHERE "CUSTOMER" = 999999')).scalar() == 1
    finally:
        engine.dispose()
    assert not jam_import(target, v1, jam, repair_omissions=True)["changed"]


def with_report_retyped(zip_path, dest, report_id=22):
    """7.0's demo with the report ``report_id`` deleted and its ID reused by a new catalog
    "notes" (a copy of genres: its item row and its own fields, with new field IDs)."""
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(dest, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "task.dat":
                task = json.loads(data)
                items, fields = task["sys_items"], task["sys_fields"]
                ic = {n: i for i, n in enumerate(items["fields"])}
                fc = {n: i for i, n in enumerate(fields["fields"])}
                genres = next(r for r in items["records"] if r[ic["f_item_name"]] == "genres")
                next_id = max(r[fc["id"]] for r in fields["records"]) + 1
                new_ids = {}
                own = [r for r in fields["records"] if r[fc["owner_rec_id"]] == genres[ic["id"]]]
                for row in own:
                    copy = list(row)
                    new_ids[row[fc["id"]]] = copy[fc["id"]] = next_id
                    copy[fc["owner_rec_id"]] = report_id
                    next_id += 1
                    fields["records"].append(copy)
                notes = list(genres)
                notes[ic["id"]], notes[ic["f_item_name"]] = report_id, "notes"
                notes[ic["f_name"]], notes[ic["f_table_name"]] = "Notes", "DEMO_NOTES"
                for key in ("f_primary_key", "f_deleted_flag", "f_master_id",
                            "f_master_rec_id", "f_record_version"):
                    notes[ic[key]] = new_ids.get(notes[ic[key]], notes[ic[key]])
                items["records"] = [r for r in items["records"] if r[ic["id"]] != report_id]
                items["records"].append(notes)
                params = task["sys_report_params"]
                owner = params["fields"].index("owner_rec_id")
                params["records"] = [r for r in params["records"] if r[owner] != report_id]
                data = json.dumps(task).encode()
            out.writestr(info, data)
    return dest


def test_70_item_id_reused_for_another_type(tmp_path, jam_project):
    """Jam.py 7.0: a report's ID reused by a new catalog is refused naming the option, and
    replaced with it; the release serves the project afterwards."""
    jam = jamenv.ALL[-1]
    v1 = development(tmp_path / "dev", jam)[1]
    v2 = with_report_retyped(v1, tmp_path / "v2.zip")
    target = jam_project(jam, "sqlite")
    assert jam_import(target, v1, jam)["changed"]
    refused = jam_import(target, v2, jam, expect_failure=True)
    assert "Items with ID 22 (customers_report, notes) have different type values" in \
        refused["msg"] and "replace_retyped_items" in refused["msg"]
    checked = jam_import(target, v2, jam, check_mode=True, replace_retyped_items=True)
    assert [s for s in checked["statements"] if s.startswith("CREATE TABLE")] == [
        next(s for s in checked["statements"] if s.startswith('CREATE TABLE "DEMO_NOTES"'))]
    done = jam_import(target, v2, jam, replace_retyped_items=True)
    assert done["executed"] == checked["statements"]
    assert "DEMO_NOTES" in live_schema(target).tables and recognised(target)[1] == []
    assert not jam_import(target, v2, jam)["changed"]
    run_module("jampy.deploy.jam_params", {"project_path": str(target), "safe_mode": False},
               python=jam.python())
    with JamServer(target, jam=jam) as server:
        assert server.client().status("load") == RESPONSE
