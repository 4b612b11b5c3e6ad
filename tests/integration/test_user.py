"""jam_user through ansible-playbook, against a real Jam.py 5.4.136 logging people in."""
import hashlib
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.harness.ansible_run import run_module
from tests.harness.server import JamServer


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def accounts(project):
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        return {row[0]: row[1:] for row in con.execute(
            "SELECT F_LOGIN, DELETED, F_ACTIVE, F_NAME, F_ROLE, F_ADMIN, F_PASSWORD FROM SYS_USERS")}


def logged_in(server, login, password):
    return bool(server.client().login(login, password)["result"]["data"])


def safe_mode(project):
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        with con:
            con.execute("UPDATE SYS_PARAMS SET F_SAFE_MODE = 1")


def test_check_mode_then_run_then_rerun(demo_project):
    password = secrets.token_urlsafe(12)
    args = {"project_path": str(demo_project), "login": "admin", "password": password}
    before = sha(demo_project / "admin.sqlite")

    checked = run_module("jampy.deploy.jam_user", args, check_mode=True, diff=True)
    assert checked["changed"] and checked["changes"] == {
        "password": {"before": "(unchanged)", "after": "(changed)"}}
    assert checked["diff"]["after"] == "password: (changed)\n"
    assert sha(demo_project / "admin.sqlite") == before

    done = run_module("jampy.deploy.jam_user", args)
    assert done["changed"] and done["account"] == {
        "login": "admin", "name": "Bob", "role": "Administrator", "admin": True,
        "state": "present", "password_set": True}
    assert accounts(demo_project)["admin"][-1] == password
    again = run_module("jampy.deploy.jam_user", args)
    assert not again["changed"] and again["changes"] == {}
    for result in (checked, done, again):
        assert password not in result["_output"]


def test_a_running_jam_logs_in_with_the_managed_password_at_once(demo_project):
    safe_mode(demo_project)
    password = secrets.token_urlsafe(12)
    with JamServer(demo_project) as server:
        assert logged_in(server, "admin", "111")
        run_module("jampy.deploy.jam_user", {"project_path": str(demo_project),
                                             "login": "admin", "password": password})
        assert not logged_in(server, "admin", "111")
        assert logged_in(server, "admin", password)

        # A new account with a role; then disabled (kept, no login), enabled, removed.
        new = {"project_path": str(demo_project), "login": "ann", "name": "Ann",
               "role": "User", "password": "ann-pw-1"}
        created = run_module("jampy.deploy.jam_user", new, diff=True)
        assert created["changed"] and created["changes"]["password"]["after"] == "(set)"
        assert "ann-pw-1" not in created["_output"]
        assert logged_in(server, "ann", "ann-pw-1")
        assert not run_module("jampy.deploy.jam_user", new)["changed"]

        disabled = run_module("jampy.deploy.jam_user", {**new, "state": "disabled"})
        assert disabled["account"]["state"] == "disabled"
        assert not logged_in(server, "ann", "ann-pw-1")
        assert accounts(demo_project)["ann"][:2] == (1, 0)
        run_module("jampy.deploy.jam_user", {**new, "state": "present"})
        assert logged_in(server, "ann", "ann-pw-1")

        # on_create: a password the user changed is left alone.
        kept = run_module("jampy.deploy.jam_user", {**new, "password": "other",
                                                    "password_update": "on_create"})
        assert not kept["changed"] and logged_in(server, "ann", "ann-pw-1")

        gone = run_module("jampy.deploy.jam_user", {**new, "state": "absent"})
        assert gone["changed"] and "ann" not in accounts(demo_project)
        assert not logged_in(server, "ann", "ann-pw-1")
        assert not run_module("jampy.deploy.jam_user", {**new, "state": "absent"})["changed"]


@pytest.mark.parametrize("change, message", [
    ({"login": "admin", "state": "absent"}, "last administrator"),
    ({"login": "admin", "state": "disabled"}, "last administrator"),
    ({"login": "admin", "admin": False}, "last administrator"),
    ({"login": "ann", "password": "x", "role": "Nobody"}, "role 'Nobody' is not a role"),
    ({"login": "ann", "password": "x"}, "give its role and password"),
    ({"login": "  ", "password": "x"}, "login must not be empty"),
])
def test_refused_changes_touch_nothing(demo_project, change, message):
    # The demo's other account is no administrator: admin is the last one.
    before = sha(demo_project / "admin.sqlite")
    result = run_module("jampy.deploy.jam_user", {"project_path": str(demo_project), **change},
                        expect_failure=True)
    assert message in result["msg"]
    assert sha(demo_project / "admin.sqlite") == before


def test_no_password_at_high_verbosity(demo_project):
    password = secrets.token_urlsafe(16)
    for check_mode in (True, False):
        output = run_module("jampy.deploy.jam_user",
                            {"project_path": str(demo_project), "login": "user",
                             "password": password}, check_mode=check_mode, diff=True,
                            verbosity=3)["_output"]
        assert password not in output and "333" not in output


def test_jam_info_lists_template_passwords(demo_project):
    info = run_module("jampy.deploy.jam_info", {"project_path": str(demo_project)})
    assert info["template_password_accounts"] == ["admin", "user"]
    run_module("jampy.deploy.jam_user", {"project_path": str(demo_project), "login": "user",
                                         "state": "disabled"})
    info = run_module("jampy.deploy.jam_info", {"project_path": str(demo_project)})
    assert info["template_password_accounts"] == ["admin"]
