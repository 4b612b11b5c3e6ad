"""Before an import changes anything: drift in the live database, and data it would
destroy, are refused by default (naming them) and allowed only when asked."""
import pytest
from sqlalchemy import text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUTS, LAYOUT_54)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import run as importing
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
    schema_from_metadata)
from tests.harness.admin_dump import dump_admin

METADATA_TABLES = LAYOUTS[LAYOUT_54].metadata_tables


def run_import(project, zip_path, check_mode=False, **options):
    return importing.run_import(project, zip_path, ImportOptions(import_delay=0, **options),
                                check_mode=check_mode)


def sql(project, *statements):
    engine = create_engine(Project(project).connection())
    try:
        with engine.begin() as conn:
            results = [conn.execute(text(s)) for s in statements]
            return [r.fetchall() if r.returns_rows else None for r in results]
    finally:
        engine.dispose()


def version(shop_versions, label):
    return next(z for name, z in shop_versions if name.startswith(label))


def drift_of(project):
    proj = Project(project)
    engine = create_engine(proj.connection())
    try:
        with engine.connect() as conn:
            return compare_schemas(schema_from_metadata(proj.metadata()),
                                   reflect_schema(conn, proj.connection()["db_type"]))
    finally:
        engine.dispose()


def test_a_column_added_by_hand_is_reported_before_anything_changes(shop_versions,
                                                                    target_project):
    target = target_project("postgresql")
    run_import(target, shop_versions[0][1])
    sql(target, "ALTER TABLE shop_customers ADD COLUMN vip_level INTEGER")
    admin = dump_admin(target, METADATA_TABLES)
    later = shop_versions[1][1]
    for check_mode in (True, False):
        with pytest.raises(JamDeployError) as refused:
            run_import(target, later, check_mode)
        message = str(refused.value)
        assert "table shop_customers: column vip_level INTEGER: not expected, found" in message
        assert "nothing was changed" in message
        assert dump_admin(target, METADATA_TABLES) == admin  # not even maintenance

    adopted = run_import(target, later, drift="adopt")
    assert adopted.changed and any("vip_level" in w for w in adopted.warnings)
    assert drift_of(target) == ["table shop_customers: column vip_level INTEGER: not expected, found"]
    assert not run_import(target, later, drift="adopt").changed


def test_adopt_still_refuses_a_missing_table(shop_versions, target_project):
    target = target_project("postgresql")
    run_import(target, shop_versions[0][1])
    sql(target, "DROP TABLE shop_order_lines")
    with pytest.raises(JamDeployError, match="table shop_order_lines: missing"):
        run_import(target, shop_versions[1][1], drift="adopt")


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_dropping_a_column_with_values_needs_consent(kind, shop_versions, target_project):
    target = target_project(kind)
    before_delete = next(i for i, (label, z) in enumerate(shop_versions)
                         if label.startswith("delete_field customers notes")) - 1
    for label, zip_path in shop_versions[:before_delete + 1]:
        run_import(target, zip_path)
    table, notes, name = (("SHOP_CUSTOMERS", "NOTES", "NAME") if kind == "sqlite"
                          else ("shop_customers", "notes", "name"))
    sql(target, f"INSERT INTO {table} ({name}, {notes}) VALUES ('Ann', 'likes tea')",
        f"INSERT INTO {table} ({name}) VALUES ('Bob')")
    deleting = shop_versions[before_delete + 1][1]
    with pytest.raises(JamDeployError) as refused:
        run_import(target, deleting)
    assert f"column {table}.{notes} would be dropped with its 1 values" in str(refused.value)

    done = run_import(target, deleting, allow_data_loss=True)
    assert done.data_loss == [f"column {table}.{notes} would be dropped with its 1 values"]
    rows = sql(target, f"SELECT {name} FROM {table} ORDER BY {name}")[0]
    assert [r[0] for r in rows] == ["Ann", "Bob"]
    assert drift_of(target) == []


def test_jam_info_reports_drift_on_its_own(shop_versions, target_project):
    from tests.harness.ansible_run import run_module

    target = target_project("postgresql")
    run_import(target, shop_versions[0][1])
    args = {"project_path": str(target), "check_drift": True}
    assert run_module("jampy.deploy.jam_info", args)["drift"] == []
    sql(target, "ALTER TABLE shop_orders ADD COLUMN note TEXT")
    assert run_module("jampy.deploy.jam_info", args)["drift"] == [
        "table shop_orders: column note TEXT: not expected, found"]


@pytest.fixture(scope="module")
def retyped_versions(tmp_path_factory):
    """(v1, v2, item ID): a catalog "notes", then - deleted in the Builder - its ID reused
    by a new detail table "memo" (Jam.py's SYS_ITEMS IDs are SQLite row IDs: the highest
    ID is handed out again once its row is deleted)."""
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
    from tests.harness import apps, projects

    root = tmp_path_factory.mktemp("retyped")
    dev = projects.create_project(root / "dev")
    built = apps.build(dev, [apps.complete(apps.sqlite_database()), *apps.SHOP_APP,
                             apps.add_item("catalogs", "notes", fields=[apps.field("text")])])
    v1 = export.export_project(Project(dev), root / "v1.zip").dest
    rebuilt = apps.build(dev, [apps.delete_item("notes"), apps.add_item(
        "details", "memo", fields=[apps.field("line"), apps.field("amount", type="integer")])])
    v2 = export.export_project(Project(dev), root / "v2.zip").dest
    item_id = built["items"]["notes"]["id"]
    assert rebuilt["items"]["memo"]["id"] == item_id
    assert rebuilt["items"]["memo"]["type_id"] != built["items"]["notes"]["type_id"]
    return v1, v2, item_id


@pytest.mark.parametrize("kind", ["sqlite", "postgresql", "mysql"])
def test_an_item_id_reused_for_another_type_is_replaced_on_request(kind, retyped_versions,
                                                                   target_project):
    from tests.harness.server import JamServer

    v1, v2, item_id = retyped_versions
    target = target_project(kind)
    run_import(target, v1)
    notes, memo = (("SHOP_NOTES", "SHOP_MEMO") if kind == "sqlite"
                   else ("shop_notes", "shop_memo"))
    admin = dump_admin(target, METADATA_TABLES)

    with pytest.raises(JamDeployError) as refused:  # as Jam.py: refused by default
        run_import(target, v2)
    assert f"Items with ID {item_id} (notes, memo) have different type values" in \
        str(refused.value)
    assert "replace_retyped_items" in str(refused.value)
    assert dump_admin(target, METADATA_TABLES) == admin

    checked = run_import(target, v2, check_mode=True, replace_retyped_items=True)
    quote = "`" if kind == "mysql" else '"'
    drop = next(i for i, s in enumerate(checked.statements)
                if s.startswith(f"DROP TABLE {quote}{notes}{quote}"))
    create = next(i for i, s in enumerate(checked.statements)
                  if s.startswith(f"CREATE TABLE {quote}{memo}{quote}"))
    assert drop < create
    retyped = next(c for c in checked.admin_changes if c.startswith(f"sys_items {item_id}: "))
    assert "'notes' → 'memo'" in retyped and "type_id: 10 → 12" in retyped

    sql(target, f"INSERT INTO {notes} ({'TEXT' if kind == 'sqlite' else 'text'}, "
                f"{'DELETED' if kind == 'sqlite' else 'deleted'}) VALUES ('kept?', 0)")
    with pytest.raises(JamDeployError) as lossy:
        run_import(target, v2, replace_retyped_items=True)
    assert f"table {notes} would be dropped with its 1 rows" in str(lossy.value)
    assert dump_admin(target, METADATA_TABLES) == admin
    assert sql(target, f"SELECT COUNT(*) FROM {notes}")[0][0][0] == 1

    done = run_import(target, v2, replace_retyped_items=True, allow_data_loss=True)
    assert done.changed and done.executed == checked.statements
    assert drift_of(target) == []
    assert not run_import(target, v2).changed
    with JamServer(target) as server:
        client = server.client()
        assert client.item_id("memo") == item_id
        assert client.open("memo") == []
