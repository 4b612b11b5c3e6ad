"""playbooks/schedule.yml as a cron job or an AWX schedule runs it: export on the development
host, migrate the application host, on this machine with Jam.py 5.4.136 SQLite projects.
Nothing new changes nothing (changed=0, no maintenance, no import log, the zip on the
controller left alone); overlapping runs wait for each other's run lock and give up with a
message naming it; a refused import leaves the previous release serving."""
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tests.harness.ansible_run import REPO, recap, run_module, run_playbook
from tests.harness.project_db import reflect, sql
from tests.harness.server import JamServer

PLAYBOOK = REPO / "playbooks" / "schedule.yml"


class Schedule:
    """A development project and an application project on this machine, one inventory
    host in both groups, and the schedule playbook."""

    def __init__(self, tmp_path, dev, app):
        self.dev, self.app = dev, app
        self.lock = tmp_path / "run.lock"
        self.artifact = tmp_path / "artifacts" / "shop.zip"
        local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "ansible_become": os.geteuid() == 0,
                 "ansible_become_method": "ansible.builtin.su",
                 "jampy_project_name": "shop", "jampy_dev_project_path": str(dev),
                 "jampy_project_path": str(app), "jampy_venv_path": sys.prefix,
                 "jampy_export_artifacts_path": str(self.artifact.parent),
                 "jampy_migrate_staging_path": str(tmp_path / "staging"),
                 "jampy_migrate_import_delay": 0, "jampy_run_lock_path": str(self.lock)}
        self.inventory = tmp_path / "hosts.json"
        self.inventory.write_text(json.dumps({"all": {"vars": local, "children": {
            "jampy_dev": {"hosts": {"localhost": {}}},
            "jampy_app": {"hosts": {"localhost": {}}}}}}))

    def develop(self, zip_path):
        """The development project at the version of zip_path."""
        run_module("jampy.deploy.jam_import", {"project_path": str(self.dev),
                                               "src": str(zip_path), "import_delay": 0})

    def run(self, *args, check=True):
        return run_playbook(PLAYBOOK, "-i", str(self.inventory), *args, check=check)

    def state(self):
        """What a run with nothing new must leave as it is."""
        logs = sorted(p.name for p in (self.app / "logs").glob("import_*.log"))
        return {"admin": hashlib.sha256((self.app / "admin.sqlite").read_bytes()).hexdigest(),
                "tables": sorted(reflect(self.app).tables), "import_logs": logs,
                "artifact": self.artifact.stat().st_mtime_ns, "lock": self.lock.exists()}

    def hold_lock(self):
        """The run lock as another run holds it."""
        self.lock.mkdir()
        (self.lock / "owner").write_text("Migrate every application host since 2026-01-01\n")


def schedule_at(target_project, tmp_path, zip_path):
    schedule = Schedule(tmp_path, target_project("sqlite", "dev"), target_project("sqlite", "app"))
    schedule.develop(zip_path)
    return schedule


def test_nothing_new_changes_nothing(target_project, shop_versions, tmp_path):
    schedule = schedule_at(target_project, tmp_path, shop_versions[0][1])
    first = schedule.run()
    assert recap(first.stdout)["changed"] > 0
    assert "SHOP_CUSTOMERS" in schedule.state()["tables"]
    assert "imported: added " in first.stdout
    before = schedule.state()
    assert len(before["import_logs"]) == 1 and not before["lock"]

    again = schedule.run()
    assert recap(again.stdout)["changed"] == 0, again.stdout
    assert "nothing to import" in again.stdout
    assert "maintenance" not in again.stdout
    assert schedule.state() == before


def test_overlapping_runs_wait_for_each_other(target_project, shop_versions, tmp_path):
    schedule = schedule_at(target_project, tmp_path, shop_versions[0][1])
    schedule.run()
    schedule.develop(shop_versions[7][1])  # up to the new item suppliers

    # Two runs at once: one imports, the other waits for it and finds nothing new.
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(schedule.run, "-e", "jampy_migrate_import_delay=3"),
                pool.submit(schedule.run, "-e", "jampy_migrate_import_delay=3")]
        outputs = sorted((run.result().stdout for run in runs), key=lambda o: "imported" in o)
    assert "nothing to import" in outputs[0] and "imported: added 1 item" in outputs[1]
    assert len(schedule.state()["import_logs"]) == 2

    # A run that holds the lock: the next run waits until it is released...
    schedule.hold_lock()
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        waiting = pool.submit(schedule.run)
        time.sleep(8)
        assert not waiting.done()
        (schedule.lock / "owner").unlink()
        schedule.lock.rmdir()
        assert recap(waiting.result().stdout)["changed"] == 0
    assert time.monotonic() - started >= 8

    # ... and gives up after jampy_run_lock_timeout, naming the lock and its holder, and
    # leaves both as they were.
    schedule.hold_lock()
    before = schedule.state()
    refused = schedule.run("-e", "jampy_run_lock_timeout=2", check=False)
    assert refused.returncode != 0
    message = " ".join(refused.stdout.split())
    assert f"Another run holds the run lock {schedule.lock} on localhost" in message
    assert "(Migrate every application host since 2026-01-01)" in message
    assert "waited 2 s (jampy_run_lock_timeout)" in message
    assert f"remove {schedule.lock} on localhost" in message
    assert schedule.state() == before


def test_a_refused_import_leaves_the_previous_release_serving(target_project, shop_versions,
                                                              tmp_path):
    schedule = schedule_at(target_project, tmp_path, shop_versions[0][1])
    schedule.run()
    sql(schedule.app, ['INSERT INTO "SHOP_CUSTOMERS" ("NAME", "NOTES", "DELETED") '
                       "VALUES ('Ann', 'likes tea', 0)"])
    label, dropped = shop_versions[4]
    assert label == "delete_field customers notes"
    schedule.develop(dropped)
    before = schedule.state()

    refused = schedule.run(check=False)
    assert refused.returncode != 0
    assert "would destroy stored data" in refused.stdout
    assert "jampy_migrate_allow_data_loss" in refused.stdout
    after = schedule.state()
    assert {k: v for k, v in after.items() if k != "artifact"} == {
        k: v for k, v in before.items() if k != "artifact"}
    with JamServer(schedule.app) as server:
        client = server.client()
        client.login()
        rows = client.open("customers", fields=["name", "notes"])
    assert [(r["name"], r["notes"]) for r in rows] == [("Ann", "likes tea")]
