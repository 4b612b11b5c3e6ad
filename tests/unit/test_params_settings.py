"""SYS_PARAMS without a Jam.py: the 7.0.120 parameters (typed, refused for 5.x, written
into an admin.sqlite that lacks their columns) and the settings an admin.sqlite of an
earlier release lacks, exported with the values Jam.py writes there instead of NULL."""
import json
import shutil
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin.settings import (
    apply_settings, plan_settings)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import installed, params
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUT_54, LAYOUT_70)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"
# Settings columns Jam.py 5.4 releases before 5.4.136 lack (facts: report §2.5, §2.6).
LATER_SETTINGS = ("F_UPLOAD_FILE_EXT", "F_MAX_CONTENT_LENGTH", "F_FORMS_IN_TABS",
                  "F_FULL_WIDTH", "F_DELETE_REPORTS_AFTER")


def demo70(folder):
    """The 7.0.60 demo: its SYS_PARAMS has none of 7.0.120's three columns."""
    folder.mkdir()
    shutil.copy(JAM70 / "demo-admin.sqlite", folder / "admin.sqlite")
    return Project(folder)


def without_columns(project, columns):
    with closing(sqlite3.connect(project.admin_path)) as con:
        for column in columns:
            con.execute(f"ALTER TABLE SYS_PARAMS DROP COLUMN {column}")
        con.commit()
    return Project(project.path)


def sys_params(project):
    with closing(sqlite3.connect(project.admin_path)) as con:
        con.row_factory = sqlite3.Row
        return dict(con.execute("SELECT * FROM SYS_PARAMS").fetchone())


def test_70_120_parameters_are_typed_as_jam_reads_them():
    row = {"f_show_select_sql": 1, "f_modern_input_btns": None, "f_ace_theme": "3"}
    values = params.read_parameters(row, LAYOUT_70)
    assert (values["show_select_sql"], values["modern_input_btns"], values["ace_theme"]) == \
        (True, False, "hc-black")
    # the Builder's editor falls back to vs for an empty or unknown theme
    assert params.read_parameters({"f_ace_theme": "9"}, LAYOUT_70)["ace_theme"] == "vs"
    assert not {"show_select_sql", "modern_input_btns", "ace_theme"} & set(
        params.read_parameters({}, LAYOUT_54))
    assert params.stored("ace_theme", "vs-dark") == "2" and params.stored("safe_mode", True) == 1


@pytest.mark.parametrize("desired, message", [
    ({"show_select_sql": True}, "parameter show_select_sql exists in Jam.py 7.0 projects only; "
                                "this is a Jam.py 5.4 project"),
    ({"ace_theme": "vs"}, "parameter ace_theme exists in Jam.py 7.0 projects only"),
])
def test_70_120_parameters_are_refused_for_5x(desired, message):
    with pytest.raises(JamDeployError, match=message):
        params.check_values(desired, LAYOUT_54)


def test_ace_theme_names_its_choices():
    with pytest.raises(JamDeployError, match="ace_theme must be one of vs, vs-dark, hc-black, "
                                             "hc-light, not 'dark'"):
        params.check_values({"ace_theme": "dark"}, LAYOUT_70)


def test_setting_defaults_from_the_installed_jam_else_the_table(tmp_path):
    table = params.setting_defaults(LAYOUT_70, jam=None)
    assert {k: table[k] for k in ("f_upload_file_ext", "f_max_content_length",
                                  "f_forms_in_tabs", "f_full_width", "f_delete_reports_after",
                                  "f_show_select_sql", "f_modern_input_btns")} == {
        "f_upload_file_ext": ".txt, .csv", "f_max_content_length": 0, "f_forms_in_tabs": 1,
        "f_full_width": 0, "f_delete_reports_after": 0, "f_show_select_sql": 0,
        "f_modern_input_btns": 0}
    assert "f_ace_theme" not in table and "f_production" not in table  # not settings
    assert "f_show_select_sql" not in params.setting_defaults(LAYOUT_54, jam=None)

    package = tmp_path / "jam"
    package.mkdir()
    (package / "common.py").write_text(
        "class Consts(object):\n    DEFAULT_SETTINGS = {\n        'FULL_WIDTH': True,\n"
        "        'UPLOAD_FILE_EXT': '.pdf'\n    }\n")
    jam = installed.InstalledJam("7.0.999", str(package))
    from_jam = params.setting_defaults(LAYOUT_70, jam=jam)
    assert (from_jam["f_full_width"], from_jam["f_upload_file_ext"]) == (1, ".pdf")
    assert from_jam["f_forms_in_tabs"] == 1  # not in that Jam.py's settings: the table's


def test_settings_an_earlier_release_lacks_are_exported_as_jam_writes_them(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(installed, "_FOUND", {"jam": None})
    project = without_columns(demo70(tmp_path / "old"), LATER_SETTINGS)
    row = next(iter(project.metadata().tables["sys_params"].rows.values()))
    expected = {"f_upload_file_ext": ".txt, .csv", "f_max_content_length": 0,
                "f_forms_in_tabs": 1, "f_full_width": 0, "f_delete_reports_after": 0,
                # 7.0.120's, absent from the 7.0.60 demo too; no editor theme
                "f_show_select_sql": 0, "f_modern_input_btns": 0, "f_ace_theme": None}
    assert {k: row[k] for k in expected} == expected
    dest = export.export_project(project, tmp_path / "old.zip").dest
    with zipfile.ZipFile(dest) as zf:
        task = json.loads(zf.read("task.dat"))
    fields, (record,) = task["sys_params"]["fields"], task["sys_params"]["records"]
    assert {k: record[fields.index(k)] for k in expected} == expected
    # a column that exists keeps its value, NULL included
    with closing(sqlite3.connect(project.admin_path)) as con:
        con.execute("ALTER TABLE SYS_PARAMS ADD COLUMN F_FULL_WIDTH INTEGER")
        con.commit()
    row = next(iter(Project(project.path).metadata().tables["sys_params"].rows.values()))
    assert row["f_full_width"] is None


def test_jam_params_adds_a_70_120_column_the_project_lacks(tmp_path):
    project = demo70(tmp_path / "demo")
    assert "F_ACE_THEME" not in sys_params(project)
    changes = plan_settings(project, {"ace_theme": "hc-light", "show_select_sql": True})
    assert changes == {"ace_theme": ("vs", "hc-light"), "show_select_sql": (False, True)}
    apply_settings(project, changes)
    stored = sys_params(project)
    assert (stored["F_ACE_THEME"], stored["F_SHOW_SELECT_SQL"]) == ("4", 1)
    again = Project(project.path)
    assert plan_settings(again, {"ace_theme": "hc-light", "show_select_sql": True}) == {}
