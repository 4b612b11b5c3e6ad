"""Import performance: our engine vs Jam.py 5.4.136's own import vs the raw DDL (floor).

For each project size, a development project is generated on SQLite with Jam.py's own
Builder functions (30 fields and 5 indexes per item, two of them foreign keys), exported
with jam_export's engine, and imported into fresh PostgreSQL databases three ways in the
same run: our engine, Jam.py's import (in-process, as the Builder's Import button), and
a replay of our DDL through psycopg2 in one transaction (the floor). Then a no-op
re-import by each. Ours and the floor alternate several times and the medians count:
the DDL time of this VM's PostgreSQL varies by ±30 % from run to run, and the second of
two back-to-back runs is the faster one, so both databases are made before either run,
the order alternates, and a CHECKPOINT comes first. The maintenance window (what users
see) is reported apart from the planning that happens before it.

    .venv/bin/python benchmarks/import_benchmark.py --items 50 150 300 [--skip-jam]

Writes benchmarks/results/import-<time>.json and prints a table.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / ".cache" / "collections"), str(REPO)]

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import (  # noqa: E402
    export)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import (  # noqa: E402
    create_engine)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import (  # noqa: E402
    Project)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import (  # noqa: E402
    importer, run as importing)
from benchmarks.saving import save_results  # noqa: E402
from tests.harness import apps, databases, projects  # noqa: E402

WORK = REPO / ".cache" / "bench"


def dev_project(items):
    """The generated development project for ``items`` items (cached between runs)."""
    folder = WORK / f"dev-{items}"
    if not (folder / ".complete").exists():
        print(f"generating a {items}-item project with Jam.py's Builder functions ...",
              flush=True)
        projects.create_project(folder)
        summary = apps.build(folder, [apps.complete(apps.sqlite_database("gen.sqlite"),
                                                    name="Gen", item_name="gen"),
                                      apps.generate(items)], timeout=3600)
        (folder / ".complete").write_text(json.dumps(summary["counts"]))
    return folder, json.loads((folder / ".complete").read_text())


def target(name, postgres):
    db = postgres.create("bench")
    folder = WORK / "targets" / f"{name}-{db.database}"
    projects.create_project(folder)
    apps.build(folder, [apps.complete(db, name="Gen", item_name="gen")])
    return folder, db


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def floor(statements, db):
    """The same DDL replayed through the driver in one transaction, on a fresh database."""
    engine = create_engine(db.as_connection())
    try:
        with engine.begin() as conn:
            started = time.perf_counter()
            for sql in statements:
                conn.exec_driver_sql(sql)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def ours(folder, zip_path):
    return timed(lambda: importing.run_import(folder, zip_path,
                                              importer.ImportOptions(import_delay=0)))


def run(items, skip_jam, repeat):
    """Ours and the floor, each on a database made just before both runs, in alternating
    order (this VM's disk makes the first of two back-to-back runs slower); medians."""
    postgres = databases.SERVERS["postgresql"]
    dev, counts = dev_project(items)
    zip_path = Path(export.export_project(Project(dev), WORK / f"gen-{items}.zip").dest)
    row = {"items": items, **counts, "runs": []}
    warm, warm_db = target("warm-up", postgres)  # also gives the statements of the floor
    statements = ours(warm, zip_path)[1].executed
    postgres.drop(warm_db)
    for attempt in range(repeat):
        folder, db = target("ours", postgres)
        floor_db = postgres.create("floor")
        postgres.checkpoint()
        floor_first = attempt % 2 == 1
        raw = floor(statements, floor_db) if floor_first else None
        seconds, result = ours(folder, zip_path)
        noop, again = ours(folder, zip_path)
        assert result.changed and not again.changed and result.executed == statements
        if not floor_first:
            raw = floor(statements, floor_db)
        window = sum(result.seconds.get(k, 0) for k in ("maintenance", "database", "admin",
                                                        "files"))
        row["runs"].append({"ours": seconds, "phases": result.seconds, "ours_noop": noop,
                            "raw_ddl": raw, "floor_first": floor_first,
                            "maintenance_window": window})
        for used in (db, floor_db):
            postgres.drop(used)
    row["ddl_statements"] = len(statements)
    for key in ("ours", "ours_noop", "raw_ddl", "maintenance_window"):
        row[key] = statistics.median(r[key] for r in row["runs"])
    row["ours_over_raw"] = statistics.median(r["ours"] / r["raw_ddl"] for r in row["runs"])
    row["window_over_raw"] = statistics.median(
        r["maintenance_window"] / r["raw_ddl"] for r in row["runs"])

    if not skip_jam:
        folder, db = target("jam", postgres)
        first = projects.jam_import(folder, zip_path)
        second = projects.jam_import(folder, zip_path)
        assert first["success"] and second["success"], (first, second)
        row["jam"], row["jam_noop"] = first["seconds"], second["seconds"]
        postgres.drop(db)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--items", type=int, nargs="+", default=[50, 150, 300])
    parser.add_argument("--skip-jam", action="store_true", help="leave out Jam.py's own import")
    parser.add_argument("--repeat", type=int, default=6, help="runs of ours and the floor")
    args = parser.parse_args()
    rows = []
    for items in args.items:
        row = run(items, args.skip_jam, args.repeat)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| items | fields | indexes (FK) | DDL | ours s | raw DDL s | ours/raw |"
          " maintenance window/raw | Jam.py s | Jam.py/ours | ours no-op s | Jam.py no-op s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        jam = f"{r['jam']:.1f} | {r['jam'] / r['ours']:.0f}x" if "jam" in r else "- | -"
        jam_noop = f"{r['jam_noop']:.1f}" if "jam_noop" in r else "-"
        print(f"| {r['items']} | {r['fields']} | {r['indices']} ({r['foreign_keys']}) | "
              f"{r['ddl_statements']} | {r['ours']:.2f} | {r['raw_ddl']:.2f} | "
              f"{r['ours_over_raw']:.2f} | {r['window_over_raw']:.2f} | {jam} | "
              f"{r['ours_noop']:.2f} | {jam_noop} |")
    save_results("import", rows)


if __name__ == "__main__":
    main()
