"""The modules through ansible-playbook: documentation, idempotency, check mode, errors."""
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import tool_warnings
from tests.harness.ansible_run import BIN, REPO, ansible_env, run_module

MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("jam_*.py"))
JAM70 = REPO / "tests" / "fixtures" / "jam70"


def tree_digest(root):
    """Hash of every file path and content under root (to prove nothing changed)."""
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_ansible_doc_lists_and_renders_every_module():
    listing = subprocess.run([str(BIN / "ansible-doc"), "-l", "jampy.deploy"], env=ansible_env(),
                             capture_output=True, text=True, check=True).stdout
    for name in MODULES:
        assert f"jampy.deploy.{name}" in listing
    for name in MODULES:
        doc = subprocess.run([str(BIN / "ansible-doc"), "--json", f"jampy.deploy.{name}"],
                             env=ansible_env(), capture_output=True, text=True, check=True)
        data = json.loads(doc.stdout)[f"jampy.deploy.{name}"]
        assert data["doc"]["short_description"] and data["examples"] and data["return"]
        assert "project_path" in data["doc"]["options"]
        text = subprocess.run([str(BIN / "ansible-doc"), f"jampy.deploy.{name}"],
                              env=ansible_env(), capture_output=True, text=True, check=True)
        assert "EXAMPLES" in text.stdout
        # A library's warning (only a lock upgrade changes those) is not this collection's
        # fault; anything else on stderr, or a warning of ours, is.
        tool_warnings.assert_none_of_ours(text.stderr)
        assert not tool_warnings.without_warnings(text.stderr).strip(), text.stderr


def test_jam_export_check_mode_then_run_then_rerun(demo_project, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    args = {"project_path": str(demo_project), "dest": str(out)}
    project_before = tree_digest(demo_project)

    checked = run_module("jampy.deploy.jam_export", args, check_mode=True)
    assert checked["changed"] is True and checked["sha256"]
    assert os.listdir(out) == [] and tree_digest(demo_project) == project_before

    done = run_module("jampy.deploy.jam_export", args)
    assert done["changed"] is True and done["sha256"] == checked["sha256"]
    assert os.listdir(out) == [Path(done["dest"]).name]
    assert Path(done["dest"]).name.startswith("demo_1.5.30_5.4.112_")
    assert done["counts"]["sys_items"] == 26 and "js/demo.js" in done["files"]

    again = run_module("jampy.deploy.jam_export", args)
    assert again["changed"] is False and again["dest"] == done["dest"]
    assert tree_digest(demo_project) == project_before


def test_jam_info_reports_the_project(demo_project):
    (demo_project / "migration").mkdir()
    (demo_project / "migration" / "next.zip").write_bytes(b"zip")
    (demo_project / "logs").mkdir()
    (demo_project / "logs" / "import_2026-01-01_10-00-00.log").write_text(
        "THE METADATA HAVE NOT BEEN IMPORTED\n\nerror")
    (demo_project / "logs" / "import_2026-02-01_10-00-00.log").write_text(
        "THE METADATA HAVE BEEN SUCCESSFULLY IMPORTED\n\n\nImport: reading data\n")
    info = run_module("jampy.deploy.jam_info", {"project_path": str(demo_project)})
    assert info["changed"] is False
    assert info["layout"] == "5.4" and info["completed"] is True
    assert info["connection"]["db_type_name"] == "sqlite"
    assert info["connection"]["database"] == "demo.sqlite"
    assert "password" not in info["connection"]
    assert info["task"] == {"name": "Jam.py demo", "item_name": "demo"}
    assert info["parameters"]["version"] == "1.5.30" and info["parameters"]["safe_mode"] is False
    assert info["build_version"] == 48 and info["maintenance"] is False
    assert "DEMO_CUSTOMERS" in info["expected_tables"] and len(info["expected_tables"]) == 9
    assert info["migration_pending"] == ["next.zip"]
    assert info["last_import"]["result"] == "success"
    assert info["last_import"]["time"] == "2026-02-01_10-00-00"
    assert len(info["fingerprint"]) == 64


def test_jam_info_on_a_jam70_project(tmp_path):
    project = tmp_path / "p70"
    project.mkdir()
    shutil.copy(JAM70 / "demo-admin.sqlite", project / "admin.sqlite")
    info = run_module("jampy.deploy.jam_info", {"project_path": str(project)})
    assert info["layout"] == "7.0" and info["parameters"]["production"] is False
    (project / "builder.html").write_text("Application Builder production mode")
    info = run_module("jampy.deploy.jam_info", {"project_path": str(project)})
    assert info["parameters"]["production"] is True


@pytest.mark.parametrize("module, args, message", [
    ("jampy.deploy.jam_info", {"project_path": "/nonexistent/project"}, "does not exist"),
    ("jampy.deploy.jam_export", {"project_path": "/tmp", "dest": "/tmp/x.zip"}, "has no admin.sqlite"),
    ("jampy.deploy.jam_info", {"project_path": "/tmp", "bogus": 1}, "Unsupported parameters"),
])
def test_clear_errors(module, args, message):
    result = run_module(module, args, expect_failure=True)
    assert message in result["msg"]
    assert "Traceback" not in result["msg"]


def test_jam_import_check_diff_run_rerun(shop_versions, target_project):
    target = target_project("postgresql")
    admin = target / "admin.sqlite"
    args = {"project_path": str(target), "src": shop_versions[0][1], "import_delay": 0}
    before = hashlib.sha256(admin.read_bytes()).hexdigest()

    checked = run_module("jampy.deploy.jam_import", args, check_mode=True, diff=True)
    assert checked["changed"] is True and not checked["executed"]
    assert any(s.startswith('CREATE TABLE "shop_orders"') for s in checked["statements"])
    assert hashlib.sha256(admin.read_bytes()).hexdigest() == before
    schema_diff, prepared, record = checked["diff"]
    assert "table shop_orders" in schema_diff["after"]
    assert "table shop_orders" not in schema_diff["before"]
    assert 'CREATE TABLE "shop_orders"' in prepared["prepared"]
    # The release record it would write, and no release history yet.
    history = Path(f"{target}-releases")
    assert record["after_header"] == str(history / f"{checked['release']['id']}.json")
    assert json.loads(record["after"]) == checked["release"]
    assert checked["release"]["msg"] == checked["msg"] and not history.exists()

    done = run_module("jampy.deploy.jam_import", args, verbosity=0)
    assert done["changed"] is True and done["executed"] == checked["statements"]
    assert Path(done["log_file"]).read_text().startswith(
        "THE METADATA HAVE BEEN SUCCESSFULLY IMPORTED")
    assert sorted(p.name for p in history.iterdir()) == [
        f"{done['release']['id']}.json", f"{done['release']['id']}.zip"]

    again = run_module("jampy.deploy.jam_import", args)
    assert again["changed"] is False and again["executed"] == [] and "log_file" not in again
    assert again["release"] is None and len(list(history.iterdir())) == 2


def test_jam_import_output_never_shows_the_database_password(shop_versions, target_project):
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

    target = target_project("postgresql")
    password = Project(target).connection()["password"]
    args = {"project_path": str(target), "src": shop_versions[0][1], "import_delay": 0}
    outputs = [run_module("jampy.deploy.jam_import", args, check_mode=True, diff=True,
                          verbosity=4)["_output"],
               run_module("jampy.deploy.jam_import", args, diff=True, verbosity=4)["_output"],
               run_module("jampy.deploy.jam_info", {"project_path": str(target)},
                          verbosity=4)["_output"]]
    assert all("shop_orders" in output or "fingerprint" in output for output in outputs)
    for output in outputs:
        assert password not in output
    for log in (target / "logs").glob("*.log"):
        assert password not in log.read_text()


def test_jam_import_unreachable_database_is_a_clear_error(shop_versions, target_project):
    import sqlite3

    target = target_project("postgresql")
    con = sqlite3.connect(target / "admin.sqlite")
    con.execute("UPDATE SYS_TASKS SET F_PORT = '1'")  # nothing listens on port 1
    con.commit()
    con.close()
    before = hashlib.sha256((target / "admin.sqlite").read_bytes()).hexdigest()
    result = run_module("jampy.deploy.jam_import",
                        {"project_path": str(target), "src": shop_versions[0][1],
                         "import_delay": 0}, expect_failure=True)
    assert "cannot connect" in result["msg"] and "127.0.0.1" in result["msg"]
    # Found before the maintenance window: nothing was touched, no log was written.
    assert hashlib.sha256((target / "admin.sqlite").read_bytes()).hexdigest() == before
    assert not (target / "logs").exists()
