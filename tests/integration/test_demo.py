"""`make demo`'s playbook, as the README's first command runs it, probed from the outside.

The demo deploys into a folder and an Apache instance of this test's own (the playbook's
variables allow it), so a demo that `make demo` left running on this machine is untouched.
"""
import os
import secrets
import socket
import stat
from pathlib import Path

import pytest

from tests.harness import apache_instance, hosting, outsider
from tests.harness.ansible_run import REPO, run_playbook

pytestmark = [pytest.mark.apache,
              pytest.mark.skipif(os.geteuid() != 0 or not hosting.web_user_exists(),
                                 reason="the demo deploys with Apache as root")]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo():
    folder = hosting.new_site("demo")
    instance = apache_instance.Instance(f"jampy-d{secrets.token_hex(2)}")
    port = _free_port()
    overrides = [f"demo_prod={folder}", f"demo_port={port}",
                 f"jampy_apache_instance={instance.name}"]
    try:
        runs = [run_playbook(REPO / "playbooks" / "demo.yml",
                             *[arg for o in overrides for arg in ("-e", o)], timeout=1200)
                for _run in range(2)]
        yield folder, port, runs
    finally:
        instance.remove()
        hosting.remove_site(folder)


def test_the_demo_keeps_its_password_private(demo):
    folder, _port, runs = demo
    password_file = folder / "admin-password"
    mode = stat.S_IMODE(password_file.stat().st_mode)
    assert mode == 0o600 and password_file.stat().st_uid == 0
    password = password_file.read_text().strip()
    assert len(password) == 24
    for run in runs:
        assert password not in run.stdout + run.stderr
        assert f"its password is in {password_file}" in run.stdout
    # The second run changes nothing (the password file is reused).
    assert "changed=0" in runs[1].stdout.split("PLAY RECAP")[-1]


def test_an_outsider_gets_nothing_and_users_get_the_application(demo):
    folder, port, _runs = demo
    password = (folder / "admin-password").read_text().strip()
    findings = outsider.probe(f"http://127.0.0.1:{port}", ("admin", password), item="customers")
    assert findings == []


def test_the_project_runs_behind_the_guard(demo):
    folder, _port, _runs = demo
    wsgi = (folder / "demo" / "wsgi.py").read_text()
    assert "guard(ReloadGate(create_application(__file__)" in wsgi
    assert 'builder_access="none"' in wsgi
    for module in ("jampy_guard.py", "jampy_reload_gate.py"):
        assert list(Path(folder / "venv").glob(f"lib/python3*/site-packages/{module}"))
