"""Rows for the refresh app (apps.REFRESH_APP) in a project's database, by item and field
names through its metadata (so the same code fills SQLite, PostgreSQL and MariaDB)."""
import datetime
import random

from sqlalchemy import column, insert, table

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as jamdefs
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.quoting import q
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

DOMAINS = ["shop-customers.example.com", "mail.example.net"]


def names(metadata, item_name):
    """(table, {field name: column}) of an item (a detail: its table's item)."""
    item = next(r for r in metadata.items.values() if r.get("f_item_name") == item_name
                and r.get("type_id") in jamdefs.TABLE_ITEM_TYPES)
    owners = {item["id"], item.get("parent")}
    columns = {r["f_field_name"]: r["f_db_field_name"] for r in metadata.fields.values()
               if r.get("owner_rec_id") in owners and not r.get("f_master_field")}
    return item["f_table_name"], columns


def fill(project_path, customers=3000, suppliers=200, products=1000, orders=3000, lines=2,
         seed=7):
    """Insert the rows; returns {item: rows}. Lookups point at existing rows, some of the
    customers refer to others, suppliers and products refer to each other."""
    rng = random.Random(seed)
    project = Project(project_path)
    metadata = project.metadata()
    detail = next(r for r in metadata.items.values()
                  if r.get("type_id") == jamdefs.DETAIL_TYPE and r.get("f_item_name") == "order_lines")
    engine = create_engine(project.connection())
    counts = {}

    def put(item, rows):
        name, cols = names(metadata, item)
        target = table(q(name), *[column(q(cols[k])) for k in rows[0]])
        with engine.begin() as conn:
            for start in range(0, len(rows), 2000):
                conn.execute(insert(target), [{cols[k]: v for k, v in r.items()}
                                              for r in rows[start:start + 2000]])
        counts[item] = len(rows)

    try:
        put("suppliers", [{"id": i, "deleted": 0, "name": f"Supplier {i}",
                           "email": f"contact{i}@{rng.choice(DOMAINS)}",
                           "preferred_product": None} for i in range(1, suppliers + 1)])
        put("products", [{"id": i, "deleted": 0, "name": f"Product {i}",
                          "price": round(rng.uniform(1, 500), 2), "weight": rng.random() * 10,
                          "in_stock": rng.randint(0, 1),
                          "supplier": rng.randint(1, suppliers)}
                         for i in range(1, products + 1)])
        put("customers", [{"id": i, "deleted": 0, "name": f"Customer {i} {rng.random():.6f}",
                           "email": f"person{i}@{rng.choice(DOMAINS)}",
                           "phone": f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                                    f"{rng.randint(10, 99)}",
                           "notes": "likes tea" if i % 3 else None,
                           "referred_by": rng.randint(1, i - 1) if i > 1 and i % 4 == 0 else None}
                          for i in range(1, customers + 1)])
        start = datetime.date(2024, 1, 1)
        put("orders", [{"id": i, "deleted": 0, "order_date": start + datetime.timedelta(days=i % 700),
                        "customer": rng.randint(1, customers), "status": rng.randint(1, 3),
                        "paid": rng.randint(0, 1), "total": round(rng.uniform(5, 900), 2)}
                       for i in range(1, orders + 1)])
        put("order_lines", [{"id": n, "deleted": 0, "master_id": detail["id"],
                             "master_rec_id": (n - 1) // lines + 1,
                             "product": rng.randint(1, products), "quantity": rng.randint(1, 9),
                             "price": round(rng.uniform(1, 500), 2)}
                            for n in range(1, orders * lines + 1)])
        # The cycle's other half, once the products exist.
        name, cols = names(metadata, "suppliers")
        with engine.begin() as conn:
            target = table(q(name), column(q(cols["preferred_product"])), column(q(cols["id"])))
            for i in range(1, suppliers + 1, 2):
                conn.execute(target.update().where(target.c[cols["id"]] == i)
                             .values({cols["preferred_product"]: rng.randint(1, products)}))
    finally:
        engine.dispose()
    return counts
