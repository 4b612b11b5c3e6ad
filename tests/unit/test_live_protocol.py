"""The import window of Jam.py 7.x (jam.protocol LIVE) and the drops it defers: which
steps wait until processes reload, and version counters that always go past the marker's."""
import shutil
import sqlite3
from contextlib import closing

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.registry import dialect_for
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import protocol
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import deferred
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.plan import (
    Plan, schema_steps)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.render import (
    render_plan)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    Unexpected)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    Column, Schema, Table)
from tests.conftest import JAM70

SQLITE, POSTGRESQL = 1, 3


def table(name, item_id, *columns):
    cols = [Column("id", "INTEGER", primary_key=True, nullable=False, field_id=item_id * 100)]
    cols += [Column(c, "VARCHAR(20)", field_id=fid) for c, fid in columns]
    return Table(name, cols, item_id=item_id)


def split(old_tables, new_tables, db_type=POSTGRESQL):
    old = Schema(db_type, {t.name: t for t in old_tables})
    new = Schema(db_type, {t.name: t for t in new_tables})
    steps = schema_steps(old, new, dialect_for(db_type))
    return deferred.split(render_plan(Plan(steps, [], old, new), db_type))


def test_drops_of_columns_and_tables_wait_and_the_rest_runs_now():
    now, later = split(
        [table("customers", 1, ("fax", 11), ("name", 12)), table("regions", 2)],
        [table("customers", 1, ("name", 12), ("loyalty", 13))])
    assert [step.describe() for step, sqls in now] == [
        "add column customers.loyalty VARCHAR(20)"]
    assert [e["leaves"] for e in later] == [
        [["table", None, "regions"]], [["column", "customers", "fax"]]]
    assert all(e["sql"] for e in later)
    assert deferred.pending(Unexpected("column", "fax", "customers"), later)
    assert not deferred.pending(Unexpected("column", "name", "customers"), later)
    before = Schema(POSTGRESQL, {"customers": table("customers", 1, ("fax", 11))})
    after = Schema(POSTGRESQL, {"customers": table("customers", 1)})
    assert deferred.still_there(later[1], before) and not deferred.still_there(later[1], after)
    assert not deferred.still_there(later[0], before)


def test_a_drop_whose_name_the_plan_creates_again_runs_in_place():
    now, later = split([table("customers", 1, ("code", 11))],
                       [table("customers", 1, ("code", 12))])
    assert [step.describe() for step, sqls in now] == [
        "drop column customers.code", "add column customers.code VARCHAR(20)"]
    assert later == []


def test_a_sqlite_rebuild_waits_when_it_only_drops_and_runs_in_place_otherwise():
    customers = table("customers", 1, ("fax", 11), ("name", 12))
    now, later = split([customers], [table("customers", 1, ("name", 12))], SQLITE)
    assert now == [] and [e["describe"] for e in later] == [
        "rebuild table customers (move and copy)"]
    assert later[0]["leaves"] == [["column", "customers", "fax"]]
    now, later = split([customers], [table("customers", 1, ("fax", 11), ("title", 12))],
                       SQLITE)
    assert [step.describe() for step, sqls in now] == [
        "rebuild table customers (move and copy)"] and later == []


def project_with_marker(tmp_path, marker):
    project = tmp_path / "project"
    (project / "locks").mkdir(parents=True)
    shutil.copy(JAM70 / "template-admin.sqlite", project / "admin.sqlite")
    (project / "locks" / marker).touch()
    return project


def set_counters(project, assignments):
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        con.execute(f"UPDATE SYS_PARAMS SET {assignments}")
        con.commit()


def markers(project):
    return [p.name for p in (project / "locks").iterdir() if p.name.startswith("$buildID")]


def test_bumps_go_past_a_marker_ahead_of_the_counters(tmp_path):
    # A process's first task load wrote back older counters than the marker names.
    project = project_with_marker(tmp_path, "$buildID_7_40")
    set_counters(project, "F_BUILD_VERSION = 3, F_PARAMS_VERSION = 30, F_MODIFICATION = 5, "
                 "F_MAINTENANCE = 0")
    versions = protocol.maintenance_off(project, project / "admin.sqlite", success=True)
    assert versions == {"build_version": 8, "params_version": 41, "modification": 6}
    assert markers(project) == ["$buildID_8_41"]
    assert protocol.read_counters(project / "admin.sqlite") == (8, 41, 6)


def test_settling_repairs_counters_written_back_below_the_import(tmp_path):
    project = project_with_marker(tmp_path, "$buildID_8_41")
    set_counters(project, "F_BUILD_VERSION = 3, F_PARAMS_VERSION = 30, F_MODIFICATION = 5")
    repairs = protocol.settle_counters(project, project / "admin.sqlite", (8, 41, 6), wait=0)
    assert repairs == 1
    assert protocol.read_counters(project / "admin.sqlite") == (9, 42, 7)
    assert markers(project) == ["$buildID_9_42"]


def test_window_modes_by_layout():
    assert protocol.window_mode("5.4") == protocol.FLAG
    assert protocol.window_mode("7.0") == protocol.LIVE
