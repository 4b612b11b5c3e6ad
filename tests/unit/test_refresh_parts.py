"""The parts of a data refresh that need no database server: Jam.py's history format,
accounts, the files of file/image fields, exclusion with dependents."""
import json
import sqlite3

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import LAYOUT_54
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.metadata import (
    AdminTable, Metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.masking.masker import masker
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh import (
    uploads as refresh_files)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh import users
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh.history import (
    HistoryChanges)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh.plan import (
    CopyPlan, TableCopy, _excluded_with_dependents)

KEY = "unit-refresh-key-0123456789"


def test_history_changes_masked_by_field():
    email = masker("email", KEY)
    history = HistoryChanges({10: email})
    recorded = '0[[9,"Zed Three"],[10,"zed@shop.example.com"]]'
    masked = history.mask(recorded)
    assert masked.startswith("0")
    changes = json.loads(masked[1:])
    assert changes == [[9, "Zed Three"], [10, email.mask("zed@shop.example.com")]]
    assert history.mask(recorded) == masked  # deterministic
    assert history.pairs(masked) == [(9, "Zed Three"), (10, changes[1][1])]


@pytest.mark.parametrize("value", ["1eJzLSM3JyVcozy/KSQEAGgQEXQ==", "0{not json", '0{"a": 1}'])
def test_history_changes_in_another_form_are_dropped(value):
    assert HistoryChanges({10: masker("email", KEY)}).mask(value) is None


def test_history_changes_empty_stays_empty():
    history = HistoryChanges({})
    assert history.mask(None) is None and history.mask("") == ""


ADMIN = {"id": 1, "f_login": "admin", "f_name": "Admin", "f_admin": 1, "f_password": "111"}
SOURCE = [
    {"id": 1, "f_login": "admin", "f_name": "Admin", "f_admin": 1, "f_password": "prod-1",
     "f_role": 1, "f_ip": "10.0.0.1", "f_uuid": "u1", "f_info": "x"},
    {"id": 2, "f_login": "jsmith", "f_name": "John Smith", "f_admin": 1,
     "f_password": "prod-2", "f_role": 2, "f_ip": "10.0.0.2", "f_uuid": "u2", "f_info": "x"},
    {"id": 3, "f_login": "mary@corp.example.com", "f_name": "Mary Jones", "f_admin": 0,
     "f_password": "prod-3", "f_role": 2, "f_ip": None, "f_uuid": None, "f_info": None},
]


def test_accounts_masked_with_the_target_admin_kept():
    accounts, left_out = users.wanted_accounts(SOURCE, [ADMIN], KEY, "stage-pw")
    assert left_out == 1 and [a["id"] for a in accounts] == [2, 3]
    john, mary = accounts
    assert john["f_login"].startswith("user-") and mary["f_login"].endswith("@example.invalid")
    assert john["f_name"] == users.name_masker(KEY).mask("John Smith") != "John Smith"
    for account in accounts:
        assert account["f_password"] == "stage-pw" and account["f_admin"] == 0
        assert account["f_ip"] is None and account["f_uuid"] is None and account["f_info"] is None
    assert john["f_role"] == 2  # roles come with the metadata
    again, unused = users.wanted_accounts(SOURCE, [ADMIN], KEY, "stage-pw")
    assert again == accounts


def test_accounts_without_a_password_cannot_log_in():
    accounts, unused = users.wanted_accounts(SOURCE, [], KEY, None)
    assert len(accounts) == 3
    assert all(a["f_password"] is None and a["f_psw_hash"] is None for a in accounts)


def make_admin(path, rows):
    with sqlite3.connect(path) as con:
        con.execute('CREATE TABLE SYS_USERS ("ID" INTEGER PRIMARY KEY, "DELETED" INTEGER, '
                    '"F_NAME" TEXT, "F_LOGIN" TEXT, "F_PASSWORD" TEXT, "F_ROLE" INTEGER, '
                    '"F_INFO" TEXT, "F_ADMIN" INTEGER, "F_PSW_HASH" TEXT, "F_IP" TEXT, '
                    '"F_UUID" TEXT)')
        for row in rows:
            con.execute('INSERT INTO SYS_USERS ("ID", "F_NAME", "F_LOGIN", "F_PASSWORD", '
                        '"F_ADMIN", "F_ROLE") VALUES (?, ?, ?, ?, ?, ?)',
                        (row["id"], row["f_name"], row["f_login"], row["f_password"],
                         row["f_admin"], row.get("f_role", 1)))
    return path


def test_refresh_users_writes_once(tmp_path):
    source = make_admin(tmp_path / "source.sqlite", SOURCE)
    stale = {"id": 7, "f_login": "tester", "f_name": "Tester", "f_admin": 0, "f_password": "t"}
    target = make_admin(tmp_path / "target.sqlite", [ADMIN, stale])
    planned = users.refresh_users(target, source, KEY, "stage-pw", check_mode=True)
    assert planned.changed and planned.copied == 2 and planned.kept_admins == ["admin"]
    with sqlite3.connect(target) as con:
        assert [r[0] for r in con.execute("SELECT ID FROM SYS_USERS ORDER BY ID")] == [1, 7]
    calls = []
    assert users.refresh_users(target, source, KEY, "stage-pw",
                               before_write=lambda: calls.append(1)).changed
    with sqlite3.connect(target) as con:
        rows = list(con.execute("SELECT ID, F_LOGIN, F_PASSWORD FROM SYS_USERS ORDER BY ID"))
    assert [r[0] for r in rows] == [1, 2, 3] and rows[0] == (1, "admin", "111")
    assert {r[2] for r in rows[1:]} == {"stage-pw"} and calls == [1]
    assert not users.refresh_users(target, source, KEY, "stage-pw").changed


def test_refresh_users_without_accounts_table(tmp_path):
    source = make_admin(tmp_path / "source.sqlite", SOURCE)
    target = tmp_path / "target.sqlite"
    sqlite3.connect(target).execute("CREATE TABLE SYS_PARAMS (ID INTEGER)").connection.close()
    outcome = users.refresh_users(target, source, KEY)
    assert not outcome.changed and "no SYS_USERS" in outcome.note


def test_file_values_name_stored_files():
    assert refresh_files.stored_name("manual_1.pdf?Product manual.pdf", j.FILE) == "manual_1.pdf"
    assert refresh_files.stored_name("photo?.png", j.IMAGE) == "photo?.png"


def test_files_copied_placeholders_and_refused_names(tmp_path):
    source, target = tmp_path / "prod", tmp_path / "stage"
    (source / "static" / "files").mkdir(parents=True)
    (target / "static" / "files").mkdir(parents=True)
    (source / "static" / "files" / "a.png").write_bytes(b"A")
    (source / "static" / "files" / "b.pdf").write_bytes(b"B")
    (target / "static" / "files" / "b.pdf").write_bytes(b"B")
    (tmp_path / "secret.txt").write_text("outside")
    names = {"a.png": j.IMAGE, "b.pdf": j.FILE, "gone.pdf": j.FILE, "../secret.txt": j.FILE,
             "..": j.IMAGE}
    planned = refresh_files.sync_files(names, source, target, "copy", check_mode=True)
    assert (planned.copied, planned.unchanged, planned.missing_in_source,
            planned.refused_names) == (1, 1, 1, 2)
    assert not (target / "static" / "files" / "a.png").exists()
    done = refresh_files.sync_files(names, source, target, "copy")
    assert (target / "static" / "files" / "a.png").read_bytes() == b"A" and done.changed
    assert not refresh_files.sync_files(names, source, target, "copy").changed
    stand_ins = refresh_files.sync_files({"c.jpg": j.IMAGE, "d.pdf": j.FILE}, source, target,
                                         "placeholder")
    assert stand_ins.placeholders == 2
    assert (target / "static" / "files" / "c.jpg").read_bytes() == refresh_files.PLACEHOLDER_IMAGE
    assert (target / "static" / "files" / "d.pdf").read_bytes() == refresh_files.PLACEHOLDER_TEXT
    assert refresh_files.sync_files(names, source, target, "none").referenced == 5


def test_copying_files_needs_the_source_folder(tmp_path):
    with pytest.raises(JamDeployError, match="static/files"):
        refresh_files.sync_files({"a.png": j.IMAGE}, tmp_path / "nowhere", tmp_path, "copy")


def admin_table(name, fields, rows):
    return AdminTable(name, fields, {row[0]: dict(zip(fields, row)) for row in rows})


def shop_metadata():
    """customers <- orders (lookup) with details order_lines; products apart."""
    items = admin_table("sys_items", ["id", "parent", "type_id", "table_id", "f_item_name",
                                      "f_table_name"], [
        [1, 0, j.ITEMS_TYPE, 0, "catalogs", None],
        [2, 1, j.ITEM_TYPE, 0, "customers", "CUSTOMERS"],
        [3, 1, j.ITEM_TYPE, 0, "orders", "ORDERS"],
        [4, 1, j.ITEM_TYPE, 0, "products", "PRODUCTS"],
        [5, 8, j.TABLE_TYPE, 0, "order_lines", "ORDER_LINES"],
        [6, 3, j.DETAIL_TYPE, 5, "order_lines", None],
        [8, 0, j.TABLES_TYPE, 0, "details", None]])
    fields = admin_table("sys_fields", ["id", "owner_rec_id", "f_field_name", "f_object",
                                        "f_master_field", "f_data_type"], [
        [20, 3, "customer", 2, None, j.INTEGER],
        [21, 5, "product", 4, None, j.INTEGER]])
    return Metadata(j.SQLITE, LAYOUT_54, {"sys_items": items, "sys_fields": fields})


def test_exclusion_takes_along_what_refers_to_it():
    notes = []
    excluded = _excluded_with_dependents(shop_metadata(), ["customers"], notes)
    assert excluded == {2, 3, 5}
    assert notes == ["customers: excluded",
                     "orders: excluded too (orders.customer refers to customers)",
                     "order_lines: excluded too (details of orders)"]
    assert _excluded_with_dependents(shop_metadata(), ["products"], []) == {4, 5}
    with pytest.raises(JamDeployError, match="no table item named clients"):
        _excluded_with_dependents(shop_metadata(), ["clients"], [])


def test_a_plan_without_file_fields_names_no_files():
    plan = CopyPlan([TableCopy(2, "customers", "C", "C", ("ID", "ID"), [])])
    assert plan.tables[0].files == {} and plan.cleared == []
