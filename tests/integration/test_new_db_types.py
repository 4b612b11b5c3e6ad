"""The databases Jam.py 7.0 added (Databricks 7, DuckDB 8, SQLCipher 9, MS Access 10), on
real Jam.py 7.0.120 projects switched to them through Jam.py's own SYS_TASKS item: known by
name and number, their archives read both ways, and every module that would connect to
them refuses before anything changes."""
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from tests.harness import jamenv, projects
from tests.harness.ansible_run import run_module

J70 = jamenv.JamEnv("7.0.120")
# (jam_project's name, Jam.py's name in Consts.DB_TYPE, number, SYS_TASKS.F_PYTHON_LIBRARY)
NEW_TYPES = pytest.mark.parametrize("name, jam_name, number, library", [
    ("databricks", "Databricks", 7, None), ("duckdb", "Duckdb", 8, 1),
    ("sqlcipher", "SqlCipher", 9, None), ("msaccess", "MsAccess", 10, None),
], ids=["databricks", "duckdb", "sqlcipher", "msaccess"])


def switched_demo(folder, jam_name, library):
    """A copy of the 7.0.120 demo switched to ``jam_name`` by Jam.py; Jam.py's number."""
    demo = projects.copy_demo(folder, J70)
    args = [demo, jam_name, "data.db"] + ([library] if library else [])
    return demo, json.loads(J70.run_jamside("set_db_type.py", *args).stdout)["db_type"]


def snapshot(folder):
    """{relative path: sha256} of every file under ``folder``."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def module(name, args, **kwargs):
    return run_module(f"jampy.deploy.{name}", args, python=J70.python(), **kwargs)


def refusal(name, number, action):
    return (f"{action} a {name} database (Jam.py database type {number}) is not supported "
            "yet")


@NEW_TYPES
def test_known_by_name_and_every_connection_refused(name, jam_name, number, library, tmp_path):
    project, jams_number = switched_demo(tmp_path / "switched", jam_name, library)
    assert jams_number == number
    info = module("jam_info", {"project_path": str(project)})
    assert (info["connection"]["db_type"], info["connection"]["db_type_name"]) == (number, name)
    assert info["completed"] and info["counts"]["sys_items"] > 10

    other = projects.copy_demo(tmp_path / "sqlite", J70)
    zip_path = module("jam_export", {"project_path": str(other),
                                     "dest": str(tmp_path / "sqlite.zip")})["dest"]
    before, other_before = snapshot(project), snapshot(other)
    drift = module("jam_info", {"project_path": str(project), "check_drift": True},
                   expect_failure=True)
    assert refusal(name, number, "checking the live schema of") in drift["msg"]
    for check_mode in (True, False):
        refused = module("jam_import", {"project_path": str(project), "src": zip_path},
                         check_mode=check_mode, expect_failure=True)
        assert refusal(name, number, "importing into") in refused["msg"], refused["msg"]
    completed = module("jam_project", {"project_path": str(project), "name": "Demo",
                                       "item_name": "demo", "db_type": name,
                                       "database": "data.db"}, expect_failure=True)
    assert refusal(name, number, "completing a project for") in completed["msg"]
    for target, source, action in ((project, other, "refreshing the data of"),
                                   (other, project, "copying data from")):
        refreshed = module("jam_data", {"project_path": str(target),
                                        "source_project_path": str(source)},
                           expect_failure=True)
        assert refusal(name, number, action) in refreshed["msg"], refreshed["msg"]
    assert "Nothing was changed" in refreshed["msg"]
    assert snapshot(project) == before and snapshot(other) == other_before


@NEW_TYPES
def test_their_archives_are_read_and_jam_imports_ours(name, jam_name, number, library,
                                                      tmp_path):
    """jam_export of a switched project writes its number into task.dat; Jam.py 7.0.120's
    own import and jam_import both take that archive into a SQLite project."""
    project = switched_demo(tmp_path / "switched", jam_name, library)[0]
    zip_path = module("jam_export", {"project_path": str(project),
                                     "dest": str(tmp_path / "switched.zip")})["dest"]
    with zipfile.ZipFile(zip_path) as zf:
        assert json.loads(zf.read("task.dat"))["db_type"] == number

    fresh = projects.create_project(tmp_path / "fresh", J70)
    module("jam_project", {"project_path": str(fresh), "name": "Demo", "item_name": "demo",
                           "db_type": "sqlite", "database": "demo.sqlite"})
    planned = module("jam_import", {"project_path": str(fresh), "src": zip_path},
                     check_mode=True)
    assert planned["changed"] and planned["plan"]["schema"]["CreateTable"] > 5, planned["plan"]
    result = projects.jam_import(fresh, zip_path, J70)
    assert result["success"] and not result["error"], result
