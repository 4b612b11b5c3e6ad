"""The release history of the migrate role on Jam.py 5.4.136 projects (SQLite, PostgreSQL):
every real import that changed something is recorded beside the project, an unchanged
re-run records nothing, jam_info names the deployed release, a rollback to the previous
release is previewed without changing anything, refused while it would drop data the newer
release holds, done with the flag and recorded as a release of its own; pruning. And the
history is out of reach of Jam.py's HTTP server (5.4.136 and 7.0.120) and of exports (ours and
the release's own Export)."""
import datetime
import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.release_history import (
    ReleaseHistory, release_id, utc_now)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    describe_schema)
from tests.harness import jamenv
from tests.harness.ansible_run import REPO, run_module, run_playbook
from tests.harness.outsider import Site
from tests.harness.project_db import names, reflect, sql
from tests.harness.server import JamServer

JSON_OUTPUT = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
               "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
IMPORT_TASK = "Import the metadata"
ROLLBACK = REPO / "playbooks" / "rollback.yml"


def run_role(tmp_path, project, *args, check=True, playbook=None, **variables):
    """The migrate role on localhost, or ``playbook`` with localhost as its jampy_app
    host; returns (the process, {task name: result})."""
    variables = {"jampy_project_name": "shop", "jampy_project_path": str(project),
                 "jampy_venv_path": sys.prefix, "jampy_migrate_import_delay": 0,
                 "jampy_migrate_staging_path": str(tmp_path / "staging"), **variables}
    if playbook:
        # The play becomes root: as root that is su to itself, otherwise left out.
        variables.update(ansible_connection="local", ansible_python_interpreter=sys.executable,
                         ansible_become=os.geteuid() == 0,
                         ansible_become_method="ansible.builtin.su")
        inventory = tmp_path / "hosts.json"
        inventory.write_text(json.dumps({"jampy_app": {"hosts": {"localhost": variables}}}))
        args = ("-i", str(inventory), *args)
    else:
        playbook = tmp_path / "migrate.yml"
        playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                         "vars": variables, "roles": ["jampy.deploy.migrate"]}]))
    proc = run_playbook(playbook, *args, check=check, env=JSON_OUTPUT)
    report = json.loads(proc.stdout)
    return proc, {task["task"]["name"].rpartition(" : ")[2]: task["hosts"]["localhost"]
                  for play in report["plays"] for task in play["tasks"]
                  if "localhost" in task["hosts"]}


def info(project):
    return run_module("jampy.deploy.jam_info", {"project_path": str(project)})


def folder_state(path):
    """{name: (bytes' sha256, mtime)} of the history folder."""
    if not path.exists():
        return None
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(path.iterdir())}


def state(project, history):
    """What a preview must not change: admin.sqlite, the live schema, the history."""
    return {"admin": hashlib.sha256((project / "admin.sqlite").read_bytes()).hexdigest(),
            "schema": describe_schema(reflect(project)),
            "history": folder_state(history)}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_history_and_rollback(kind, target_project, shop_versions, tmp_path):
    project = target_project(kind)
    history = tmp_path / "target-releases"  # the default: beside the project
    v1, v2 = Path(shop_versions[0][1]), Path(shop_versions[7][1])
    assert shop_versions[7][0] == "add_item  suppliers"  # v2: up to the new item

    # v1 (the first deployment) and v2, each recorded.
    recorded = []
    for zip_path in (v1, v2):
        proc, done = run_role(tmp_path, project, jampy_migrate_zip=str(zip_path),
                              jampy_migrate_recorded_by="deployer@controller")
        release = done[IMPORT_TASK]["release"]
        assert done[IMPORT_TASK]["changed"] and release["msg"] == done[IMPORT_TASK]["msg"]
        assert f"release recorded: {release['id']}" in proc.stdout
        recorded.append(release)
    first, second = recorded
    assert stat_mode(history) == 0o700
    assert sorted(p.name for p in history.iterdir()) == sorted(
        f"{r['id']}{ext}" for r in recorded for ext in (".json", ".zip"))
    for release, zip_path in zip(recorded, (v1, v2)):
        kept = json.loads((history / f"{release['id']}.json").read_text())
        assert kept == release
        assert kept["by"] == "deployer@controller" and kept["project"] == "shop"
        assert kept["jam_version"].startswith("5.4") and kept["rollback"] is None
        assert kept["zip"]["sha256"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()
        assert (history / f"{release['id']}.zip").read_bytes() == zip_path.read_bytes()
        assert kept["result"]["changed"] and kept["result"]["statements"] > 0
        assert kept["result"]["maintenance"] == "flag"
    assert "Suppliers (suppliers)" in second["summary"]["items"]["added"]
    now = info(project)
    assert [r["id"] for r in now["releases"]] == [first["id"], second["id"]]
    assert now["deployed_release"] == second["id"] == release_id(
        utc_from(second["time"]), now["fingerprint"])

    # v2 again: nothing to import, nothing recorded, nothing written.
    before = folder_state(history)
    proc, again = run_role(tmp_path, project, jampy_migrate_zip=str(v2))
    assert not again[IMPORT_TASK]["changed"] and again[IMPORT_TASK]["release"] is None
    assert json.loads(proc.stdout)["stats"]["localhost"]["changed"] == 0
    assert folder_state(history) == before

    # The rollback previewed (playbooks/rollback.yml): v2's table and fields go, nothing
    # changes yet.
    before = state(project, history)
    proc, preview = run_role(tmp_path, project, "--check", playbook=ROLLBACK)
    assert state(project, history) == before
    planned = preview[IMPORT_TASK]
    assert planned["changed"] and planned["msg"].startswith("would ")
    assert any(t.upper() == "SHOP_SUPPLIERS" for t in planned["summary"]["tables"]["removed"])
    assert planned["release"]["rollback"] == {"to": first["id"], "from": second["id"]}
    assert planned["release"]["fingerprint"] == first["fingerprint"]
    assert f"release to record: {planned['release']['id']}" in proc.stdout

    # Refused while v2's table holds data; nothing changed.
    name = names(kind)
    sql(project, [f'INSERT INTO "{name("SHOP_SUPPLIERS")}" ("{name("NAME")}") VALUES (\'Acme\')'])
    before = state(project, history)
    proc = run_role(tmp_path, project, check=False, playbook=ROLLBACK)[0]
    assert proc.returncode != 0
    assert "would destroy stored data" in proc.stdout
    assert "jampy_migrate_allow_data_loss" in proc.stdout
    assert state(project, history) == before

    # Allowed: v1's metadata deployed, the rollback recorded as a release of its own.
    proc, done = run_role(tmp_path, project, jampy_migrate_release="previous",
                          jampy_migrate_allow_data_loss=True)
    back = done[IMPORT_TASK]["release"]
    assert back["rollback"] == {"to": first["id"], "from": second["id"]}
    assert back["fingerprint"] == first["fingerprint"]
    assert done[IMPORT_TASK]["executed"] == planned["statements"]
    assert "SHOP_SUPPLIERS" not in {t.upper() for t in reflect(project).tables}
    now = info(project)
    assert now["fingerprint"] == first["fingerprint"]
    assert now["deployed_release"] == back["id"]
    assert [r["id"] for r in now["releases"]] == [first["id"], second["id"], back["id"]]
    assert now["releases"][-1]["rollback"] == back["rollback"]

    # An unknown id is refused, naming the known ones.
    proc = run_role(tmp_path, project, check=False,
                    jampy_migrate_release="20200101T000000Z_000000000000")[0]
    assert proc.returncode != 0
    assert f"known releases: {first['id']}, {second['id']}, {back['id']}" in proc.stdout

    # v2 once more with two releases kept: the two oldest pruned.
    proc, pruning = run_role(tmp_path, project, jampy_migrate_zip=str(v2),
                             jampy_migrate_allow_data_loss=True, jampy_migrate_keep_releases=2)
    assert pruning[IMPORT_TASK]["pruned"] == [first["id"], second["id"]]
    newest = pruning[IMPORT_TASK]["release"]["id"]
    assert [r["id"] for r in info(project)["releases"]] == [back["id"], newest]
    assert sorted(p.name for p in history.iterdir()) == sorted(
        f"{i}{ext}" for i in (back["id"], newest) for ext in (".json", ".zip"))


def stat_mode(path):
    return os.stat(path).st_mode & 0o777


def utc_from(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("jam", [jamenv.REFERENCE, jamenv.ALL[-1]], ids=str)
def test_history_out_of_reach_of_http_and_exports(jam, target_project, tmp_path):
    project = target_project("sqlite", jam=jam)
    history = ReleaseHistory(project)
    assert history.path == f"{project}-releases"
    marker = f"release-record-{jam}".encode()
    (tmp_path / "kept.zip").write_bytes(marker)
    record = {"id": release_id(utc_now(), "f" * 64), "fingerprint": "f" * 64,
              "marker": marker.decode()}
    history.add(tmp_path / "kept.zip", record, 10)
    (project / "static" / "served.txt").write_bytes(marker)  # the probe's control
    folder = os.path.basename(history.path)
    with JamServer(project, jam=jam) as server:
        site = Site(server.url)
        assert site.send("GET", "/static/served.txt").body == marker
        for name in (f"{record['id']}.json", f"{record['id']}.zip"):
            for path in (f"/static/../../{folder}/{name}", f"/static/%2e%2e/%2e%2e/{folder}/{name}",
                         f"/..%2f{folder}/{name}", f"/js/../../{folder}/{name}",
                         f"/static/..%2f..%2f{folder}/{name}", f"/{name}"):
                answer = site.send("GET", path)
                assert marker not in answer.body, (path, answer.status)
    ours = export.export_project(Project(project), tmp_path / "export.zip").dest
    jams = json.loads(jam.run_jamside("jam_export.py", project).stdout)["zip"]  # the Builder's
    for exported in (ours, jams):
        with zipfile.ZipFile(exported) as zf:
            names = zf.namelist()
            assert "task.dat" in names
            assert not any(record["id"] in n or folder in n for n in names), names
            assert not any(marker in zf.read(n) for n in names if n != "static/served.txt")
