"""jam_params through ansible-playbook, with a running Jam.py noticing the changes."""
import hashlib
import shutil
import sqlite3
from pathlib import Path

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.locks import (
    METADATA_IMPORT, project_lock)
from tests.harness.ansible_run import run_module
from tests.harness.server import NOT_LOGGED, RESPONSE, JamServer

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"
PRODUCTION = {"production": True, "safe_mode": True, "debugging": False, "import_delay": 180}


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_check_mode_then_run_then_rerun(demo_project):
    args = {"project_path": str(demo_project), **PRODUCTION}
    before = sha(demo_project / "admin.sqlite")
    checked = run_module("jampy.deploy.jam_params", args, check_mode=True, diff=True)
    assert checked["changed"] and checked["parameters"]["safe_mode"] is True
    assert "safe_mode: True" in checked["diff"]["after"]
    assert sha(demo_project / "admin.sqlite") == before

    done = run_module("jampy.deploy.jam_params", args)
    assert done["changed"] and set(done["changes"]) == {"production", "safe_mode", "import_delay"}
    assert done["parameters"] == {**checked["parameters"]}
    again = run_module("jampy.deploy.jam_params", args)
    assert not again["changed"] and "params_version" not in again


def test_a_running_jam_notices_safe_mode_without_restart(demo_project):
    with JamServer(demo_project) as server:
        client = server.client()
        assert client.status("load") == RESPONSE
        run_module("jampy.deploy.jam_params", {"project_path": str(demo_project),
                                               "safe_mode": True})
        assert server.client().status("load") == NOT_LOGGED
        run_module("jampy.deploy.jam_params", {"project_path": str(demo_project),
                                               "safe_mode": False})
        assert server.client().status("load") == RESPONSE


def test_wrong_input_is_refused_and_nothing_is_written(demo_project, tmp_path):
    before = sha(demo_project / "admin.sqlite")
    cases = [
        ({"safe_mode": "perhaps"}, "safe_mode"),
        ({"import_delay": "soon"}, "import_delay"),
        ({"import_delay": -5}, "must be 0 or more"),
        ({"productoin": True}, "Unsupported parameters"),
    ]
    for extra, message in cases:
        result = run_module("jampy.deploy.jam_params",
                            {"project_path": str(demo_project), **extra}, expect_failure=True)
        assert message in result["msg"], result["msg"]
    not_project = tmp_path / "empty"
    not_project.mkdir()
    result = run_module("jampy.deploy.jam_params", {"project_path": str(not_project),
                                                    "safe_mode": True}, expect_failure=True)
    assert "has no admin.sqlite" in result["msg"]
    assert sha(demo_project / "admin.sqlite") == before


def set_maintenance(project):
    con = sqlite3.connect(project / "admin.sqlite")
    con.execute("UPDATE SYS_PARAMS SET F_MAINTENANCE = 1")
    con.commit()
    con.close()


def test_reset_a_stuck_maintenance_flag_but_not_a_running_import(demo_project):
    args = {"project_path": str(demo_project), "reset_maintenance": True}
    assert not run_module("jampy.deploy.jam_params", args)["changed"]
    set_maintenance(demo_project)
    with project_lock(demo_project, METADATA_IMPORT):
        refused = run_module("jampy.deploy.jam_params", args, expect_failure=True)
        assert "an import is under way" in refused["msg"]
    done = run_module("jampy.deploy.jam_params", args)
    assert done["changed"] and done["changes"] == {"maintenance": {"before": True, "after": False}}
    assert not run_module("jampy.deploy.jam_info", {"project_path": str(demo_project)})[
        "maintenance"]


def test_jam70_production_is_the_builder_html_file(tmp_path):
    project = tmp_path / "p70"
    project.mkdir()
    shutil.copy(JAM70 / "demo-admin.sqlite", project / "admin.sqlite")
    args = {"project_path": str(project), "production": True}
    assert run_module("jampy.deploy.jam_params", args)["changed"]
    assert (project / "builder.html").read_text() == "Application Builder production mode"
    assert not run_module("jampy.deploy.jam_params", args)["changed"]
    assert run_module("jampy.deploy.jam_params", {**args, "production": False})["changed"]
    assert not (project / "builder.html").exists()
