"""The load harness's command line against a real Jam.py (the demo, safe mode on): users
log in, write and read back, and the run reports what became of their writes."""
import json
import subprocess
import sys

from tests.harness.jamenv import REPO
from tests.harness.server import JamServer
from tests.harness_tests.test_client import change_settings


def test_command_line_reports_every_acknowledged_write(demo_project, tmp_path):
    change_settings(demo_project, safe_mode=1)
    users = tmp_path / "users"
    users.write_text("admin 111\n")
    with JamServer(demo_project) as server:
        run = subprocess.run(
            [sys.executable, "-m", "tests.harness.load", server.url, "customers", str(users),
             "--fields", "firstname,lastname", "--seconds", "4", "--max-requests", "30"],
            cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    summary = json.loads(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert summary["requests"] == 30 and summary["lost_count"] == 0
    assert summary["window_seconds"] == 0.0
    counts = summary["counts"]["before"]
    assert counts["login served"] == 1 and counts["insert served"] >= 9
    assert counts["update served"] >= 9 and counts["read served"] >= 9
    assert "111" not in run.stdout + run.stderr
