"""The project role deploys every supported Jam.py release: a SQLite production project
whose venv is exactly that release's lock, idempotent, served through its own wsgi.py by
that release, where an outsider finds nothing and the managed administrator logs in and
loads the application. Jam.py 7.0's own production mode refuses the Builder's /api even
without the guard; 5.x has none."""
import json
import os
import secrets
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import hosting, jamenv, locks, outsider
from tests.harness.ansible_run import run_playbook
from tests.harness.server import RESPONSE, JamServer

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or not hosting.web_user_exists(),
                       reason="the roles are tested as root with a www-data user"),
    # One deployment per release, shared by the tests below: on one worker.
    pytest.mark.xdist_group("project-releases"),
]

ADMIN = ("admin", secrets.token_urlsafe(16))
GUARD_FOLDER = jamenv.REPO / "roles" / "project" / "files"
BUILDER_CALL = outsider.BUILDER_CALL.format(task=0)
PRODUCTION_TEXT = "Application Builder production mode"


@dataclass
class Deployment:
    jam: jamenv.JamEnv
    site: Path
    runs: list  # the playbook's output, first and second run

    @property
    def project(self):
        return self.site / "shop"

    @property
    def venv_python(self):
        return self.site / "venv" / "bin" / "python"

    def serve(self, guarded=True):
        """The project served by its release's Python, through its own wsgi.py (the guard
        in front, as mod_wsgi serves it) or Jam.py's application alone."""
        return JamServer(self.project, own_wsgi=guarded, python_path=[GUARD_FOLDER],
                         jam=self.jam)


def recap(output):
    line = next(line for line in output.splitlines() if line.startswith("localhost"))
    return dict(part.split("=") for part in line.split(":", 1)[1].split())


@pytest.fixture(scope="module", params=jamenv.ALL, ids=str)
def deployed(request, tmp_path_factory):
    jam = request.param
    site = hosting.new_site(f"release-{jam.version}")
    book = tmp_path_factory.mktemp(f"book-{jam.version}") / "site.yml"
    book.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"jampy_project_name": "shop", "jampy_project_path": str(site / "shop"),
                 "jampy_venv_path": str(site / "venv"), "jampy_jam_version": jam.version,
                 "jampy_admin_password": ADMIN[1]},
        "roles": ["jampy.deploy.project"],
    }]))
    try:
        runs = [run_playbook(book, timeout=900).stdout for unused in range(2)]
        yield Deployment(jam, site, runs)
    finally:
        hosting.remove_site(site)


def test_the_role_deploys_the_release_idempotently(deployed):
    first, second = deployed.runs
    assert int(recap(first)["changed"]) > 0, first
    assert recap(second)["changed"] == "0", second
    assert ADMIN[1] not in first + second
    for path, mode in ((deployed.project, 0o750), (deployed.project / "admin.sqlite", 0o600)):
        assert (path.owner(), stat.S_IMODE(path.stat().st_mode)) == ("www-data", mode), path
    installed = subprocess.run(
        [str(deployed.venv_python), "-c", "import jam, jampy_guard; print(jam.version())"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert installed == deployed.jam.version


def test_the_venv_is_exactly_the_releases_lock(deployed):
    lock = locks.PROJECT_LOCKS / f"jam-{deployed.jam.version}-sqlite.txt"
    assert locks.differences(deployed.venv_python, lock) == []


def test_production_mode_as_each_release_keeps_it(deployed):
    marker = deployed.project / "builder.html"
    if deployed.jam.major >= 7:
        assert marker.read_text() == PRODUCTION_TEXT
    else:
        assert not marker.exists()


def test_served_by_its_release_an_outsider_finds_nothing(deployed):
    with deployed.serve() as server:
        assert outsider.probe(server.url, ADMIN) == []
        client = outsider.Client(server.url)
        if deployed.jam.major >= 7:
            client.form_login(*ADMIN)
        else:
            assert client.login(*ADMIN)["result"]["data"]
        info = client.load()
        assert info["status"] == RESPONSE and info["task"]["name"] == "shop"


def test_without_the_guard_only_70_refuses_the_builder_api(deployed):
    """Logged in to the Builder as the managed administrator, the Builder's /api answers
    on 5.x; 7.0's production mode refuses it (an error 500, Jam.py's own)."""
    with deployed.serve(guarded=False) as server:
        site = outsider.Site(server.url)
        if deployed.jam.major >= 7:
            login = site.form_login(*ADMIN, page="/builder_login.html")
            assert outsider.form_logged_in(login)
            answer = site.api(BUILDER_CALL, login.cookies())
            assert answer.status == 500
            assert "Server is in production mode." in server.log()
        else:
            login = site.api_login(*ADMIN, task_id=0)
            assert outsider.api_logged_in(login)
            answer = site.api(BUILDER_CALL, login.cookies())
            assert answer.status == 200 and answer.json()["result"]["status"] == RESPONSE
