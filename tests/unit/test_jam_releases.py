"""The installed Jam.py read from its files (release, admin structure), the exported fields
taken from it, and the release lines an import accepts."""
import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import read as archive
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import (
    installed, layouts, releases)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"
NEW_FIELD = "f_future_switch"


def fake_jam(root, version, fields):
    """A Jam.py package in ``root``: jam/__init__.py with ``version`` and an admin structure
    holding ``fields`` ({item: names}) as Jam.py nests its items (groups, then details)."""
    package = root / "jam"
    (package / "admin").mkdir(parents=True)
    (package / "__init__.py").write_text(
        f"__version__ = {tuple(map(int, version.split('.')))}\n\n"
        "def version():\n    return '%s.%s.%s' % __version__\n")
    items = [[10, {"name": name, "table_name": name.upper(), "type": 10,
                   "fields": [[n, f.upper(), "caption", 2, 0] for n, f in enumerate(names, 1)],
                   "items": [[14, {"name": name, "table_name": name.upper(), "fields": []}]]}]
             for name, names in fields.items()]
    structure = {"items": [[6, {"name": "catalogs", "items": items}]]}
    (package / "admin" / "builder_structure.info").write_text(json.dumps(structure))
    return installed.find([str(root)])


def later_70_fields():
    """The 7.0 table with one SYS_PARAMS field more, as a later 7.0 release would have."""
    fields = dict(layouts.LAYOUTS[layouts.LAYOUT_70].export_fields)
    fields["sys_params"] = fields["sys_params"] + (NEW_FIELD,)
    return fields


def demo70(folder):
    folder.mkdir()
    shutil.copy(JAM70 / "demo-admin.sqlite", folder / "admin.sqlite")
    return Project(folder)


def demo54(folder):
    """A 5.4 project: the 7.0 demo's admin.sqlite without what marks 7.0."""
    project = demo70(folder)
    with closing(sqlite3.connect(project.admin_path)) as con:
        con.execute("DROP TABLE SYS_FIELD_PRIVILEGES")
        con.execute("ALTER TABLE SYS_ITEMS DROP COLUMN F_COPY_OF")
        con.commit()
    project = Project(folder)
    assert project.layout == layouts.LAYOUT_54
    return project


def test_find_reads_the_release_and_the_structure_without_importing(tmp_path):
    jam = fake_jam(tmp_path, "7.0.999", later_70_fields())
    assert (jam.version, jam.path) == ("7.0.999", str(tmp_path / "jam"))
    assert jam.admin_fields()["sys_params"][-1] == NEW_FIELD
    assert layouts.installed_layout(jam) == layouts.LAYOUT_70


def test_find_ignores_what_is_not_jam(tmp_path):
    assert installed.find([str(tmp_path)]) is None
    (tmp_path / "jam").mkdir()
    (tmp_path / "jam" / "__init__.py").write_text("print('another jam package')\n")
    assert installed.find([str(tmp_path)]) is None
    (tmp_path / "jam" / "__init__.py").write_text("__version__ = (7, 0, 1)\n")
    assert installed.find([str(tmp_path)]).admin_fields() == {}
    assert layouts.installed_layout(installed.find([str(tmp_path)])) is None


def test_export_fields_follow_an_installed_jam_of_the_same_layout(tmp_path):
    table70 = layouts.LAYOUTS[layouts.LAYOUT_70].export_fields
    table54 = layouts.LAYOUTS[layouts.LAYOUT_54].export_fields
    later = fake_jam(tmp_path / "later", "7.0.999", later_70_fields())
    fields = layouts.export_fields(layouts.LAYOUT_70, later)
    assert fields["sys_params"] == table70["sys_params"] + (NEW_FIELD,)
    assert {k: v for k, v in fields.items() if k != "sys_params"} == \
        {k: v for k, v in table70.items() if k != "sys_params"}
    # A 5.x install says nothing about 7.0 metadata, and nothing installed leaves the table.
    older = fake_jam(tmp_path / "older", "5.4.136", dict(table54))
    assert layouts.export_fields(layouts.LAYOUT_70, older) == table70
    assert layouts.export_fields(layouts.LAYOUT_54, later) == table54
    assert layouts.export_fields(layouts.LAYOUT_70, None) == table70
    # An item the structure lacks keeps the table's fields.
    partial = fake_jam(tmp_path / "partial", "7.0.999",
                       {"sys_items": table70["sys_items"], "sys_field_privileges": ()})
    assert layouts.export_fields(layouts.LAYOUT_70, partial)["sys_fields"] == \
        table70["sys_fields"]


def test_a_later_release_exports_and_reads_its_new_fields(tmp_path, monkeypatch):
    """Export and archive reading take the installed Jam.py's fields: a field a release adds
    reaches the zip (NULL where admin.sqlite has no column yet, as Jam.py's Export) and is
    kept when the zip is read."""
    project = demo70(tmp_path / "demo")
    with closing(sqlite3.connect(project.admin_path)) as con:
        con.execute(f"ALTER TABLE SYS_PARAMS ADD COLUMN {NEW_FIELD.upper()} INTEGER")
        con.execute(f"UPDATE SYS_PARAMS SET {NEW_FIELD.upper()} = 1")
        con.commit()
    monkeypatch.setattr(installed, "_FOUND",
                        {"jam": fake_jam(tmp_path / "site", "7.0.999", later_70_fields())})
    zip_path = export.export_project(Project(project.path), tmp_path / "later.zip").dest
    loaded = archive.read_archive(zip_path)
    params = loaded.metadata.tables["sys_params"]
    assert params.fields[-1] == NEW_FIELD
    assert [row[NEW_FIELD] for row in params.rows.values()] == [1]

    monkeypatch.setattr(installed, "_FOUND", {"jam": None})
    without = archive.read_archive(zip_path).metadata.tables["sys_params"]
    assert NEW_FIELD not in without.fields


@pytest.mark.parametrize("a, b, same", [
    ("5.4.136", "5.4.112", True),
    ("5.4.136", "5.5.4", True),
    ("5.5.4", "5.4.78", True),
    ("7.0.120", "7.0.115", True),
    ("7.0.120", "5.4.136", False),
    ("5.5.4", "7.0.120", False),
    ("7.1.0", "7.0.120", False),
    ("5.6.0", "5.5.4", False),
    ("7", "7.0.120", False),
    ("", "7.0.120", False),
])
def test_release_lines_that_share_metadata(a, b, same):
    assert releases.same_metadata(a, b) is same
    assert releases.same_metadata(b, a) is same


def test_release_line():
    assert releases.release_line("7.0.120") == "7.0"
    assert releases.release_line(" 5.4.136 ") == "5.4"
    assert releases.release_line("5.x") is None and releases.release_line(None) is None


def with_release(metadata, version):
    for row in metadata.tables["sys_params"].rows.values():
        row["f_jam_version"] = version
    return metadata


def test_an_archive_of_another_release_line_is_refused(tmp_path):
    project = demo70(tmp_path / "demo")
    stored = project.parameters()["jam_version"]
    assert releases.release_line(stored) == "7.0"
    metadata = project.metadata()
    assert releases.check_archive_release(
        project, with_release(metadata, "7.0.120"), jam=None) == ("7.0.120", stored)
    with pytest.raises(JamDeployError) as refused:
        releases.check_archive_release(project, with_release(metadata, "7.1.2"), jam=None)
    message = str(refused.value)
    assert "exported by Jam.py 7.1.2" in message and f"runs Jam.py {stored}" in message
    assert "the project's SYS_PARAMS" in message and "release line (7.0)" in message
    # No release in the archive: nothing to compare.
    assert releases.check_archive_release(
        project, with_release(metadata, None), jam=None) == (None, stored)


def test_the_installed_jam_is_the_projects_when_it_has_its_layout(tmp_path):
    project = demo70(tmp_path / "demo")
    metadata = with_release(project.metadata(), "7.0.60")
    later = fake_jam(tmp_path / "later", "7.1.0", later_70_fields())
    with pytest.raises(JamDeployError, match=r"runs Jam\.py 7\.1\.0 \(installed at .*\)"):
        releases.check_archive_release(project, metadata, jam=later)
    older = fake_jam(tmp_path / "older", "5.5.4", dict(layouts.LAYOUTS["5.4"].export_fields))
    assert releases.project_release(project, older) == (project.parameters()["jam_version"],
                                                        "the project's SYS_PARAMS")
    with pytest.raises(JamDeployError, match=r"release line \(5\.4 or 5\.5\)"):
        releases.check_archive_release(
            demo54(tmp_path / "demo54"), with_release(project.metadata(), "7.0.60"), jam=older)


WSGI_70 = '''import os

class App:
    @cached_property
    def production(self):
        return os.path.exists(os.path.join(self.work_dir, {name!r}))
'''


@pytest.mark.parametrize("wsgi, expected", [
    (WSGI_70.format(name="builder.html"), "builder.html"),
    # jam-secure-project.py rewrites the name in place (CRLF: the wheel's line endings).
    (WSGI_70.format(name="xybuilder.html").replace("\n", "\r\n"), "xybuilder.html"),
    ("class App:\n    pass\n", "builder.html"),  # 5.x has no App.production
    ("class App(:\n", "builder.html"),           # unreadable: the layout's name
], ids=["as released", "secured", "none", "unreadable"])
def test_the_production_file_is_the_installed_jams(wsgi, expected, tmp_path):
    jam = fake_jam(tmp_path, "7.0.999", later_70_fields())
    (tmp_path / "jam" / "wsgi.py").write_text(wsgi, newline="")
    assert layouts.production_file(layouts.LAYOUT_70, jam) == expected
    assert layouts.production_file(layouts.LAYOUT_54, jam) is None
    assert layouts.production_file(layouts.LAYOUT_70, None) == "builder.html"
