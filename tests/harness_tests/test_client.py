"""The harness client against a running Jam.py 5.4: load, open, insert/update/delete and a
master record with a detail record, the way the browser client (jam.js) sends them; status
5 (safe mode), 7 (maintenance) and 8 (project changed: load again, repeat once). Against
Jam.py 7.0.120: insert, update and delete in its change log format."""
import datetime
import sqlite3

import pytest

from tests.harness import apps, jamenv, projects
from tests.harness.api_loop import logged_in
from tests.harness.databases import HOST, POSTGRESQL
from tests.harness.server import (MAINTENANCE, MODIFIED, NOT_LOGGED, RESPONSE, JamError,
                                  JamServer, NotLoggedIn, ProjectModified, UnderMaintenance)


def change_settings(project, **values):
    """Change SYS_PARAMS the way Jam.py does when a parameter changes (facts §5): a new
    PARAMS_VERSION and build-id file; a running process re-reads them on its next /api call."""
    con = sqlite3.connect(project / "admin.sqlite")
    try:
        with con:
            build, params = con.execute(
                "SELECT F_BUILD_VERSION, F_PARAMS_VERSION FROM SYS_PARAMS").fetchone()
            sets = "".join(f"F_{key.upper()} = ?, " for key in values)
            con.execute(f"UPDATE SYS_PARAMS SET {sets}F_PARAMS_VERSION = ?",
                        [*values.values(), params + 1])
    finally:
        con.close()
    locks = project / "locks"
    if locks.is_dir():  # absent until the project is first served
        for old in locks.glob("$buildID*"):
            old.unlink()
        (locks / f"$buildID_{build}_{params + 1}").touch()


def test_demo_load_open_insert_update_delete(demo_project):
    with JamServer(demo_project) as server:
        client = server.client()
        info = client.load()
        assert info["status"] == RESPONSE
        assert info["task"]["name"] == "demo"
        assert client.load() is info  # cached
        assert client.item_id("customers") == 10
        assert client.item("customers").field("lastname").required
        # A detail: the table in the Details group, and its copy inside the master item.
        assert client.item_id("invoice_table") == 17
        assert client.item("invoices.invoice_table").prototype_id == 17
        assert client.item_id("invoices.invoice_table") not in (16, 17)

        customers = client.open("customers")
        assert len(customers) > 50
        names = {(c["firstname"], c["lastname"]) for c in customers}
        assert ("Leonie", "Köhler") in names and ("Roberto", "Almeida") in names
        first = client.open("customers", order_by=["lastname"], limit=2)
        assert [c["lastname"] for c in first] == ["Almeida", "Barnett"]
        assert [c["lastname"] for c in client.open("customers", where={
            "lastname__startwith": "Alm", "country": "Brazil"})] == ["Almeida"]

        new_id = client.insert("customers", {"firstname": "Ada", "lastname": "Lovelace",
                                             "email": "ada@example.org"})
        assert isinstance(new_id, int)
        [ada] = client.open("customers", where={"id": new_id})
        assert (ada["firstname"], ada["lastname"], ada["email"], ada["city"]) == \
            ("Ada", "Lovelace", "ada@example.org", None)

        # Customers have an edit lock: each update sends the record's version.
        client.update("customers", new_id, {"city": "London", "email": "ada@example.com"})
        client.update("customers", new_id, {"country": "UK"})
        [ada] = client.open("customers", where={"id": new_id})
        assert (ada["firstname"], ada["city"], ada["email"], ada["country"]) == \
            ("Ada", "London", "ada@example.com", "UK")
        [lock] = client.open("locks", where={"item_id": client.item_id("customers"),
                                             "item_rec_id": new_id})
        assert lock["version"] == 3

        client.delete("customers", new_id)
        assert client.open("customers", where={"id": new_id}) == []

        # A journal record with a detail record, lookups by id (and the demo's on_apply).
        invoice_id = client.insert("invoices", {"customer": 2, "invoice_date":
                                                datetime.date(2024, 5, 6)},
                                   details={"invoice_table": [{"track": 1, "quantity": 2,
                                                               "unitprice": 0.99}]})
        [line_id] = client.last_detail_ids["invoice_table"]
        [invoice] = client.open("invoices", where={"id": invoice_id})
        assert invoice["invoice_date"] == datetime.date(2024, 5, 6)
        assert invoice["taxrate"] == 5.0  # the field's default value, as jam.js sets it
        assert invoice.lookups["customer"] == "Köhler"
        [line] = client.open("invoices.invoice_table", master_rec_id=invoice_id)
        assert (line["id"], line["track"], line["quantity"]) == (line_id, 1, 2)
        assert line["master_id"] == client.item_id("invoices")
        assert line.lookups["track"] == "For Those About To Rock (We Salute You)"

        with pytest.raises(KeyError, match="no_such_field"):
            client.insert("customers", {"no_such_field": 1})
        with pytest.raises(LookupError):
            client.update("customers", 999999, {"city": "Nowhere"})


def spy_statuses(client):
    """Record (method, status) of every real answer the client gets."""
    seen = []
    api = client.api

    def recording(method, *args, **kwargs):
        answer = api(method, *args, **kwargs)
        seen.append((method, (answer.get("result") or {}).get("status")))
        return answer

    client.api = recording
    return seen


def test_70_insert_update_delete(tmp_path):
    jam = jamenv.ALL[-1]
    demo = projects.copy_demo(tmp_path / "demo", jam)
    with JamServer(demo, jam=jam) as server:
        client = logged_in(server.url, form_login=True)
        new_id = client.insert("customers", {"firstname": "Ada", "lastname": "Lovelace"})
        assert client.major == 7 and isinstance(new_id, int)
        assert [(c["firstname"], c["lastname"]) for c in client.open(
            "customers", where={"id": new_id})] == [("Ada", "Lovelace")]
        client.update("customers", new_id, {"lastname": "King"})
        assert logged_in(server.url, form_login=True).open(
            "customers", where={"id": new_id})[0]["lastname"] == "King"
        client.delete("customers", new_id)
        assert client.open("customers", where={"id": new_id}) == []
        with pytest.raises(KeyError, match="no_such_field"):
            client.insert("customers", {"no_such_field": 1})
        assert "Traceback" not in server.log()


def test_project_changed_reloads_and_retries_once_maintenance_raises(demo_project):
    with JamServer(demo_project) as server:
        client = server.client()
        modification = client.load()["modification"]
        genres = client.item("genres")
        assert client.open("genres", where={"id": 1})
        seen = spy_statuses(client)

        # Someone changes the project: the next call answers 8; the client loads the task
        # again (a fresh page: connect, load) and repeats the call.
        change_settings(demo_project, modification=modification + 1)
        assert client.open("genres", where={"id": 1})[0]["name"] == "Rock"
        assert seen == [("open", MODIFIED), ("connect", RESPONSE), ("load", RESPONSE),
                        ("open", RESPONSE)]
        assert client.modification == client.info["modification"] == modification + 1
        assert client.item("genres") is not genres  # the new task tree

        # Under maintenance a stale page gets 8, and after loading again 7.
        seen.clear()
        change_settings(demo_project, modification=modification + 2, maintenance=1)
        with pytest.raises(UnderMaintenance) as raised:
            client.open("genres")
        assert raised.value.status == MAINTENANCE
        assert "status 7" in str(raised.value)
        assert seen == [("open", MODIFIED), ("connect", MAINTENANCE)]
        change_settings(demo_project, maintenance=0)
        assert client.open("genres", where={"id": 1})

        # A project that is still changing after the reload: the second 8 is an error.
        client.api = lambda *args, **kwargs: {"result": {"status": MODIFIED}}
        client.load = lambda refresh=False: client.info
        with pytest.raises(ProjectModified) as raised:
            client.open("genres")
        assert raised.value.status == MODIFIED


def test_safe_mode_login_keeps_the_session_cookie(demo_project):
    change_settings(demo_project, safe_mode=1)
    with JamServer(demo_project) as server:
        client = server.client()
        with pytest.raises(NotLoggedIn) as raised:
            client.open("customers")
        assert raised.value.status == NOT_LOGGED
        assert client.login("admin", "wrong")["result"]["data"] is None
        with pytest.raises(NotLoggedIn):
            client.load()
        assert client.login("admin", "111")["result"]["data"]
        assert any(c.name.endswith("_session") for c in client.cookies)
        assert client.load()["user_info"]["user_name"] == "Bob"
        new_id = client.insert("customers", {"firstname": "Safe", "lastname": "Mode"})
        assert client.open("customers", where={"id": new_id})[0]["lastname"] == "Mode"
        # Another browser without the cookie is refused.
        with pytest.raises(NotLoggedIn):
            server.client().open("customers")


def shop_round_trip(project):
    """Insert a customer, a product and an order with an order line; read them back."""
    with JamServer(project) as server:
        client = server.client()
        client.load()
        assert {"customers", "products", "orders", "order_lines",
                "orders.order_lines"} <= set(client.items)
        customer = client.insert("customers", {"name": "Grace Hopper",
                                               "email": "grace@example.org",
                                               "notes": "First\nsecond line"})
        product = client.insert("products", {"name": "Compiler", "price": 12.5,
                                             "weight": 0.25, "in_stock": True})
        created = datetime.datetime(2024, 3, 1, 14, 30, 5)
        order = client.insert("orders", {
            "order_date": datetime.date(2024, 3, 1), "customer": customer, "status": 2,
            "paid": True, "total": 25.0, "created": created, "promo": [product],
        }, details={"order_lines": [{"product": product, "quantity": 2, "price": 12.5}]})
        [line] = client.last_detail_ids["order_lines"]

        [c] = client.open("customers", where={"id": customer})
        assert (c["name"], c["email"], c["notes"]) == \
            ("Grace Hopper", "grace@example.org", "First\nsecond line")
        [p] = client.open("products", where={"id": product})
        assert (p["name"], p["price"], p["weight"], p["in_stock"]) == \
            ("Compiler", 12.5, 0.25, True)
        [o] = client.open("orders", where={"id": order})
        assert (o["order_date"], o["customer"], o["status"], o["paid"], o["total"],
                o["created"], o["promo"]) == \
            (datetime.date(2024, 3, 1), customer, 2, True, 25.0, created, [product])
        assert o.lookups["customer"] == "Grace Hopper"
        assert o.lookups["status"] == "Paid"
        [ol] = client.open("orders.order_lines", master_rec_id=order)
        assert (ol["id"], ol["product"], ol["quantity"], ol["price"]) == \
            (line, product, 2, 12.5)
        assert (ol["master_id"], ol["master_rec_id"]) == (client.item_id("orders"), order)
        assert ol.lookups["product"] == "Compiler"
        assert client.open("orders", where={"customer": customer, "paid": True})

        client.update("orders", order, {"status": 3})
        assert client.open("orders", where={"id": order})[0].lookups["status"] == "Shipped"

        # The database refuses a second customer of that name (unique index): an error text.
        with pytest.raises(JamError, match="apply customers"):
            client.insert("customers", {"name": "Grace Hopper"})
        assert len(client.open("customers", where={"name": "Grace Hopper"})) == 1


def test_shop_app_on_sqlite(tmp_path):
    project = projects.create_project(tmp_path / "shop")
    apps.build(project, [apps.complete(apps.sqlite_database()), *apps.SHOP_APP])
    shop_round_trip(project)


def test_shop_app_on_postgresql(tmp_path, pg_database):
    import psycopg2

    assert pg_database.db_type == POSTGRESQL
    project = projects.create_project(tmp_path / "shop")
    apps.build(project, [apps.complete(pg_database), *apps.SHOP_APP])
    shop_round_trip(project)
    con = psycopg2.connect(host=HOST, port=pg_database.port, user=pg_database.user,
                           password=pg_database.password, dbname=pg_database.database)
    try:
        cur = con.cursor()
        cur.execute("SELECT o.status, l.quantity FROM shop_orders o "
                    "JOIN shop_order_lines l ON l.master_rec_id = o.id")
        assert cur.fetchall() == [(3, 2)]
    finally:
        con.close()
