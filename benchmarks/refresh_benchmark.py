"""Data refresh performance: jam_data's engine vs pg_dump | psql (the floor).

A production project is built on PostgreSQL with Jam.py's own Builder functions (the
refresh test app: lookups, a detail, a two-table cycle, a self-reference) and filled in
the database itself (INSERT ... SELECT generate_series) with ``--rows`` rows across its
related tables. Then, in the same run and in alternating order, ``--runs`` times each:

* ours: ``refresh.run.run_refresh`` into a fresh, empty staging project on PostgreSQL, with
  e-mails, names, phones and notes masked (metadata import, data copy, verification), in a
  child process whose peak RSS is reported; the copy itself (``Refresher.run``) is timed
  apart. The first run's staging project is then refreshed again (a no-op).
* the floor: ``pg_dump --data-only -t <the same tables> | psql`` into a fresh database
  whose schema came from ``pg_dump --schema-only`` (untimed): no masking, no comparison,
  and foreign keys not checked (``--disable-triggers``, which needs a superuser);
* the floor with foreign keys checked, as ours has them checked (the project's database
  owner cannot turn them off): the same into a schema whose foreign keys are deferred to
  the commit of a single transaction (the cycles rule out any order of the tables).

All three target databases are made before any run, after a CHECKPOINT; the order
alternates from run to run, and medians count.

    .venv/bin/python benchmarks/refresh_benchmark.py --rows 1000000 --runs 3

Writes benchmarks/results/refresh-<time>.json and prints a table.
"""
import argparse
import glob
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / ".cache" / "collections"), str(REPO)]

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import (  # noqa: E402
    create_engine)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import (  # noqa: E402
    defs as jamdefs)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import (  # noqa: E402
    Project)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh import (  # noqa: E402
    run as refresh_run)
from benchmarks.saving import save_results  # noqa: E402
from tests.harness import apps, databases, projects, shop_data  # noqa: E402

WORK = REPO / ".cache" / "bench"
MASKS = {"customers.email": "email", "customers.name": {"rule": "hash", "length": 20},
         "customers.phone": {"rule": "phone", "keep": 3}, "customers.notes": "blank",
         "suppliers.email": "email"}
MASK_KEY = "benchmark-refresh-key-0123456789"
# Each item's share of the rows (two order lines per order).
SHARES = {"suppliers": 0.005, "products": 0.045, "customers": 0.2, "orders": 0.25,
          "order_lines": 0.5}
# Per item: the columns and the SELECT over generate_series(1, n) AS i that gives their
# values. {suppliers}... are the items' row counts, {master_id} the detail's item id.
# Text with a comma, a quote, a tab and a line break goes through every escape.
FILL = {
    "suppliers": (("id", "deleted", "name", "email", "preferred_product"),
                  "i, 0, 'Supplier ' || i, 'contact' || i || '@mail.example.net', NULL"),
    "products": (("id", "deleted", "name", "price", "weight", "in_stock", "manual",
                  "supplier"),
                 "i, 0, 'Product ' || i, (i * 37 % 50000) / 100.0, (i % 1000) / 100.0, i % 2,"
                 " CASE WHEN i % 5 = 0 THEN 'manual-' || i || '.pdf' END,"
                 " i % {suppliers} + 1"),
    "customers": (("id", "deleted", "name", "email", "phone", "notes", "referred_by"),
                  "i, 0, 'Customer ' || i, 'person' || i || '@shop-customers.example.com',"
                  " '+33 1 ' || (10 + i % 90) || ' ' || (10 + i * 7 % 90) || ' '"
                  " || (10 + i * 13 % 90),"
                  " CASE WHEN i % 3 > 0 THEN E'likes tea, \"no sugar\"\\tat 5\\nthanks' END,"
                  " CASE WHEN i % 4 = 0 THEN i * 7919 % (i - 1) + 1 END"),
    "orders": (("id", "deleted", "order_date", "customer", "status", "paid", "total",
                "created"),
               "i, 0, DATE '2024-01-01' + i % 700, i * 31 % {customers} + 1, i % 3 + 1,"
               " i % 2, (i * 53 % 90000) / 100.0,"
               " TIMESTAMP '2024-01-01 08:00' + i * INTERVAL '37 seconds'"),
    "order_lines": (("id", "deleted", "master_id", "master_rec_id", "product", "quantity",
                     "price"),
                    "i, 0, {master_id}, (i - 1) / 2 + 1, i * 17 % {products} + 1, i % 9 + 1,"
                    " (i * 37 % 50000) / 100.0"),
}


def pg_tool(name):
    """The newest installed PostgreSQL client program ``name``."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else name


def admin_args(db):
    return ["-h", databases.HOST, "-p", db.port, "-U", databases.ADMIN_USER, "-d", db.database]


def admin_env():
    return dict(os.environ, PGPASSWORD=databases.ADMIN_PASSWORD)


def new_project(name, db, ops=()):
    folder = WORK / "refresh" / f"{name}-{db.database}"
    projects.create_project(folder)
    apps.build(folder, [apps.complete(db, name="Shop", item_name="shop"), *ops])
    return folder


def fill(folder, rows):
    """``rows`` rows in the production database, made by PostgreSQL itself; {item: rows}."""
    metadata = Project(folder).metadata()
    counts = {item: max(2, int(rows * share)) for item, share in SHARES.items()}
    master_id = next(r["id"] for r in metadata.items.values()
                     if r.get("type_id") == jamdefs.DETAIL_TYPE
                     and r.get("f_item_name") == "order_lines")
    engine = create_engine(Project(folder).connection())
    connection = engine.raw_connection()  # the SQL's % is PostgreSQL's, not a placeholder
    try:
        with connection.cursor() as cursor:
            for item, (fields, values) in FILL.items():
                table, columns = shop_data.names(metadata, item)
                names = ", ".join(f'"{columns[f]}"' for f in fields)
                cursor.execute(f'INSERT INTO "{table}" ({names}) '
                               f"SELECT {values.format(master_id=master_id, **counts)} "
                               f"FROM generate_series(1, {counts[item]}) AS i")
            table, columns = shop_data.names(metadata, "suppliers")
            key, lookup = f'"{columns["id"]}"', f'"{columns["preferred_product"]}"'
            cursor.execute(  # the cycle's other half
                f'UPDATE "{table}" SET {lookup} = {key} * 13 % {counts["products"]} + 1 '
                f"WHERE {key} % 2 = 1")
            connection.commit()
            connection.dbapi_connection.autocommit = True
            cursor.execute("VACUUM ANALYZE")
    finally:
        connection.close()
        engine.dispose()
    return counts


def floor_database(postgres, source, tables, checked=False):
    """A fresh database with the source's schema for ``tables`` (untimed). ``checked``:
    its foreign keys deferred to the commit, so that a data-only restore in one
    transaction can check them despite the cycles."""
    db = postgres.create("rbfloor")
    schema = subprocess.run([pg_tool("pg_dump"), "--schema-only", "--no-owner",
                             "--no-privileges", *table_args(tables), *admin_args(source)],
                            env=admin_env(), check=True, capture_output=True, text=True).stdout
    if checked:
        schema = re.sub(r"(FOREIGN KEY [^;]*);", r"\1 DEFERRABLE INITIALLY DEFERRED;", schema)
    subprocess.run([pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *admin_args(db)],
                   input=schema, text=True, env=admin_env(), check=True, capture_output=True)
    return db


def table_args(tables):
    return [arg for name in tables for arg in ("-t", f'"{name}"')]


def floor(source, db, tables, checked=False):
    """Seconds for pg_dump --data-only | psql of ``tables`` into ``db``: foreign keys not
    checked (--disable-triggers), or ``checked`` at the commit of one transaction."""
    started = time.perf_counter()
    dump = subprocess.Popen([pg_tool("pg_dump"), "--data-only",
                             *([] if checked else ["--disable-triggers"]),
                             *table_args(tables), *admin_args(source)],
                            env=admin_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    subprocess.run([pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                    *(["--single-transaction"] if checked else []), *admin_args(db)],
                   stdin=dump.stdout, env=admin_env(), check=True, stdout=subprocess.DEVNULL)
    dump.stdout.close()
    warnings = dump.stderr.read()  # about the cycles, which both ways deal with
    if dump.wait():
        raise RuntimeError(f"pg_dump failed: {warnings.decode()}")
    return time.perf_counter() - started


def ours(staging, production):
    """Our refresh in a child process (its peak RSS is its own): its figures."""
    child = subprocess.run([sys.executable, __file__, "--child", str(staging), str(production)],
                           check=True, capture_output=True, text=True)
    return json.loads(child.stdout.splitlines()[-1])


def memory_kb(field):
    """A VmRSS/VmHWM line of this process's status, in kB."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def child(staging, production):
    """The refresh itself, with the copy (Refresher.run) timed apart; prints its figures."""
    copy_seconds = []

    class TimedRefresher(refresh_run.Refresher):
        def run(self, check_mode=False):
            started = time.perf_counter()
            try:
                return super().run(check_mode)
            finally:
                copy_seconds.append(time.perf_counter() - started)

    refresh_run.Refresher = TimedRefresher
    start_rss = memory_kb("VmRSS")
    started = time.perf_counter()
    result = refresh_run.run_refresh(staging, production,
                                     refresh_run.RefreshOptions(masks=MASKS, mask_key=MASK_KEY))
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds, "copy": copy_seconds[0], "changed": result.changed,
        "verified": result.verification["ok"], "rows": sum(t.source_rows for t in result.tables),
        "written": sum(t.inserted + t.updated + t.deleted for t in result.tables),
        "cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "start_rss_mb": start_rss / 1024, "peak_rss_mb": memory_kb("VmHWM") / 1024}))


def run(rows, repeat):
    postgres = databases.SERVERS["postgresql"]
    prod_db = postgres.create("rbprod")
    try:
        production = new_project("prod", prod_db, apps.REFRESH_APP)
        print(f"filling the production database with {rows} rows ...", flush=True)
        counts = fill(production, rows)
        tables = Project(production).metadata().expected_tables()
        row = {"rows": sum(counts.values()), "counts": counts, "runs": []}
        for attempt in range(repeat):
            row["runs"].append(attempt_once(postgres, prod_db, production, tables,
                                            noop=attempt == 0, reverse=attempt % 2 == 1))
            assert row["runs"][-1]["verified"] and row["runs"][-1]["rows"] == row["rows"]
            print(json.dumps(row["runs"][-1]), flush=True)
    finally:
        postgres.drop(prod_db)
        shutil.rmtree(WORK / "refresh", ignore_errors=True)
    row["ours_noop"] = row["runs"][0]["noop"]
    for key in ("seconds", "copy", "cpu", "floor", "floor_checked", "peak_rss_mb"):
        row[key] = statistics.median(r[key] for r in row["runs"])
    for key in ("copy", "seconds"):
        for floor_key in ("floor", "floor_checked"):
            row[f"{key}_vs_{floor_key}"] = statistics.median(
                r[floor_key] / r[key] for r in row["runs"])
    return row


def attempt_once(postgres, prod_db, production, tables, noop, reverse):
    """Ours and both floors, each into a database made before any of them runs, in
    ``reverse`` order or not; then, if ``noop``, our refresh again."""
    staging_db = postgres.create("rbstaging")
    made = [staging_db]
    try:
        staging = new_project("staging", staging_db)
        floor_db = floor_database(postgres, prod_db, tables)
        made.append(floor_db)
        checked_db = floor_database(postgres, prod_db, tables, checked=True)
        made.append(checked_db)
        postgres.checkpoint()
        figures = {}
        runs = {"ours": lambda: figures.update(ours(staging, production)),
                "floor": lambda: figures.update(floor=floor(prod_db, floor_db, tables)),
                "floor_checked": lambda: figures.update(
                    floor_checked=floor(prod_db, checked_db, tables, checked=True))}
        figures["order"] = list(reversed(runs)) if reverse else list(runs)
        for name in figures["order"]:
            runs[name]()
        if noop:
            again = ours(staging, production)
            assert not again["changed"] and not again["written"], again
            figures["noop"] = again["seconds"]
        return figures
    finally:
        for db in made:
            postgres.drop(db)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in production")
    parser.add_argument("--runs", type=int, default=3, help="runs of ours and the floor")
    parser.add_argument("--child", nargs=2, metavar=("STAGING", "PRODUCTION"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    r = run(args.rows, args.runs)
    print(json.dumps(r), flush=True)
    print("\n| rows | ours: copy s | rows/s | whole refresh s | pg_dump\\|psql s | rows/s |"
          " copy / floor | with FK checks s | copy / floor with FK checks | peak RSS MB |"
          " no-op re-run s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {r['rows']:,} | {r['copy']:.1f} | {r['rows'] / r['copy']:,.0f} | "
          f"{r['seconds']:.1f} | {r['floor']:.1f} | {r['rows'] / r['floor']:,.0f} | "
          f"{r['copy_vs_floor']:.2f} | {r['floor_checked']:.1f} | "
          f"{r['copy_vs_floor_checked']:.2f} | {r['peak_rss_mb']:.0f} | {r['ours_noop']:.1f} |")
    save_results("refresh", r)


if __name__ == "__main__":
    main()
