"""Column defaults of Jam.py 7.0.120 against the real release and real databases.

A 7.0.120 app with fields carrying defaults of every kind, built with 7.0.120's own
Builder functions (``jamside/builder70.py``) and exported by its own Export, imported by
7.0.120's own import and by ours into fresh SQLite, PostgreSQL and MariaDB databases:
equal reflected schemas (defaults included), the defaults applied to rows inserted with
plain SQL, a changed default planned in check mode and applied (SQLite: by a rebuild that
keeps every default and the rows), a default changed behind our back found as drift, a
text default with a quote (which Jam.py's own DDL cannot write), re-imports that change
nothing.
"""
import json
import zipfile

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
    schema_from_metadata)
from tests.harness import apps, jamenv, projects
from tests.harness.project_db import names, reflect, sql
from tests.harness.ansible_run import run_module

J70 = jamenv.ALL[-1]
KINDS = ["sqlite", "postgresql", "mysql"]

THINGS = [
    {"name": "t_text", "size": 50, "default": "abc"},
    {"name": "t_int", "type": "integer", "default": "5"},
    {"name": "t_float", "type": "float", "default": "1.5"},
    {"name": "t_cur", "type": "currency", "default": "2.25"},
    {"name": "t_date", "type": "date", "default": "current date"},
    {"name": "t_datetime", "type": "datetime", "default": "current datetime"},
    {"name": "t_bool", "type": "boolean", "default": "true"},
    {"name": "t_bool_false", "type": "boolean"},
    {"name": "t_longtext", "type": "longtext", "default": "long text"},
    {"name": "t_file", "type": "file", "default": "a.txt"},
    {"name": "t_image", "type": "image"},
    {"name": "t_list", "lookup_list": "Status", "default": "2"},
    {"name": "t_nodef", "size": 20},
]
APP = [
    {"op": "lookup_list", "name": "Status", "values": [[1, "New"], [2, "Done"]]},
    {"op": "add_item", "group": "catalogs", "name": "things", "fields": THINGS},
    {"op": "add_item", "group": "journals", "name": "orders", "fields": [
        {"name": "thing", "lookup": ["things", "t_text"]},
        {"name": "amount", "type": "currency", "default": "0"}]},
]
# The defaults of SHOP_THINGS as reflected (values; see schema.defaults).
THINGS_DEFAULTS = {
    "id": None, "deleted": "0", "record_version": "0", "t_text": "abc", "t_int": "5",
    "t_float": "1.5", "t_cur": "2.25", "t_date": None, "t_datetime": None, "t_bool": "1",
    "t_bool_false": "0", "t_longtext": "long text", "t_file": "a.txt", "t_image": None,
    "t_list": "2", "t_nodef": None}


def jams_export(project):
    return json.loads(J70.run_jamside("jam_export.py", project).stdout)["zip"]


def with_default(zip_path, dest, field_name, value):
    """A copy of the zip whose task.dat gives ``field_name`` another F_DEFAULT_VALUE."""
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(dest, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "task.dat":
                task = json.loads(data)
                names = task["sys_fields"]["fields"]
                for record in task["sys_fields"]["records"]:
                    if record[names.index("f_field_name")] == field_name:
                        record[names.index("f_default_value")] = value
                data = json.dumps(task).encode()
            out.writestr(info, data)
    return dest


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The app's zips, each exported by Jam.py 7.0.120: v1, then v2 with t_int's default
    changed from 5 to 7 in the Builder."""
    root = tmp_path_factory.mktemp("dev70")
    dev = projects.create_project(root / "dev", J70)
    apps.build(dev, [{"op": "complete", **apps.sqlite_database().as_connection()}, *APP],
               jam=J70)
    v1 = root / "v1.zip"
    v1.write_bytes(open(jams_export(dev), "rb").read())
    apps.build(dev, [{"op": "set_default", "item": "things", "field": "t_int",
                      "default": "7"}], jam=J70)
    v2 = root / "v2.zip"
    v2.write_bytes(open(jams_export(dev), "rb").read())
    return v1, v2


@pytest.fixture
def target(target_project):
    """``make(kind, name)``: a fresh 7.0.120 project completed for a new, empty database."""
    return lambda kind, name: target_project(kind, name, jam=J70)


def our_import(project, zip_path, check_mode=False, **options):
    return run_import(project, zip_path, ImportOptions(import_delay=0, **options),
                      check_mode=check_mode)


def defaults(schema, table):
    table = next(t for name, t in schema.tables.items() if name.lower() == table)
    return {c.name.lower(): c.default for c in table.columns}


@pytest.mark.parametrize("kind", KINDS)
def test_defaults_as_jam_70_creates_them(kind, versions, target, tmp_path):
    v1, v2 = versions
    n = names(kind)
    theirs, ours = target(kind, "jam"), target(kind, "ours")
    assert projects.jam_import(theirs, v1, J70)["success"]
    assert our_import(ours, v1).changed

    live = reflect(ours)
    assert compare_schemas(reflect(theirs), live) == []
    assert compare_schemas(schema_from_metadata(Project(ours).metadata()), live) == []
    assert defaults(live, "shop_things") == THINGS_DEFAULTS
    assert defaults(live, "shop_orders") == {
        "id": None, "deleted": None, "record_version": "0", "thing": None, "amount": "0"}

    # Rows inserted outside Jam.py get the defaults Jam.py's tables give them.
    insert = [f'INSERT INTO {n("shop_things")} ({n("t_nodef")}) VALUES (\'x\')',
              f'INSERT INTO {n("shop_orders")} ({n("thing")}) VALUES (1)',
              f'SELECT t.{n("deleted")}, t.{n("t_int")}, t.{n("t_bool")}, t.{n("t_text")}, '
              f'o.{n("deleted")}, o.{n("record_version")} FROM {n("shop_things")} t, '
              f'{n("shop_orders")} o']
    assert sql(theirs, insert) == sql(ours, insert) == [(0, 5, 1, "abc", None, 0)]
    assert not our_import(ours, v1).changed

    # A changed default: planned and shown in check mode, nothing changed yet.
    planned = our_import(ours, v2, check_mode=True)
    shown = "\n".join(planned.statements)
    if kind == "sqlite":  # Jam.py 7.0 rebuilds the table too; ours keeps every default
        assert planned.plan["schema"] == {"RebuildTable": 1}
        assert '"T_INT" INTEGER DEFAULT 7' in shown and '"DELETED" INTEGER DEFAULT 0' in shown
    else:
        assert planned.plan["schema"] == {"AlterColumnDefault": 1}
        assert shown.endswith("SET DEFAULT 7"), shown
    assert defaults(reflect(ours), "shop_things")["t_int"] == "5"

    assert our_import(ours, v2).changed
    after = reflect(ours)
    assert defaults(after, "shop_things") == {**THINGS_DEFAULTS, "t_int": "7"}
    assert compare_schemas(schema_from_metadata(Project(ours).metadata()), after) == []
    assert sql(ours, [f'SELECT {n("t_nodef")} FROM {n("shop_things")}']) == [("x",)]
    if kind != "sqlite":  # Jam.py refuses to import into a SQLite project with tables
        assert projects.jam_import(theirs, v2, J70)["success"]
        assert compare_schemas(reflect(theirs), after) == []
    assert not our_import(ours, v2).changed

    # A text default with a quote: Jam.py 7.0 writes it unescaped and its DDL fails (on
    # MariaDB its import logs the error and reports success), ours is escaped.
    v3 = with_default(v2, tmp_path / "v3.zip", "t_nodef", "O'Neil")
    assert our_import(ours, v3).changed
    assert defaults(reflect(ours), "shop_things")["t_nodef"] == "O'Neil"
    if kind != "sqlite":
        projects.jam_import(theirs, v3, J70)
        assert defaults(reflect(theirs), "shop_things")["t_nodef"] is None

    # A numeric default that is no number: refused before anything changes.
    v4 = with_default(v3, tmp_path / "v4.zip", "t_int", "7 apples")
    before, admin = reflect(ours), (ours / "admin.sqlite").read_bytes()
    with pytest.raises(JamDeployError, match=r"'7 apples' of field things.t_int .* is not an "
                                             r"integer; nothing was changed"):
        our_import(ours, v4)
    assert compare_schemas(before, reflect(ours)) == []
    assert (ours / "admin.sqlite").read_bytes() == admin


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_default_changed_behind_our_back_is_drift(kind, versions, target, tmp_path):
    v1, v2 = versions
    n = names(kind)
    ours = target(kind, "ours")
    our_import(ours, v1)
    # jam_import in check mode with --diff: the statement and the schema after
    shown = run_module("jampy.deploy.jam_import", {"project_path": str(ours), "src": str(v2)},
                       check_mode=True, diff=True)
    assert shown["changed"] and shown["statements"][-1].endswith("SET DEFAULT 7"), shown
    assert "t_int INTEGER DEFAULT 7" in shown["_output"]
    sql(ours, [f'ALTER TABLE {n("shop_things")} ALTER COLUMN {n("t_float")} SET DEFAULT 9'])
    with pytest.raises(JamDeployError) as refused:
        our_import(ours, v2)
    assert "table shop_things: column t_float: default 1.5 expected, default 9 found" in \
        str(refused.value)
    assert defaults(reflect(ours), "shop_things")["t_int"] == "5"  # nothing changed
    # adopt lives with it: the import changes what the archive changes
    assert our_import(ours, v2, drift="adopt").changed
    assert defaults(reflect(ours), "shop_things")["t_int"] == "7"
