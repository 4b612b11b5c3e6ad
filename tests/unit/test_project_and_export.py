"""Reading projects (5.4 and 7.0 layouts) and exporting them deterministically."""
import json
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import read as archive
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import layouts, project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import (
    JamDeployError, NotAProjectError)

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"


def project_from(admin_sqlite, folder):
    folder.mkdir()
    shutil.copy(admin_sqlite, folder / "admin.sqlite")
    return project.Project(folder)


def by_field_name(entry):
    """{id: {field: value}} of a task.dat entry, ignoring trailing lookup texts.

    F_JAM_VERSION is left out: a running Jam.py stamps its own version into SYS_PARAMS
    at start, so Jam.py 7.0.60's export says 7.0.60 where the stored file says 7.0.53.
    """
    fields = entry["fields"]
    return {r[fields.index("id")]: {f: v for f, v in zip(fields, r) if f != "f_jam_version"}
            for r in entry["records"]}


# SYS_PARAMS fields 7.0.120 adds to 7.0.60's, with what a 7.0.120 opening the 7.0.60 demo
# writes into the columns it adds: the two settings' defaults, no editor theme.
FIELDS_70_120 = {"f_show_select_sql": 0, "f_ace_theme": None, "f_modern_input_btns": 0}


def demo70_task_dat():
    """The 7.0.60 demo's task.dat as exported with 7.0.120's fields (the fallback table's
    when no Jam.py is installed)."""
    task = json.loads((JAM70 / "demo-task.dat").read_text())
    params = task["sys_params"]
    at = len(params["fields"])
    params["fields"] += list(FIELDS_70_120)
    for record in params["records"]:
        record[at:at] = list(FIELDS_70_120.values())
    return task


def test_jam70_demo_loads_and_matches_jam70_export(tmp_path):
    proj = project_from(JAM70 / "demo-admin.sqlite", tmp_path / "demo70")
    assert proj.layout == layouts.LAYOUT_70
    metadata = proj.metadata()
    expected = demo70_task_dat()
    assert metadata.db_type == expected["db_type"]
    assert list(metadata.tables) == [k for k in expected if k != "db_type"]
    for name, table in metadata.tables.items():
        assert table.fields == tuple(expected[name]["fields"]), name
        rows = {i: {f: v for f, v in row.items() if f != "f_jam_version"}
                for i, row in table.rows.items()}
        assert rows == by_field_name(expected[name]), name
    assert metadata.counts()["sys_items"] == 27 and metadata.counts()["sys_fields"] == 109


def test_jam70_template_and_demo_export_and_read_back(tmp_path):
    for source in ("template-admin.sqlite", "demo-admin.sqlite"):
        proj = project_from(JAM70 / source, tmp_path / source)
        result = export.export_project(proj, tmp_path / f"{source}.zip")
        loaded = archive.read_archive(result.dest)
        assert loaded.metadata.layout == layouts.LAYOUT_70
        assert loaded.metadata.fingerprint() == proj.metadata().fingerprint()
        assert loaded.metadata.to_task_data() == proj.metadata().to_task_data()


def test_jam70_export_task_dat_is_what_jam70_wrote(tmp_path):
    proj = project_from(JAM70 / "demo-admin.sqlite", tmp_path / "demo70")
    result = export.export_project(proj, tmp_path / "demo70.zip")
    with zipfile.ZipFile(result.dest) as zf:
        ours = json.loads(zf.read("task.dat"))
    theirs = demo70_task_dat()
    for name in theirs:
        if name == "db_type":
            assert ours[name] == theirs[name]
        else:
            assert ours[name]["fields"] == theirs[name]["fields"]
            assert by_field_name(ours[name]) == by_field_name(theirs[name])


def test_connection_password_is_never_shown(tmp_path):
    proj = project_from(JAM70 / "template-admin.sqlite", tmp_path / "p")
    con = sqlite3.connect(proj.admin_path)
    con.execute("UPDATE SYS_TASKS SET F_DB_TYPE=3, F_ALIAS='shop', F_LOGIN='u', "
                "F_PASSWORD='s3cret-pw', F_HOST='db', F_PORT='5432'")
    con.commit()
    con.close()
    conn = proj.connection()
    assert conn["password"] == "s3cret-pw"
    assert "s3cret-pw" not in repr(conn) and "s3cret-pw" not in json.dumps(conn.public())
    assert conn.public()["password_set"] is True and conn["db_type_name"] == "postgresql"


def test_reading_never_changes_admin_sqlite(tmp_path):
    proj = project_from(JAM70 / "demo-admin.sqlite", tmp_path / "p")
    before = proj.admin_path.read_bytes(), sorted(os.listdir(proj.path))
    proj.metadata(), proj.parameters(), proj.connection()
    assert (proj.admin_path.read_bytes(), sorted(os.listdir(proj.path))) == before


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "has no admin.sqlite"),
    (lambda p: (p.mkdir(), (p / "admin.sqlite").write_bytes(b"garbage" * 200)),
     "cannot be read as a SQLite database"),
    (lambda p: (p.mkdir(), sqlite3.connect(p / "admin.sqlite").execute("CREATE TABLE T (A)")),
     "tables SYS_ITEMS, SYS_FIELDS, SYS_PARAMS, SYS_TASKS are missing"),
])
def test_not_a_project(tmp_path, setup, message):
    folder = tmp_path / "p"
    setup(folder)
    with pytest.raises(NotAProjectError, match=message):
        project.Project(folder)


def make_site(tmp_path):
    proj = project_from(JAM70 / "demo-admin.sqlite", tmp_path / "site")
    root = proj.path
    files = {
        "index.html": "<html>", "templates.html": "<t>", "app.js": "1", "server.py": "no",
        "notes.txt": "no", "js/demo.js": "js", "css/project.css": "css",
        "static/img/a.png": "img", "static/js/lib.js": "lib", "static/files/upload.pdf": "no",
        "static/internal/old.zip": "no", "static/reports/r.ods": "no", "static/builder/b.js": "b",
        "utils/helper.py": "py", "utils/__pycache__/helper.cpython-311.pyc": "no",
        "reports/invoice.ods": "ods", "reports/invoice.xml": "no", "reports/lock.ods#": "no",
        "logs/import_2026-01-01_00-00-00.log": "no", "migration/x.zip": "no",
        "locks/$buildID_1_2": "no",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    os.symlink("/etc/hostname", root / "js" / "outside.js")
    return proj


def test_export_takes_the_files_jam_exports_and_skips_symlinks(tmp_path):
    proj = make_site(tmp_path)
    files, warnings = export.project_files(proj.path)
    assert [arcname for arcname, path in files] == [
        "app.js", "css/project.css", "index.html", "js/demo.js", "reports/invoice.ods",
        "static/builder/b.js", "static/img/a.png", "static/js/lib.js", "templates.html",
        "utils/helper.py"]
    assert warnings == ["skipped symbolic link js/outside.js"]


def test_export_is_deterministic_and_idempotent(tmp_path):
    proj = make_site(tmp_path)
    first = export.export_project(proj, tmp_path / "a.zip")
    second = export.export_project(proj, tmp_path / "b.zip")
    assert first.changed and second.changed
    assert Path(first.dest).read_bytes() == Path(second.dest).read_bytes()
    mtime = os.stat(first.dest).st_mtime_ns
    again = export.export_project(proj, first.dest)
    assert not again.changed and again.sha256 == first.sha256
    assert os.stat(first.dest).st_mtime_ns == mtime
    with zipfile.ZipFile(first.dest) as zf:
        names = zf.namelist()
        assert names[0] == "task.dat" and names[1:] == sorted(names[1:])
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_export_to_a_folder_uses_jams_name_and_finds_its_twin(tmp_path):
    import datetime

    proj = make_site(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    first = export.export_project(proj, out, now=datetime.datetime(2026, 1, 2, 3, 4, 5))
    assert Path(first.dest).name == "demo_1.7.09_7.0.53_2026-01-02_03-04-05.zip" and first.changed
    second = export.export_project(proj, out, now=datetime.datetime(2026, 1, 3, 0, 0, 0))
    assert not second.changed and second.dest == first.dest
    (proj.path / "js" / "demo.js").write_text("changed")
    third = export.export_project(proj, out, now=datetime.datetime(2026, 1, 3, 0, 0, 0))
    assert third.changed and third.dest != first.dest and len(os.listdir(out)) == 2


def test_check_mode_and_force(tmp_path):
    proj = make_site(tmp_path)
    dest = tmp_path / "x.zip"
    planned = export.export_project(proj, dest, check_mode=True)
    assert planned.changed and not dest.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".jam_export")]
    dest.write_bytes(b"old")
    kept = export.export_project(proj, dest, force=False)
    assert not kept.changed and dest.read_bytes() == b"old" and kept.warnings
    replaced = export.export_project(proj, dest)
    assert replaced.changed and replaced.sha256 == planned.sha256
    with pytest.raises(JamDeployError, match="does not exist"):
        export.export_project(proj, tmp_path / "missing" / "x.zip")
