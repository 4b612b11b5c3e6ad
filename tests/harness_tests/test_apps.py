"""The app-building harness: SHOP_APP built with Jam.py's own Builder code, checked in the
project database (plain drivers) and in admin.sqlite, on SQLite, PostgreSQL and MariaDB."""
import json
import sqlite3
from dataclasses import dataclass, field

import pytest

from tests.harness import apps, projects
from tests.harness.databases import HOST


@dataclass
class Table:
    columns: dict = field(default_factory=dict)   # name -> (type, text length or None)
    indexes: dict = field(default_factory=dict)   # name -> (unique, ((column, desc), ...))
    fks: set = field(default_factory=set)         # (constraint, column, ref table, ref column)


def sqlite_schema(path):
    con = sqlite3.connect(path)
    try:
        tables = {}
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            t = tables[name] = Table()
            for cid, col, type_, *rest in con.execute(f'PRAGMA table_info("{name}")'):
                t.columns[col] = (type_, None)
            for seq, index, unique, origin, partial in con.execute(f'PRAGMA index_list("{name}")'):
                if origin == "c":
                    cols = tuple((r[2], bool(r[3])) for r in
                                 con.execute(f'PRAGMA index_xinfo("{index}")') if r[5])
                    t.indexes[index] = (bool(unique), cols)
            for fk in con.execute(f'PRAGMA foreign_key_list("{name}")'):
                t.fks.add((None, fk[3], fk[2], fk[4]))
        return tables, set()
    finally:
        con.close()


def pg_schema(db):
    import psycopg2

    con = psycopg2.connect(host=HOST, port=db.port, user=db.user, password=db.password,
                           dbname=db.database)
    try:
        cur = con.cursor()
        tables = {}
        cur.execute("SELECT table_name, column_name, data_type, character_maximum_length "
                    "FROM information_schema.columns WHERE table_schema = 'public' "
                    "ORDER BY table_name, ordinal_position")
        for table, col, type_, length in cur.fetchall():
            tables.setdefault(table, Table()).columns[col] = (type_, length)
        cur.execute("""
            SELECT t.relname, i.relname, ix.indisunique, a.attname, (ix.indoption[k.n - 1] & 1) = 1
            FROM pg_index ix
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_namespace ns ON ns.oid = t.relnamespace
            CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE ns.nspname = 'public' AND NOT ix.indisprimary ORDER BY 1, 2, k.n""")
        for table, index, unique, col, desc in cur.fetchall():
            unique_, cols = tables[table].indexes.get(index, (unique, ()))
            tables[table].indexes[index] = (unique_, cols + ((col, desc),))
        cur.execute("""
            SELECT tc.table_name, tc.constraint_name, kcu.column_name, ccu.table_name,
                   ccu.column_name
            FROM information_schema.table_constraints tc
            JOIN information_schema.key_column_usage kcu
                USING (constraint_schema, constraint_name)
            JOIN information_schema.constraint_column_usage ccu
                USING (constraint_schema, constraint_name)
            WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'""")
        for table, name, col, ref, ref_col in cur.fetchall():
            tables[table].fks.add((name, col, ref, ref_col))
        cur.execute("SELECT sequence_name FROM information_schema.sequences "
                    "WHERE sequence_schema = 'public'")
        return tables, {r[0] for r in cur.fetchall()}
    finally:
        con.close()


def mysql_schema(db):
    import MySQLdb

    con = MySQLdb.connect(host=HOST, port=int(db.port), user=db.user, password=db.password,
                          database=db.database)
    try:
        cur = con.cursor()
        tables = {}
        cur.execute("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH "
                    "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
                    "ORDER BY TABLE_NAME, ORDINAL_POSITION", (db.database,))
        for table, col, type_, length in cur.fetchall():
            text_length = length if type_ == "varchar" else None
            tables.setdefault(table, Table()).columns[col] = (type_, text_length)
        cur.execute("SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, COLLATION "
                    "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND "
                    "INDEX_NAME <> 'PRIMARY' ORDER BY 1, 2, SEQ_IN_INDEX", (db.database,))
        for table, index, non_unique, col, collation in cur.fetchall():
            unique, cols = tables[table].indexes.get(index, (not non_unique, ()))
            tables[table].indexes[index] = (unique, cols + ((col, collation == "D"),))
        cur.execute("SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, "
                    "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
                    "WHERE TABLE_SCHEMA = %s AND REFERENCED_TABLE_NAME IS NOT NULL",
                    (db.database,))
        for table, name, col, ref, ref_col in cur.fetchall():
            tables[table].fks.add((name, col, ref, ref_col))
        return tables, set()
    finally:
        con.close()


def schema(kind, project, db):
    if kind == "sqlite":
        return sqlite_schema(project / db.database)
    return pg_schema(db) if kind == "postgresql" else mysql_schema(db)


def admin(project, sql, *args):
    con = sqlite3.connect(project / "admin.sqlite")
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def admin_row(project, table, id_value):
    con = sqlite3.connect(project / "admin.sqlite")
    con.row_factory = sqlite3.Row
    try:
        return dict(con.execute(f"SELECT * FROM {table} WHERE ID = ?", (id_value,)).fetchone())
    finally:
        con.close()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def shop(request, tmp_path):
    """SHOP_APP in a new project on each database (server ones skip when unreachable)."""
    kind = request.param
    db = apps.sqlite_database() if kind == "sqlite" else \
        request.getfixturevalue({"postgresql": "pg_database", "mysql": "mysql_database"}[kind])
    project = projects.create_project(tmp_path / "shop")
    summary = apps.build(project, [apps.complete(db), *apps.SHOP_APP])
    return kind, project, db, summary


SHOP_COLUMNS = {
    "customers": ["id", "deleted", "name", "email", "notes"],
    "products": ["id", "deleted", "name", "price", "weight", "in_stock", "photo", "manual"],
    "orders": ["id", "deleted", "order_date", "customer", "status", "paid", "total", "created",
               "promo"],
    "order_lines": ["id", "deleted", "master_id", "master_rec_id", "product", "quantity",
                    "price"],
}


def test_shop_app_database_schema(shop):
    kind, project, db, summary = shop
    case = str.upper if kind == "sqlite" else str.lower  # the module's identifier_case
    tables, sequences = schema(kind, project, db)
    table = {item: case(f"shop_{item}") for item in SHOP_COLUMNS}
    assert set(tables) == set(table.values())
    for item, columns in SHOP_COLUMNS.items():
        assert list(tables[table[item]].columns) == [case(c) for c in columns], item
    if kind != "sqlite":  # text sizes (SQLite columns are plain TEXT)
        assert tables[table["customers"]].columns[case("name")][1] == 80
        assert tables[table["products"]].columns[case("name")][1] == 100

    customers, orders = tables[table["customers"]], tables[table["orders"]]
    assert customers.indexes[case("shop_customers_idx")] == (True, ((case("name"), False),))
    assert orders.indexes["SHOP_ORDERS_DATE_IDX"] == (False, ((case("order_date"), True),))
    assert tables[table["order_lines"]].indexes["SHOP_ORDER_LINES_DETAIL_IDX"] == \
        (False, ((case("master_id"), False), (case("master_rec_id"), False)))
    fk_name = None if kind == "sqlite" else "FK_SHOP_ORDERS_CUSTOMER"  # SQLite: inline FKs
    assert orders.fks == {(fk_name, case("customer"), table["customers"], case("id"))}
    fk_name = None if kind == "sqlite" else "FK_SHOP_ORDER_LINES_PRODUCT"
    assert tables[table["order_lines"]].fks == \
        {(fk_name, case("product"), table["products"], case("id"))}
    expected_sequences = {f"{t}_seq" for t in table.values()} if kind == "postgresql" else set()
    assert sequences == expected_sequences
    for item, info in summary["items"].items():
        assert info["table"] == table[item]
        assert info["gen_name"] == (f"{table[item]}_seq" if kind == "postgresql" else None)


def test_shop_app_admin_rows(shop):
    kind, project, db, summary = shop
    case = str.upper if kind == "sqlite" else str.lower
    items, groups = summary["items"], summary["groups"]
    assert summary["task"] == "shop" and summary["db_type"] == db.db_type
    assert admin(project, "SELECT F_LANGUAGE FROM SYS_PARAMS") == [(1,)]
    assert admin(project, "SELECT F_DB_TYPE, F_ALIAS, F_NAME, F_ITEM_NAME FROM SYS_TASKS") == \
        [(db.db_type, db.database, "Shop", "shop")]
    task_row = admin(project, "SELECT F_NAME, F_ITEM_NAME, F_JS_FILENAME FROM SYS_ITEMS "
                              "WHERE TYPE_ID = 5")
    assert task_row == [("Shop", "shop", "shop.js")] and (project / "js" / "shop.js").is_file()
    # the group fields were rewritten in the database's identifier case by server_create_task
    assert admin(project, "SELECT F_DB_FIELD_NAME FROM SYS_FIELDS WHERE ID = 7") == \
        [(case("master_id"),)]

    # items: tree order, inherited common fields, interface lists, privileges per role
    roles = [r[0] for r in admin(project, "SELECT ID FROM SYS_ROLES")]
    expected_index = {"customers": 1, "products": 2, "orders": 1, "order_lines": 1}
    for name, info in items.items():
        row = admin_row(project, "SYS_ITEMS", info["id"])
        group = groups[info["group"]]
        assert row["F_TABLE_NAME"] == case(f"shop_{name}") and row["F_INDEX"] == \
            expected_index[name]
        assert row["TYPE_ID"] == (12 if name == "order_lines" else 10)
        assert row["F_PRIMARY_KEY"] == group["fields"]["id"]
        assert row["F_DELETED_FLAG"] == group["fields"]["deleted"]
        assert row["F_MASTER_ID"] == group["fields"].get("master_id")
        own = list(info["fields"].values())
        assert "id" not in info["fields"] and list(info["fields"]) == \
            [c for c in SHOP_COLUMNS[name] if c not in group["fields"]]
        interface = json.loads(row["F_INFO"][4:])
        assert row["F_INFO"].startswith("json") and [v[0] for v in interface["view"]] == own
        assert [e[0] for e in interface["edit"]] == own
        assert row["F_SOFT_DELETE"] == (0 if name in ("customers", "products") else 1)
        privileges = admin(project, "SELECT OWNER_REC_ID, F_CAN_VIEW, F_CAN_CREATE, "
                                    "F_CAN_EDIT, F_CAN_DELETE FROM SYS_PRIVILEGES "
                                    "WHERE ITEM_ID = ?", info["id"])
        assert sorted(privileges) == [(r, 1, 1, 1, 1) for r in roles]
    detail = admin_row(project, "SYS_ITEMS", summary["details"]["orders.order_lines"])
    assert (detail["TYPE_ID"], detail["PARENT"], detail["TABLE_ID"], detail["F_TABLE_NAME"]) \
        == (14, items["orders"]["id"], items["order_lines"]["id"], case("shop_order_lines"))
    assert admin_row(project, "SYS_ITEMS", items["orders"]["id"])["HAS_CHILDREN"] == 1

    # fields as the field editor leaves them
    orders = items["orders"]["fields"]
    customer = admin_row(project, "SYS_FIELDS", orders["customer"])
    assert (customer["F_OBJECT"], customer["F_OBJECT_FIELD"], customer["F_DATA_TYPE"],
            customer["F_REQUIRED"], customer["F_DB_FIELD_NAME"]) == \
        (items["customers"]["id"], items["customers"]["fields"]["name"], 2, 1, case("customer"))
    status = admin_row(project, "SYS_FIELDS", orders["status"])
    assert status["F_DATA_TYPE"] == 2 and status["F_LOOKUP_VALUES"] == \
        summary["lookup_lists"]["Status"]
    assert admin(project, "SELECT F_LOOKUP_VALUES_TEXT FROM SYS_LOOKUP_LISTS") == \
        [('[[1,"New"],[2,"Paid"],[3,"Shipped"]]',)]
    promo = admin_row(project, "SYS_FIELDS", orders["promo"])
    assert (promo["F_DATA_TYPE"], promo["F_OBJECT"], promo["F_OBJECT_FIELD"]) == \
        (9, items["products"]["id"], groups["catalogs"]["fields"]["id"])
    assert admin_row(project, "SYS_FIELDS", orders["paid"])["F_DEFAULT_LOOKUP_VALUE"] == 0
    products = items["products"]["fields"]
    manual = admin_row(project, "SYS_FIELDS", products["manual"])
    assert (manual["F_FILE_ACCEPT"], manual["F_FILE_DOWNLOAD_BTN"], manual["F_FILE_OPEN_BTN"]) \
        == (".pdf, .txt", 1, 1)
    photo = admin_row(project, "SYS_FIELDS", products["photo"])
    assert (photo["F_IMAGE_VIEW_WIDTH"], photo["F_IMAGE_EDIT_WIDTH"]) == (100, 200)
    name = admin_row(project, "SYS_FIELDS", products["name"])
    assert (name["F_SIZE"], name["F_REQUIRED"], name["F_ALIGNMENT"]) == (100, 1, 1)

    # indexes and foreign keys
    fk = admin_row(project, "SYS_INDICES",
                   items["orders"]["indices"]["FK_SHOP_ORDERS_CUSTOMER"])
    assert (fk["F_FOREIGN_INDEX"], fk["F_FOREIGN_FIELD"]) == (1, orders["customer"])
    unique = admin_row(project, "SYS_INDICES",
                       items["customers"]["indices"][case("shop_customers_idx")])
    assert (unique["F_UNIQUE_INDEX"], json.loads(unique["F_FIELDS_LIST"])) == \
        (1, [[items["customers"]["fields"]["name"], False]])
    desc = admin_row(project, "SYS_INDICES", items["orders"]["indices"]["SHOP_ORDERS_DATE_IDX"])
    assert json.loads(desc["F_FIELDS_LIST"]) == [[orders["order_date"], True]]
    detail_index = admin_row(project, "SYS_INDICES",
                             items["order_lines"]["indices"]["SHOP_ORDER_LINES_DETAIL_IDX"])
    assert json.loads(detail_index["F_FIELDS_LIST"]) == \
        [[groups["details"]["fields"]["master_id"], False],
         [groups["details"]["fields"]["master_rec_id"], False]]


def test_evolution_steps_on_postgresql(tmp_path, pg_database):
    project = projects.create_project(tmp_path / "shop")
    apps.build(project, [apps.complete(pg_database), *apps.SHOP_APP])
    before = pg_schema(pg_database)[0]
    # The Builder refuses to resize text fields on PostgreSQL (outside DB manual mode).
    summary = apps.build(project, [op for op in apps.SHOP_EVOLUTION if op["op"] != "resize_field"])
    after, sequences = pg_schema(pg_database)

    customers = list(after["shop_customers"].columns)
    assert customers == ["id", "deleted", "name", "mail", "phone"]  # add, rename, delete
    assert after["shop_customers"].columns["mail"] == ("character varying", 120)
    assert after["shop_products"].indexes["SHOP_PRODUCTS_PRICE_IDX"] == \
        (False, (("price", True), ("name", False)))
    assert "SHOP_ORDERS_DATE_IDX" in before["shop_orders"].indexes
    assert "SHOP_ORDERS_DATE_IDX" not in after["shop_orders"].indexes
    assert after["shop_products"].fks == \
        {("FK_SHOP_PRODUCTS_SUPPLIER", "supplier", "shop_suppliers", "id")}
    assert after["shop_order_notes"].indexes["SHOP_ORDER_NOTES_DETAIL_IDX"] == \
        (False, (("master_id", False), ("master_rec_id", False)))
    assert "orders.order_notes" in summary["details"]
    assert "shop_scratch" not in after and "shop_scratch_seq" not in sequences
    assert "scratch" not in summary["items"]
    # Jam.py 5.4 leaves the deleted item's privileges behind (they are exported)
    assert admin(project, "SELECT COUNT(*) FROM SYS_PRIVILEGES WHERE ITEM_ID NOT IN "
                          "(SELECT ID FROM SYS_ITEMS)") == [(1,)]

    # resizing: refused outside DB manual mode on PostgreSQL, admin-only inside it
    with pytest.raises(RuntimeError, match="does not allow resizing"):
        apps.build(project, [apps.resize_field("customers", "name", 200)])
    summary = apps.build(project, [
        apps.manual_update(True),
        apps.resize_field("customers", "name", 200),
        apps.rename_field("customers", "phone", "telephone", db_field_name="tel"),
        apps.manual_update(False),
    ])
    manual = pg_schema(pg_database)[0]
    assert manual["shop_customers"].columns == after["shop_customers"].columns  # no DDL
    phone = admin_row(project, "SYS_FIELDS", summary["items"]["customers"]["fields"]["telephone"])
    assert phone["F_DB_FIELD_NAME"] == "tel"
    name = admin_row(project, "SYS_FIELDS", summary["items"]["customers"]["fields"]["name"])
    assert name["F_SIZE"] == 200


def test_generate_small_project_on_sqlite(tmp_path):
    project = projects.create_project(tmp_path / "gen")
    summary = apps.build(project, [apps.complete(apps.sqlite_database("gen.sqlite"), "Gen", "gen"),
                                   apps.generate(4, fields_per_item=6, indexes_per_item=3)])
    # item i has lookups (with foreign keys) to the two items before it
    assert summary["counts"] == {"items": 4, "fields": 8 + 4 * 6, "indices": 12,
                                 "foreign_keys": 0 + 1 + 2 + 2}
    tables = sqlite_schema(project / "gen.sqlite")[0]
    assert tables["GEN_GEN004"].fks == {(None, "REF1", "GEN_GEN003", "ID"),
                                        (None, "REF2", "GEN_GEN002", "ID")}
    assert tables["GEN_GEN004"].indexes["GEN_GEN004_IDX1"] == (True, (("NAME", False),))
