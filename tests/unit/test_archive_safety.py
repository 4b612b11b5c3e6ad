"""Hostile and corrupt archives are refused with a message naming the problem, and
reading or refusing one writes nothing anywhere."""
import json
import os
import stat
import zipfile

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import read as archive
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUTS, LAYOUT_54)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import ArchiveError


def task_data(**overrides):
    """A minimal valid 5.4 task.dat document."""
    data = {"db_type": 1}
    for name in LAYOUTS[LAYOUT_54].metadata_tables:
        fields = list(LAYOUTS[LAYOUT_54].export_fields[name])
        data[name] = {"fields": fields, "records": []}
    data["sys_items"]["records"].append(
        [{"id": 1, "type_id": 5, "f_item_name": "shop"}.get(f) for f in data["sys_items"]["fields"]])
    data.update(overrides)
    return data


def make_zip(path, members, task=None):
    """members: list of (name, bytes) or (ZipInfo, bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if task is not False:
            zf.writestr("task.dat", json.dumps(task if task is not None else task_data()))
        for name, data in members:
            zf.writestr(name, data)
    return path


def symlink_info(name):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def fifo_info(name):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    return info


def bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("task.dat", json.dumps(task_data()))
        zf.writestr("js/bomb.js", b"\0" * (3 * 1024 * 1024))
    return path


def duplicate(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("task.dat", json.dumps(task_data()))
        zf.writestr("js/a.js", b"1")
        with pytest.warns(UserWarning):
            zf.writestr("js/a.js", b"2")
    return path


def raw_task(content):
    def build(path):
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("task.dat", content)
        return path
    return build


def roles(fields, records):
    """A task.dat whose sys_roles entry is the given one."""
    return task_data(sys_roles={"fields": fields, "records": records})


def raw_file(content):
    def build(path):
        path.write_bytes(content)
        return path
    return build


def items_record(**values):
    fields = LAYOUTS[LAYOUT_54].export_fields["sys_items"]
    base = {"id": 7, "type_id": 10, "f_item_name": "x", "f_table_name": "X"}
    base.update(values)
    return {"fields": list(fields), "records": [[base.get(f) for f in fields]]}


SMALL = archive.Limits(max_members=50, max_member_size=1024 * 1024,
                       max_total_size=2 * 1024 * 1024, max_task_dat_size=512 * 1024)

HOSTILE = {
    "not_a_zip": (raw_file(b"PK\x03\x04 this is no zip"), "is not a readable zip archive"),
    "empty_file": (raw_file(b""), "is not a readable zip archive"),
    "absolute_path": (lambda p: make_zip(p, [("/etc/cron.d/evil", b"x")]), "absolute path"),
    "windows_drive": (lambda p: make_zip(p, [("C:/evil.js", b"x")]), "absolute path"),
    "dot_dot": (lambda p: make_zip(p, [("js/../../evil.js", b"x")]), "climbs out"),
    "backslash": (lambda p: make_zip(p, [("js\\..\\..\\evil.js", b"x")]), "backslash"),
    "symlink": (lambda p: make_zip(p, [(symlink_info("js/link.js"), b"/etc/passwd")]),
                "symbolic link"),
    "fifo": (lambda p: make_zip(p, [(fifo_info("js/pipe.js"), b"")]), "special file"),
    "duplicate": (duplicate, "appears more than once"),
    "bomb_member": (bomb, "max_member_size"),
    "too_many_members": (lambda p: make_zip(p, [(f"js/{i}.js", b"") for i in range(60)]),
                         "max_members"),
    "outside_export_rules": (lambda p: make_zip(p, [("wsgi.py", b"import os")]),
                             "outside what a Jam.py export contains"),
    "admin_sqlite": (lambda p: make_zip(p, [("admin.sqlite", b"SQLite")]),
                     "outside what a Jam.py export contains"),
    "pyc_in_utils": (lambda p: make_zip(p, [("utils/x.pyc", b"\0")]), "outside"),
    "file_and_folder": (lambda p: make_zip(p, [("js/a", b"1"), ("js/a/b.js", b"2")]),
                        "both a file and a folder"),
    "no_task_dat": (lambda p: make_zip(p, [("js/a.js", b"1")], task=False), "has no task.dat"),
    "task_not_json": (raw_task(b"{not json"), "not valid JSON"),
    "task_not_utf8": (raw_task(b'{"db_type": "\xff\xfe"}'), "not UTF-8"),
    "task_is_list": (raw_task(b"[1, 2, 3]"), "must hold a JSON object"),
    "task_deeply_nested": (raw_task(b"[" * 100000 + b"]" * 100000), "nested too deeply"),
    "unknown_db_type": (lambda p: make_zip(p, [], task_data(db_type=11)), "not a Jam.py database type"),
    "db_type_string": (lambda p: make_zip(p, [], task_data(db_type="1")), "not a Jam.py database type"),
    "missing_table": (lambda p: make_zip(p, [], {k: v for k, v in task_data().items()
                                                 if k != "sys_fields"}), "no 'sys_fields' entry"),
    "fields_not_list": (lambda p: make_zip(p, [], roles("id", [])),
                        "sys_roles.fields must be a list"),
    "records_not_list": (lambda p: make_zip(p, [], roles(["id"], {})),
                         "sys_roles.records must be a list"),
    "short_record": (lambda p: make_zip(p, [], roles(["id", "f_name"], [[1]])),
                     "records[0] must be a list of at least 2"),
    "nested_value": (lambda p: make_zip(p, [], roles(["id", "f_name"], [[1, {"a": 1}]])),
                     "must be a string, number or null"),
    "string_id": (lambda p: make_zip(p, [], roles(["id", "f_name"], [["1", "x"]])),
                  "must be an integer"),
    "duplicate_id": (lambda p: make_zip(p, [], roles(["id", "f_name"], [[1, "a"], [1, "b"]])),
                     "two records with id 1"),
    "no_id_field": (lambda p: make_zip(p, [], roles(["f_name"], [])),
                    "has no 'id' field"),
    "bad_field_name": (lambda p: make_zip(p, [], roles(["id", "x; drop"], [])),
                       "invalid field name"),
    "sql_in_table_name": (lambda p: make_zip(p, [], task_data(sys_items=items_record(
        f_table_name='X"; DROP TABLE "SYS_USERS'))), "not a safe database identifier"),
    "quote_in_column": (lambda p: make_zip(p, [], task_data(sys_items=items_record(
        f_item_name="it's"))), "not a safe database identifier"),
    "huge_task_dat": (raw_task(b'{"db_type": 1, "x": "' + b"a" * (600 * 1024) + b'"}'),
                      "max_task_dat_size"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_is_refused_and_nothing_is_written(case, tmp_path, monkeypatch):
    build, expected = HOSTILE[case]
    zip_path = build(tmp_path / f"{case}.zip")
    watched = tmp_path / "watched"
    watched.mkdir()
    monkeypatch.chdir(watched)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ArchiveError) as excinfo:
        archive.read_archive(zip_path, SMALL)
    assert expected in str(excinfo.value)
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(watched) == []


def test_extraction_stays_in_the_fresh_folder_and_checks_real_sizes(tmp_path):
    zip_path = make_zip(tmp_path / "ok.zip", [("js/app.js", b"x" * 100), ("css/a.css", b"y")])
    result = archive.read_archive(zip_path, SMALL)
    assert result.files == ["css/a.css", "js/app.js"]
    dest = tmp_path / "out"
    dest.mkdir()
    result.extract_files(dest)
    assert (dest / "js" / "app.js").read_bytes() == b"x" * 100
    assert sorted(p.name for p in dest.rglob("*") if p.is_file()) == ["a.css", "app.js"]
    tight = archive.Limits(max_member_size=50)
    again = archive.Archive(result.path, result.sha256, result.metadata, result.files, limits=tight)
    other = tmp_path / "tight"
    other.mkdir()
    with pytest.raises(ArchiveError, match="max_member_size"):
        again.extract_files(other)


def test_extraction_refuses_a_folder_that_is_not_empty(tmp_path):
    result = archive.read_archive(make_zip(tmp_path / "ok.zip", [("js/a.js", b"1")]), SMALL)
    dest = tmp_path / "used"
    dest.mkdir()
    (dest / "keep").write_text("x")
    with pytest.raises(ArchiveError, match="not empty"):
        result.extract_files(dest)


def test_unknown_top_level_entries_are_reported_not_loaded(tmp_path):
    data = task_data(sys_users={"fields": ["id", "f_password"], "records": [[1, "111"]]})
    result = archive.read_archive(make_zip(tmp_path / "extra.zip", [], data), SMALL)
    assert "sys_users" not in result.metadata.tables
    assert any("sys_users" in w for w in result.warnings)


def test_lookup_texts_after_the_named_fields_are_ignored(tmp_path):
    data = roles(["id", "deleted", "f_name"], [[1, 0, "Administrator", "extra text"]])
    result = archive.read_archive(make_zip(tmp_path / "texts.zip", [], data), SMALL)
    assert result.metadata["sys_roles"].rows == {1: {"id": 1, "deleted": 0, "f_name": "Administrator"}}
