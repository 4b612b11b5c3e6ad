"""SYS_PARAMS against the real releases: the three parameters 7.0.120 adds (set by
jam_params, read back by 7.0.120's own Export, kept by an export and an import made
without Jam.py, refused for 5.5), and a 5.4 project whose admin.sqlite lacks the settings
columns later 5.4 releases added, exported and imported with what Jam.py 5.4.136 writes
into them when it opens the project."""
import hashlib
import json
import shutil
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from tests.harness import apps, jamenv, projects
from tests.harness.ansible_run import run_module
from tests.harness.server import JamServer

J54, J55, J70 = jamenv.ALL
LATER_SETTINGS = ("F_UPLOAD_FILE_EXT", "F_MAX_CONTENT_LENGTH", "F_FORMS_IN_TABS",
                  "F_FULL_WIDTH", "F_DELETE_REPORTS_AFTER")
NEW_70_120 = ("f_show_select_sql", "f_modern_input_btns", "f_ace_theme")


def columns(project, names):
    with closing(sqlite3.connect(Path(project) / "admin.sqlite")) as con:
        present = {r[1] for r in con.execute('PRAGMA table_info("SYS_PARAMS")')}
        row = con.execute(f"SELECT {', '.join(n for n in names if n in present) or 'NULL'} "
                          "FROM SYS_PARAMS").fetchone()
    values = dict(zip([n for n in names if n in present], row))
    return {n.lower(): values.get(n) for n in names}


def exported(zip_path, names):
    with zipfile.ZipFile(zip_path) as zf:
        entry = json.loads(zf.read("task.dat"))["sys_params"]
    record = entry["records"][0]
    return {n.lower(): record[entry["fields"].index(n.lower())] for n in names}


def our_import(project, zip_path):
    return run_import(project, zip_path, ImportOptions(import_delay=0))


def sqlite_project(folder, jam):
    project = projects.create_project(folder, jam)
    complete = apps.complete(apps.sqlite_database()) if jam.major < 7 else \
        {"op": "complete", **apps.sqlite_database().as_connection()}
    apps.build(project, [complete], jam=jam)
    return project


def test_a_54_project_lacking_later_settings_exports_and_imports_what_jam_writes(tmp_path):
    old = projects.copy_demo(tmp_path / "old", J54)
    with closing(sqlite3.connect(old / "admin.sqlite")) as con:
        present = {r[1] for r in con.execute('PRAGMA table_info("SYS_PARAMS")')}
        for column in LATER_SETTINGS:
            if column in present:
                con.execute(f"ALTER TABLE SYS_PARAMS DROP COLUMN {column}")
        con.commit()
    opened = tmp_path / "opened"
    shutil.copytree(old, opened)
    with JamServer(opened, jam=J54) as server:
        server.client().status("load")  # the first task load writes Jam.py's settings
    written = columns(opened, LATER_SETTINGS)
    assert None not in written.values(), written

    ours = export.export_project(Project(old), tmp_path / "ours.zip").dest  # no Jam.py
    assert exported(ours, LATER_SETTINGS) == written
    with_jam = run_module("jampy.deploy.jam_export", {
        "project_path": str(old), "dest": str(tmp_path / "with_jam.zip")}, python=J54.python())
    assert exported(with_jam["dest"], LATER_SETTINGS) == written

    # Imported into a fresh 5.4.136 project (its template has 24 as F_DELETE_REPORTS_AFTER
    # and no F_UPLOAD_FILE_EXT): the values the old project has once Jam.py opens it, as
    # Jam.py's own import of the same zip writes them.
    fresh, theirs = sqlite_project(tmp_path / "fresh", J54), sqlite_project(tmp_path / "t", J54)
    assert our_import(fresh, ours).changed
    assert projects.jam_import(theirs, ours, J54)["success"]
    assert columns(fresh, LATER_SETTINGS) == columns(theirs, LATER_SETTINGS) == written


def test_jam_params_sets_the_70_120_parameters_jam_reads(tmp_path):
    project = sqlite_project(tmp_path / "dev", J70)
    result = run_module("jampy.deploy.jam_params", {
        "project_path": str(project), "show_select_sql": True, "modern_input_btns": True,
        "ace_theme": "hc-black"}, python=J70.python())
    assert result["changed"] and result["parameters"]["ace_theme"] == "hc-black"
    expected = {"f_show_select_sql": 1, "f_modern_input_btns": 1, "f_ace_theme": "3"}
    with JamServer(project, jam=J70) as server:
        server.client().status("load")  # a running 7.0.120 keeps them (its settings write)
    theirs = json.loads(J70.run_jamside("jam_export.py", project).stdout)["zip"]
    assert exported(theirs, NEW_70_120) == expected

    # Exported and imported by a Python without Jam.py: the fallback table is 7.0.120's.
    ours = export.export_project(Project(project), tmp_path / "ours.zip").dest
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(theirs) as b:
        mine, jams = (json.loads(z.read("task.dat"))["sys_params"] for z in (a, b))
    assert mine["fields"] == jams["fields"]
    assert exported(ours, NEW_70_120) == expected
    target = sqlite_project(tmp_path / "target", J70)
    assert our_import(target, ours).changed
    assert columns(target, [n.upper() for n in NEW_70_120]) == expected


def test_jam_params_refuses_the_70_120_parameters_for_55(tmp_path):
    demo = projects.copy_demo(tmp_path / "demo", J55)
    before = hashlib.sha256((demo / "admin.sqlite").read_bytes()).hexdigest()
    refused = run_module("jampy.deploy.jam_params", {
        "project_path": str(demo), "show_select_sql": True}, python=J55.python(),
        expect_failure=True)
    assert "parameter show_select_sql exists in Jam.py 7.0 projects only; this is a " \
           "Jam.py 5.4 project" in refused["msg"], refused["msg"]
    assert hashlib.sha256((demo / "admin.sqlite").read_bytes()).hexdigest() == before
