"""Production mode of a Jam.py 7.0.120 secured with its own ``jam-secure-project.py``: the
script renames the production-mode file in the installed Jam.py; jam_params and jam_info
read the name from that Jam.py, and a real process of it confirms the mode (the
Builder's /api refused)."""
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import jamenv, projects
from tests.harness.ansible_run import run_module
from tests.harness.outsider import BUILDER_CALL, Site
from tests.harness.server import JamServer

J70 = jamenv.JamEnv("7.0.120")
MARKER = "xybuilder.html"
PRODUCTION_TEXT = "Application Builder production mode"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    venv = tmp_path_factory.mktemp("secured") / "venv"
    shutil.copytree(Path(J70.python()).parents[1], venv, symlinks=True)
    jam = jamenv.InstalledJamEnv("7.0.120", venv)
    # The script asks for the new name (".html" added) and the venv.
    done = subprocess.run([jam.python(), str(venv / "bin" / "jam-secure-project.py")],
                          input=f"{MARKER[:-5]}\n{venv}\n", text=True, capture_output=True,
                          check=True)
    assert f"secured with new name: {MARKER}" in done.stdout, done.stdout
    return jam


def module(name, args, jam):
    return run_module(f"jampy.deploy.{name}", args, python=jam.python())


def builder_answer(server):
    """The HTTP status of a Builder call (task 0) without a session: 7.0 checks
    production mode before the login."""
    return Site(server.url).api(BUILDER_CALL.format(task=0)).status


def test_jam_params_and_jam_info_follow_the_secured_name(secured, tmp_path):
    project = projects.create_project(tmp_path / "shop", secured)
    args = {"project_path": str(project)}
    module("jam_project", {**args, "name": "Shop", "item_name": "shop", "db_type": "sqlite",
                           "database": "shop.sqlite"}, secured)
    info = module("jam_info", args, secured)
    assert info["production_file"] == MARKER and not info["parameters"]["production"]
    with JamServer(project, jam=secured) as server:
        assert builder_answer(server) == 200

    assert module("jam_params", {**args, "production": True}, secured)["changed"]
    assert (project / MARKER).read_text() == PRODUCTION_TEXT
    assert not (project / "builder.html").exists()
    assert module("jam_info", args, secured)["parameters"]["production"]
    assert not module("jam_params", {**args, "production": True}, secured)["changed"]
    with JamServer(project, jam=secured) as server:
        assert builder_answer(server) == 500
        assert "Server is in production mode." in server.log()

    assert module("jam_params", {**args, "production": False}, secured)["changed"]
    assert not (project / MARKER).exists()
    assert not module("jam_info", args, secured)["parameters"]["production"]
    with JamServer(project, jam=secured) as server:
        assert builder_answer(server) == 200


def test_production_set_by_the_secured_builder_is_read(secured, tmp_path):
    """The other direction: the secured Builder's own server function writes the file,
    jam_info reads it as production; the release's own name would not be read."""
    project = projects.create_project(tmp_path / "shop", secured)
    args = {"project_path": str(project)}
    module("jam_project", {**args, "name": "Shop", "item_name": "shop", "db_type": "sqlite",
                           "database": "shop.sqlite"}, secured)
    secured.run_jamside("set_production.py", project)
    assert (project / MARKER).read_text() == PRODUCTION_TEXT
    assert module("jam_info", args, secured)["parameters"]["production"]
    # Read by the unsecured release's Python, the same project is not in production mode.
    plain = module("jam_info", args, J70)
    assert plain["production_file"] == "builder.html" and not plain["parameters"]["production"]
