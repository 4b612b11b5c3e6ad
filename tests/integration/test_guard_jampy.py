"""jampy_guard in front of the real Jam.py 5.4.136 serving the sdist demo with safe mode on,
probed from the outside (tests/harness/outsider.py). Without the guard the probes find the
Builder and the template login; with the guard, served through a wsgi.py written the way
the project role writes it, they find nothing and the application still works."""
import secrets
import sqlite3
from contextlib import closing

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin import settings
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from tests.harness import outsider
from tests.harness.jamenv import REPO
from tests.harness.server import JamServer

GUARD_FOLDER = REPO / "roles" / "project" / "files"
GUARDED_WSGI = """from jam.wsgi import create_application
from jampy_guard import guard

application = guard(create_application(__file__), builder_access="none")
"""


def set_password(project, login, password):
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        with con:
            assert con.execute("UPDATE SYS_USERS SET F_PASSWORD = ? WHERE F_LOGIN = ?",
                               (password, login)).rowcount == 1


@pytest.fixture
def site(demo_project):
    """The demo with safe mode on and a random password for its admin."""
    project = Project(demo_project)
    settings.apply_settings(project, settings.plan_settings(project, {"safe_mode": True}))
    admin = ("admin", secrets.token_urlsafe(12))
    set_password(demo_project, *admin)
    return demo_project, admin


def login_address(project, login):
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        return con.execute("SELECT F_IP FROM SYS_USERS WHERE F_LOGIN = ?", (login,)).fetchone()[0]


def uploaded_to_builder(project):
    folder = project / "static" / "builder"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def large_upload(url, admin, project):
    """Upload 6 MiB as the admin's page does; True when Jam.py stored exactly those bytes."""
    site = outsider.Site(url)
    cookies = site.api_login(*admin).cookies()
    loaded = site.api(["load", None, None, None, 0], cookies).json()
    task_id = loaded["result"]["data"][0]["task"]["id"]
    content = secrets.token_bytes(6 * 1024 * 1024)
    body, headers = outsider.multipart([str(task_id)], "file", content)
    stored = site.send("POST", "/upload", body, headers, cookies).json()["result"]["data"]
    return (project / stored["path"] / stored["file_name"]).read_bytes() == content


def test_without_the_guard_the_probes_find_the_builder(site):
    project, admin = site
    with JamServer(project) as server:
        findings = outsider.probe(server.url, admin, user=("user", "333"), item="customers")
    text = "\n".join(findings)
    assert "template login 'user' (/api): answered 200" in text
    assert "template login 'admin'" not in text
    for check in ("Builder login as the managed admin (/api task 0): answered 200",
                  "Builder call, task id 0, without a session: answered 200",
                  "Builder call, task id -0.0, as the user: answered 200",
                  "Builder call, chunked body, as the managed admin: answered 200",
                  "Builder upload, task_id '5' then '0', field file, as the user: answered 200",
                  ("Builder upload, task_id '+0', field myfile, with the Builder session: "
                   "answered 200"),
                  "Builder page /builder.html: answered 200",
                  "quote in the password (/api login): answered 200"):
        assert check in text, text
    # The user's cookie under the Builder's name ran a Builder server function.
    assert ("Builder cookie replay of demo_session, as the user: answered 200 "
            """b'{"result": {"status": 9, "data": [["demo", """) in text, text
    assert not any(f.startswith(("traversal", "the application works")) for f in findings)
    assert admin[1] not in text


def test_with_the_guard_nothing_is_found_and_the_application_works(site):
    project, admin = site
    user = ("user", secrets.token_urlsafe(12))
    set_password(project, *user)
    (project / "wsgi.py").write_text(GUARDED_WSGI)
    with JamServer(project, own_wsgi=True, python_path=[GUARD_FOLDER]) as server:
        results = outsider.Probe(server.url, admin, user, item="customers").run()
        client = server.client()
        pages = [client.get(path)[0] for path in ("/", "/jam/js/jam.js", "/jam/css/jam.css")]
        saved = large_upload(server.url, admin, project)
        login = ["login", None, 0, [{"login": admin[0], "password": admin[1]}], 0]
        outsider.Site(server.url).api(login, headers={"X-Forwarded-For": "198.51.100.7"})
        log = server.log()
    assert [f"{check}: {finding}" for check, finding in results if finding] == []
    assert pages == [200, 200, 200]
    # Every attack was refused by the guard itself (one log line each), not by Jam.py.
    attacks = [c for c, unused in results
               if not c.startswith(("template login", "log in as", "the application works"))]
    refusals = [line for line in log.splitlines() if line.startswith("jampy_guard: refused")]
    assert len(attacks) > 70 and len(refusals) == len(attacks)
    assert "jampy_guard: refused POST /upload (Builder upload) from 127.0.0.1" in refusals
    assert admin[1] not in log and user[1] not in log
    assert uploaded_to_builder(project) == []
    assert saved, "a large project upload did not arrive unchanged"
    assert login_address(project, admin[0]) == "127.0.0.1"  # X-Forwarded-For was removed


def test_the_probes_find_a_template_password_behind_the_guard(site):
    project, admin = site
    (project / "wsgi.py").write_text(GUARDED_WSGI)
    with JamServer(project, own_wsgi=True, python_path=[GUARD_FOLDER]) as server:
        findings = outsider.probe(server.url, admin)
    assert [f.split(":")[0] for f in findings] == ["template login 'user' (/api)"]
