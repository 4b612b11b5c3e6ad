"""Jam.py's known omissions told from drift, and the plan steps that repair them or replace
an item whose ID was reused for another type (offline, on schema models)."""
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.registry import dialect_for
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import omissions
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.plan import schema_steps
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.steps import (
    AddColumn, CreateTable, DropTable, RebuildTable)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    differences)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    Column, ForeignKey, Schema, Table)


def invoices(*extra, fks=True, item_id=16):
    return Table("INV", [Column("ID", "INTEGER", True, field_id=1),
                         Column("CUSTOMER", "INTEGER", field_id=2), *extra],
                 foreign_keys=[ForeignKey(None, ("CUSTOMER",), "CUST", ("ID",), 5)] if fks else [],
                 item_id=item_id)


def sqlite(*tables):
    return Schema(j.SQLITE, {t.name: t for t in tables})


def recognise(expected, live, db_type=j.SQLITE, calculated=frozenset()):
    known, drift = omissions.recognise(differences(expected, live), omissions.Context(
        dialect_for(db_type), calculated))
    return [(o.kind.name, str(o.difference)) for o in known], [str(d) for d in drift]


def test_missing_sqlite_foreign_keys_and_calculated_columns_are_omissions_not_drift():
    expected = sqlite(invoices())
    live = sqlite(invoices(Column("TOTAL", "REAL"), Column("HAND", "TEXT"), fks=False))
    known, drift = recognise(expected, live, calculated=frozenset({("INV", "TOTAL")}))
    assert known == [
        ("calculated field column", "table INV: column TOTAL REAL: not expected, found"),
        ("SQLite foreign key", "table INV: foreign key (CUSTOMER) references CUST (ID): missing")]
    assert drift == ["table INV: column HAND TEXT: not expected, found"]
    assert omissions.tables_to_repair(omissions.recognise(
        differences(expected, live), omissions.Context(dialect_for(j.SQLITE)))[0]) == {"INV"}


def test_the_index_of_an_item_copy_is_an_omission_only_on_the_copys_table():
    from types import SimpleNamespace

    from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
        LAYOUT_54, LAYOUT_70)
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
        copy_indexes)
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import Index

    items = {6: {"id": 6, "f_table_name": "cust"},
             10: {"id": 10, "f_table_name": "cust", "f_copy_of": 6}}
    indices = {1: {"id": 1, "owner_rec_id": 10, "f_index_name": "vip_city_idx"},
               2: {"id": 2, "owner_rec_id": 10, "f_index_name": "FK_X", "f_foreign_index": 1},
               3: {"id": 3, "owner_rec_id": 6, "f_index_name": "cust_idx"}}
    metadata = SimpleNamespace(layout=LAYOUT_70, items=items, indices=indices)
    found = copy_indexes(metadata)
    assert found == frozenset({("CUST", "VIP_CITY_IDX")})
    assert copy_indexes(SimpleNamespace(layout=LAYOUT_54, items=items, indices=indices)) == \
        frozenset()

    cust = Table("CUST", [Column("ID", "INTEGER", True, field_id=1),
                          Column("CITY", "TEXT", field_id=2)])
    live = Table("CUST", cust.columns, indexes=[Index("vip_city_idx", (("CITY", False),)),
                                                Index("other_idx", (("CITY", True),))])
    known, drift = omissions.recognise(
        differences(sqlite(cust), sqlite(live)),
        omissions.Context(dialect_for(j.SQLITE), copy_indexes=found))
    assert [(o.kind.name, o.difference.name) for o in known] == [
        ("item copy index", "vip_city_idx")]
    assert [d.name for d in drift] == ["other_idx"]


def test_a_missing_foreign_key_is_drift_where_jam_creates_them():
    named = ForeignKey("fk_inv_customer", ("CUSTOMER",), "CUST", ("ID",), 5)
    expected = Schema(j.POSTGRESQL, {"INV": Table("INV", invoices().columns, foreign_keys=[named])})
    live = Schema(j.POSTGRESQL, {"INV": Table("INV", invoices().columns)})
    known, drift = recognise(expected, live, j.POSTGRESQL)
    assert known == [] and drift == [
        "table INV: foreign key fk_inv_customer (CUSTOMER) references CUST (ID): missing"]


def test_a_table_with_omissions_is_rebuilt_when_it_changes_or_when_asked():
    dialect = dialect_for(j.SQLITE)
    old, same = sqlite(invoices()), sqlite(invoices())
    new = sqlite(invoices(Column("NOTE", "TEXT", field_id=3)))
    assert [type(s) for s in schema_steps(old, new, dialect)] == [AddColumn]
    assert [type(s) for s in schema_steps(old, new, dialect, {"INV"})] == [RebuildTable]
    assert schema_steps(old, same, dialect, {"INV"}) == []  # unchanged: left for later
    rebuilt = schema_steps(old, same, dialect, {"INV"}, repair_now=True)
    assert [type(s) for s in rebuilt] == [RebuildTable]
    assert rebuilt[0].new.foreign_keys and rebuilt[0].copy_columns == (
        ("ID", "ID"), ("CUSTOMER", "CUSTOMER"))


def test_an_item_id_reused_for_another_type_drops_and_creates():
    dialect = dialect_for(j.SQLITE)
    old = sqlite(Table("NOTES", [Column("ID", "INTEGER", True, field_id=1)], item_id=30))
    new = sqlite(Table("MEMO", [Column("ID", "INTEGER", True, field_id=7)], item_id=30))
    steps = schema_steps(old, new, dialect, replaced={30})
    assert [(type(s), s.table.name) for s in steps] == [(DropTable, "NOTES"),
                                                        (CreateTable, "MEMO")]
    same_name = sqlite(Table("NOTES", [Column("ID", "INTEGER", True, field_id=7)], item_id=30))
    assert [type(s) for s in schema_steps(old, same_name, dialect, replaced={30})] == [
        DropTable, CreateTable]


def test_calculated_columns_of_the_70_demo(tmp_path):
    import shutil
    from pathlib import Path

    from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
        calculated_columns)

    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "jam70" / "demo-admin.sqlite",
                tmp_path / "admin.sqlite")
    assert ("DEMO_TRACKS", "TRACKS_SOLD") in calculated_columns(Project(tmp_path).metadata())


def test_an_index_an_import_created_and_left_is_an_omission_dropped_with_the_next_change(
        tmp_path):
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.import_log import (
        logged_indexes)
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.render import (
        render_plan)
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.plan import Plan
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.steps import (
        DropIndex)
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import Index

    # Jam.py 7.0.120's logs on PostgreSQL: the copy's index created, the copy deleted later
    # without a DROP; another index created and dropped again.
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "import_2026-01-01_10-00-00.log").write_text(
        'THE METADATA HAVE BEEN SUCCESSFULLY IMPORTED\n\n'
        'CREATE  INDEX IF NOT EXISTS "vip_city_idx" ON "cust" ("city")\n'
        'CREATE UNIQUE INDEX IF NOT EXISTS "gone_idx" ON "cust" ("city")\n')
    (tmp_path / "logs" / "import_2026-01-02_10-00-00.log").write_text(
        'THE METADATA HAVE BEEN SUCCESSFULLY IMPORTED\n\nDROP INDEX IF EXISTS "gone_idx"\n')
    assert logged_indexes(tmp_path) == frozenset({("CUST", "VIP_CITY_IDX")})
    assert logged_indexes(tmp_path / "nowhere") == frozenset()

    cust = Table("cust", [Column("id", "INTEGER", True, field_id=1),
                          Column("city", "TEXT", field_id=2)], item_id=6)
    live = Table("cust", cust.columns, indexes=[Index("vip_city_idx", (("city", False),)),
                                                Index("hand_idx", (("city", False),))])
    pg = Schema(j.POSTGRESQL, {"cust": cust})
    known, drift = omissions.recognise(
        differences(pg, Schema(j.POSTGRESQL, {"cust": live})),
        omissions.Context(dialect_for(j.POSTGRESQL), logged_indexes=logged_indexes(tmp_path)))
    assert [(o.kind.name, o.difference.name) for o in known] == [
        ("index left by an import", "vip_city_idx")]
    assert [d.name for d in drift] == ["hand_idx"]  # made by hand: drift

    repair, leftovers = omissions.tables_to_repair(known), omissions.leftover_indexes(known)
    dialect = dialect_for(j.POSTGRESQL)
    changed = Schema(j.POSTGRESQL, {"cust": Table("cust", [
        *cust.columns, Column("note", "TEXT", field_id=3)], item_id=6)})
    assert schema_steps(pg, pg, dialect, repair, leftovers=leftovers) == []
    steps = schema_steps(pg, changed, dialect, repair, leftovers=leftovers)
    assert [type(s) for s in steps] == [DropIndex, AddColumn]
    assert [type(s) for s in schema_steps(pg, pg, dialect, repair, repair_now=True,
                                          leftovers=leftovers)] == [DropIndex]
    for db_type, expected in ((j.POSTGRESQL, 'DROP INDEX "vip_city_idx"'),
                              (j.MYSQL, "DROP INDEX `vip_city_idx` ON `cust`")):
        sqls = [sql for step, statements in render_plan(
            Plan(steps, [], Schema(db_type, pg.tables), Schema(db_type, changed.tables)),
            db_type) for sql in statements]
        assert sqls[0] == expected, sqls
