"""Every supported Jam.py release (5.4.136, 5.5.4, 7.0.120) against this collection:
parameters noticed by a running process, the export of the release's sdist demo compared
with the release's own Export and imported by the release's own import, and jam_import's
check of the release that exported a zip."""
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from tests.harness import jamenv, projects
from tests.harness.admin_dump import dump_admin
from tests.harness.ansible_run import run_module
from tests.harness.server import NOT_LOGGED, RESPONSE, JamServer

RELEASES = pytest.mark.parametrize("jam", jamenv.ALL, ids=str)
J54, J55, J70 = jamenv.ALL
ADMIN_TABLES = ("sys_items", "sys_fields", "sys_indices", "sys_filters", "sys_report_params",
                "sys_roles", "sys_privileges", "sys_lookup_lists")


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fresh_project(folder, jam):
    """A project made by the release's script, completed for SQLite by jam_project run by
    the release's Python (as the project role does)."""
    project = projects.create_project(folder, jam)
    run_module("jampy.deploy.jam_project", {
        "project_path": str(project), "name": "Demo", "item_name": "demo",
        "db_type": "sqlite", "database": "demo.sqlite"}, python=jam.python())
    return project


def jams_export(project, jam):
    """The zip of the release's own Export of the project."""
    return Path(json.loads(jam.run_jamside("jam_export.py", project).stdout)["zip"])


def our_export(project, dest, jam):
    """jam_export run by the release's Python (its admin structure installed)."""
    return Path(run_module("jampy.deploy.jam_export", {
        "project_path": str(project), "dest": str(dest)}, python=jam.python())["dest"])


def task_dat(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        return json.loads(zf.read("task.dat"))


def by_field_name(entry):
    """{id: {field: value}} of a task.dat entry, without the trailing lookup texts."""
    names = entry["fields"]
    return {r[names.index("id")]: dict(zip(names, r)) for r in entry["records"]}


def with_jam_version(zip_path, dest, version):
    """A copy of the zip whose SYS_PARAMS say another Jam.py release exported it."""
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(dest, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "task.dat":
                task = json.loads(data)
                params = task["sys_params"]
                column = params["fields"].index("f_jam_version")
                for record in params["records"]:
                    record[column] = version
                data = json.dumps(task).encode()
            out.writestr(info, data)
    return dest


@RELEASES
def test_a_running_process_notices_safe_mode(jam, tmp_path):
    demo = projects.copy_demo(tmp_path / "demo", jam)
    args = {"project_path": str(demo)}
    with JamServer(demo, jam=jam) as server:
        assert server.client().status("load") == RESPONSE
        run_module("jampy.deploy.jam_params", {**args, "safe_mode": True}, python=jam.python())
        assert server.client().status("load") == NOT_LOGGED
        run_module("jampy.deploy.jam_params", {**args, "safe_mode": False}, python=jam.python())
        assert server.client().status("load") == RESPONSE


@RELEASES
def test_our_export_of_the_demo_is_jams_own_and_its_import_takes_it(jam, tmp_path):
    dev = projects.copy_demo(tmp_path / "dev", jam)
    theirs = jams_export(dev, jam)
    ours = our_export(dev, tmp_path / "ours.zip", jam)
    jam_task, our_task = task_dat(theirs), task_dat(ours)
    assert list(our_task) == list(jam_task)
    for name in jam_task:
        if name == "db_type":
            assert our_task[name] == jam_task[name]
            continue
        assert our_task[name]["fields"] == jam_task[name]["fields"], name
        assert by_field_name(our_task[name]) == by_field_name(jam_task[name]), name

    from_theirs, from_ours = (fresh_project(tmp_path / name, jam) for name in ("t", "o"))
    for target, zip_path in ((from_theirs, theirs), (from_ours, ours)):
        result = projects.jam_import(target, zip_path, jam)
        assert result["success"] and not result["error"], result
    tables = ADMIN_TABLES + (("sys_field_privileges",) if jam.major >= 7 else ())
    expected = dump_admin(from_theirs, tables)
    assert expected["SYS_ITEMS"] and dump_admin(from_ours, tables) == expected


def test_jams_70_export_has_the_fields_70_60_lacked(tmp_path):
    """Jam.py 7.0.120's Export writes three SYS_PARAMS fields 7.0.60 lacked: jam_export
    takes them from the installed Jam.py (test_settings_releases.py: and from its fallback
    table without one)."""
    dev = projects.copy_demo(tmp_path / "dev", J70)
    fields = task_dat(our_export(dev, tmp_path / "ours.zip", J70))["sys_params"]["fields"]
    assert fields[-3:] == ["f_show_select_sql", "f_ace_theme", "f_modern_input_btns"]


def test_jam_55_imports_a_54_export_and_so_does_jam_import(tmp_path):
    """5.4 and 5.5 are one release line: Jam.py 5.5.4's import takes 5.4.136's Export
    (the same admin tables as 5.4.136's own import), and jam_import accepts it too."""
    dev = projects.copy_demo(tmp_path / "dev", J54)
    zip_path = jams_export(dev, J54)
    assert task_dat(zip_path)["sys_params"]["records"][0][
        task_dat(zip_path)["sys_params"]["fields"].index("f_jam_version")] == "5.4.136"
    in_55, in_54 = fresh_project(tmp_path / "p55", J55), fresh_project(tmp_path / "p54", J54)
    assert projects.jam_import(in_55, zip_path, J55)["success"]
    assert projects.jam_import(in_54, zip_path, J54)["success"]
    assert dump_admin(in_55, ADMIN_TABLES) == dump_admin(in_54, ADMIN_TABLES)

    target = fresh_project(tmp_path / "target", J55)
    checked = run_module("jampy.deploy.jam_import", {"project_path": str(target),
                                                     "src": str(zip_path)},
                         check_mode=True, python=J55.python())
    assert checked["changed"] and checked["plan"]


@pytest.mark.parametrize("jam, exported, message", [
    (J70, "7.1.0", "runs Jam.py 7.0.120 (installed at "),
    (J55, None, "runs Jam.py 5.5.4 (installed at "),
], ids=["7.1 zip into 7.0", "7.0 zip into 5.5"])
def test_jam_import_refuses_a_zip_of_another_release_line(jam, exported, message, tmp_path):
    dev = projects.copy_demo(tmp_path / "dev", J70)
    zip_path = jams_export(dev, J70)
    if exported:
        zip_path = with_jam_version(zip_path, tmp_path / "other.zip", exported)
    target = fresh_project(tmp_path / "target", jam)
    before = sha(target / "admin.sqlite")
    refused = run_module("jampy.deploy.jam_import", {"project_path": str(target),
                                                     "src": str(zip_path)},
                         python=jam.python(), expect_failure=True)
    assert f"exported by Jam.py {exported or '7.0.120'}" in refused["msg"], refused["msg"]
    assert message in refused["msg"] and "release line" in refused["msg"]
    assert sha(target / "admin.sqlite") == before
