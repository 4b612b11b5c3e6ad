"""The migrate role's check mode (the README's preview, `--check` without `--diff`) on
Jam.py 5.4.136 projects: it previews the zip given now - on first use too, and with an
older zip staged - leaves the project untouched, prints its one-line result and summary,
and what it reports is what the real run then executes. The import's guards reach the
role as its variables; a missing project name is refused before anything runs."""
import glob
import hashlib
import json
import os
import sys
import tempfile

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    describe_schema)
from tests.harness.ansible_run import run_playbook
from tests.harness.project_db import reflect, sql

JSON_OUTPUT = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
               "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
IMPORT_TASK = "Import the metadata"
REPORT_TASK = "Report the import"


def write_book(tmp_path, project, zip_path, **extra):
    variables = {"jampy_project_name": "shop", "jampy_project_path": str(project),
                 "jampy_venv_path": sys.prefix, "jampy_migrate_zip": str(zip_path),
                 "jampy_migrate_import_delay": 0,
                 "jampy_migrate_staging_path": str(tmp_path / "staging"), **extra}
    book = tmp_path / "migrate.yml"
    book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                 "vars": variables, "roles": ["jampy.deploy.migrate"]}]))
    return book


def results(book, *args, check=True):
    """{task name: localhost's result} of a run with the JSON callback."""
    return parse(run_playbook(book, *args, check=check, env=JSON_OUTPUT))


def parse(proc):
    """{task name: localhost's result} of a run's JSON output."""
    report = json.loads(proc.stdout)
    return {task["task"]["name"].rpartition(" : ")[2]: task["hosts"]["localhost"]
            for play in report["plays"] for task in play["tasks"]
            if "localhost" in task["hosts"]}


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path, monkeypatch):
    """The runs' temporary folder (TMPDIR, where a preview folder is made) is the test's
    own, so that another run's preview cannot be taken for one left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def preview_folders():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "jampy-preview-*")))


def state(project, staging):
    """What a preview must not change: admin.sqlite's bytes, the live schema, the logs, the
    project's files (no zip staged in it), the staging folder, preview folders."""
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    staged = staging / "metadata.zip"
    return {"admin": hashlib.sha256((project / "admin.sqlite").read_bytes()).hexdigest(),
            "schema": describe_schema(reflect(project)),
            "files": files,
            "staged": staged.read_bytes() if staged.exists() else None,
            "preview_folders": preview_folders()}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_live_preview_shows_what_the_real_run_does(kind, target_project, shop_versions,
                                                   tmp_path):
    project = target_project(kind)
    staging = tmp_path / "staging"
    first, later = shop_versions[0][1], shop_versions[7][1]  # later: up to the new item

    # First use: nothing staged yet, a project without tables.
    before = state(project, staging)
    book = write_book(tmp_path, project, first)
    preview = results(book, "--check")
    assert state(project, staging) == before
    assert not any(".zip" in name for name in before["files"])
    planned = preview[IMPORT_TASK]
    assert planned["changed"] and planned["statements"]
    assert planned["msg"].startswith("would add ") and "SQL statements" in planned["msg"]
    assert "Customers (customers)" in planned["summary"]["items"]["added"]
    assert preview[REPORT_TASK]["msg"][0] == planned["msg"]

    done = results(book)
    assert done[IMPORT_TASK]["executed"] == planned["statements"]
    assert done[IMPORT_TASK]["msg"].startswith("imported: added ")

    # A new zip while the first is still staged: the preview reads the new one, readable
    # without --diff.
    before = state(project, staging)
    book = write_book(tmp_path, project, later)
    shown = run_playbook(book, "--check")
    assert state(project, staging) == before
    assert "would add 1 item" in shown.stdout, shown.stdout
    assert "Suppliers (suppliers)" in shown.stdout
    assert "Customers / Email (customers.mail), was email" in shown.stdout
    preview = results(book, "--check")
    assert state(project, staging) == before
    planned = preview[IMPORT_TASK]
    assert planned["summary"]["counts"]["items"]["added"] == 1, planned["summary"]
    assert planned["summary"]["counts"]["fields"]["renamed"] == 1
    assert any(t.upper() == "SHOP_SUPPLIERS" for t in planned["summary"]["tables"]["added"])

    done = results(book)
    assert done[IMPORT_TASK]["executed"] == planned["statements"]
    assert done[IMPORT_TASK]["summary"] == planned["summary"]
    again = results(book, "--check")
    assert again[IMPORT_TASK]["msg"] == "nothing to import" and not again[IMPORT_TASK]["changed"]


def test_data_loss_refused_until_the_role_allows_it(target_project, shop_versions, tmp_path):
    project = target_project("sqlite")
    results(write_book(tmp_path, project, shop_versions[0][1]))
    sql(project, ['INSERT INTO "SHOP_CUSTOMERS" ("NAME", "NOTES", "DELETED") '
                  "VALUES ('Ann', 'likes tea', 0)"])
    dropped = shop_versions[4]  # the field notes deleted
    assert dropped[0] == "delete_field customers notes"

    before = state(project, tmp_path / "staging")
    refused = run_playbook(write_book(tmp_path, project, dropped[1]), check=False)
    assert refused.returncode != 0
    assert "would destroy stored data" in refused.stdout
    assert "with the role jampy.deploy.migrate: jampy_migrate_allow_data_loss" in refused.stdout
    after = state(project, tmp_path / "staging")
    assert {k: v for k, v in after.items() if k != "staged"} == {
        k: v for k, v in before.items() if k != "staged"}

    done = results(write_book(tmp_path, project, dropped[1],
                              jampy_migrate_allow_data_loss=True))
    assert done[IMPORT_TASK]["changed"]
    assert done[IMPORT_TASK]["summary"]["fields"]["removed"] == [
        "Customers / Notes (customers.notes)"]
    columns = {c.name.upper() for c in reflect(project).tables["SHOP_CUSTOMERS"].columns}
    assert "NOTES" not in columns and "NAME" in columns


def test_missing_project_name_is_refused_at_once(tmp_path):
    book = tmp_path / "migrate.yml"
    book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                 "vars": {"jampy_migrate_zip": str(tmp_path / "shop.zip")},
                                 "roles": ["jampy.deploy.migrate"]}]))
    proc = run_playbook(book, check=False, env=JSON_OUTPUT)
    assert proc.returncode != 0
    found = parse(proc)
    assert list(found)[-1] == "Refuse a missing project name"
    assert found["Refuse a missing project name"]["msg"].startswith("jampy_project_name is required")
