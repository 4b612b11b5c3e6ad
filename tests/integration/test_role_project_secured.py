"""The project role on a Jam.py 7.0.120 venv secured afterwards with Jam.py's own
``jam-secure-project.py``: its next run keeps production mode where the secured Jam.py
looks for it, idempotently, and the secured Jam.py refuses the Builder's /api."""
import json
import os
import secrets
import subprocess

import pytest

from tests.harness import hosting, jamenv
from tests.harness.ansible_run import run_playbook
from tests.harness.outsider import BUILDER_CALL, Site
from tests.harness.server import JamServer

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not hosting.web_user_exists(),
                                reason="the roles are tested as root with a www-data user")

MARKER = "xybuilder.html"
PRODUCTION_TEXT = "Application Builder production mode"


def changed(output):
    line = next(line for line in output.splitlines() if line.startswith("localhost"))
    return int(dict(part.split("=") for part in line.split(":", 1)[1].split())["changed"])


def test_the_role_keeps_production_where_the_secured_jam_looks(tmp_path):
    site = hosting.new_site("secured")
    project, venv = site / "shop", site / "venv"
    book = tmp_path / "site.yml"
    book.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"jampy_project_name": "shop", "jampy_project_path": str(project),
                 "jampy_venv_path": str(venv), "jampy_jam_version": "7.0.120",
                 "jampy_admin_password": secrets.token_urlsafe(16)},
        "roles": ["jampy.deploy.project"],
    }]))
    try:
        run_playbook(book, timeout=900)
        assert (project / "builder.html").read_text() == PRODUCTION_TEXT
        jam = jamenv.InstalledJamEnv("7.0.120", venv)
        subprocess.run([jam.python(), str(venv / "bin" / "jam-secure-project.py")],
                       input=f"{MARKER[:-5]}\n{venv}\n", text=True, capture_output=True,
                       check=True)

        second = run_playbook(book, timeout=900).stdout
        assert changed(second) > 0
        assert (project / MARKER).read_text() == PRODUCTION_TEXT
        assert changed(run_playbook(book, timeout=900).stdout) == 0
        with JamServer(project, jam=jam) as server:
            assert Site(server.url).api(BUILDER_CALL.format(task=0)).status == 500
            assert "Server is in production mode." in server.log()
    finally:
        hosting.remove_site(site)
