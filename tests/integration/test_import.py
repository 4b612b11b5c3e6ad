"""jam_import's engine against real databases and the real Jam.py 5.4.136.

Differential: the same zip imported by Jam.py and by us gives equal admin tables and
equivalent database schemas. Evolution, idempotency, check mode, faults, integrity and
the live protocol with a running Jam.py process.
"""
import hashlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUTS, LAYOUT_54)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportFailed, ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.derive import (
    schema_from_metadata)
from tests.harness import jamenv, projects
from tests.harness.admin_dump import dump_admin
from tests.harness.server import MAINTENANCE, MODIFIED, RESPONSE, JamServer

METADATA_TABLES = LAYOUTS[LAYOUT_54].metadata_tables
KINDS = ["sqlite", "postgresql", "mysql"]


def our_import(project, zip_path, engine_factory=create_engine, report=None, **options):
    options.setdefault("import_delay", 0)
    return run_import(project, zip_path, ImportOptions(**options), engine_factory,
                      report=report)


def reflect(project):
    connection = Project(project).connection()
    engine = create_engine(connection)
    try:
        with engine.connect() as conn:
            return reflect_schema(conn, connection["db_type"])
    finally:
        engine.dispose()


def no_drift(project):
    """The live schema is exactly what the project's metadata says it should be."""
    proj = Project(project)
    return compare_schemas(schema_from_metadata(proj.metadata()), reflect(project))


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def only_named_differences(differences, known):
    return [d for d in differences if not any(k in d for k in known)]


# Where Jam.py's own import is known to be wrong, our result differs on purpose.
JAM_IMPORT_BUGS = {
    # facts §4.7: Jam.py never creates foreign keys when importing into SQLite.
    "sqlite": ["foreign key"],
    "postgresql": [],
    "mysql": [],
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("app", ["demo", "shop"])
def test_differential_with_jams_own_import(kind, app, demo_zip, shop_versions, target_project):
    zip_path = demo_zip if app == "demo" else shop_versions[0][1]
    theirs = target_project(kind, "jam", app)
    ours = target_project(kind, "ours", app)
    assert projects.jam_import(theirs, zip_path)["success"]
    result = our_import(ours, zip_path)
    assert result.changed and result.executed

    # Jam.py's import copies F_JAM_VERSION, which Jam.py rewrites at every start anyway;
    # ours keeps the target's so that a restart does not make the next import a change.
    deliberate = ["SYS_PARAMS.F_JAM_VERSION"]
    assert dump_admin(ours, METADATA_TABLES, ignore=deliberate) == dump_admin(
        theirs, METADATA_TABLES, ignore=deliberate)
    differences = compare_schemas(reflect(theirs), reflect(ours))
    assert only_named_differences(differences, JAM_IMPORT_BUGS[kind]) == []
    assert no_drift(ours) == []
    with JamServer(ours) as server:
        assert server.client().status("load") == RESPONSE
    # Jam.py's start rewrote its version and field counter: still nothing to import.
    assert not our_import(ours, zip_path).changed


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("jam", jamenv.ALL[:2], ids=str)
def test_evolution_step_by_step_keeps_rows(jam, kind, shop_versions_of, target_project):
    """Each release of the 5.x line (7.0: test_features_70.py) with the shop its own
    Builder evolved; the rows inserted after each step survive the next ones."""
    target = target_project(kind, jam=jam)
    for n, (label, zip_path) in enumerate(shop_versions_of(jam)):
        result = our_import(target, zip_path)
        assert result.changed, label
        assert no_drift(target) == [], label
        # Jam.py names are upper case on SQLite, lower case on PostgreSQL and MySQL.
        table, name = ("SHOP_CUSTOMERS", "NAME") if kind == "sqlite" else ("shop_customers", "name")
        engine = create_engine(Project(target).connection())
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {table} ({name}) VALUES (:n)"), {"n": f"customer {n}"})
            names = [r[0] for r in conn.execute(text(f"SELECT {name} FROM {table} ORDER BY 1"))]
        engine.dispose()
        assert names == sorted(f"customer {i}" for i in range(n + 1)), label
        assert not our_import(target, zip_path).changed, label
    with JamServer(target, jam=jam) as server:
        client = server.client()
        client.load()
        supplier = client.insert("suppliers", {"name": "Acme"})
        client.insert("customers", {"name": "Ann", "mail": "ann@example.org", "phone": "123"})
        product = client.insert("products", {"name": "Tea", "price": 2.5, "supplier": supplier})
        assert [(r["name"], r["mail"], r["phone"]) for r in client.open("customers")
                if r["name"] == "Ann"] == [("Ann", "ann@example.org", "123")]
        assert client.open("products", where={"id": product})[0]["supplier"] == supplier


def test_check_mode_then_run_then_rerun(shop_versions, target_project):
    target = target_project("postgresql")
    zip_path = shop_versions[0][1]
    admin_before, schema_before = sha(target / "admin.sqlite"), reflect(target)

    planned = run_import(target, zip_path, check_mode=True)
    assert planned.changed and planned.statements and not planned.executed
    assert any(s.startswith('CREATE TABLE "shop_customers"') for s in planned.statements)
    assert sha(target / "admin.sqlite") == admin_before
    assert compare_schemas(schema_before, reflect(target)) == []
    assert not (target / "logs").exists()

    done = our_import(target, zip_path)
    assert done.changed and done.executed == planned.statements and done.log_file
    versions = Project(target).parameters()

    again = our_import(target, zip_path)
    assert not again.changed and not again.executed and again.log_file is None
    after = Project(target).parameters()
    assert (after["params_version"], after["build_version"]) == (
        versions["params_version"], versions["build_version"])
    assert after["maintenance"] is False
    assert len(list((target / "logs").glob("import_*.log"))) == 1


def failing_engine(position):
    """The real database, with the statement at ``position`` of the import failing."""
    def factory(connection):
        engine = create_engine(connection)
        counter = {"n": 0}

        @event.listens_for(engine, "before_cursor_execute")
        def fail(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(("CREATE", "ALTER", "DROP", "INSERT INTO")):
                counter["n"] += 1
                if counter["n"] == position:
                    raise RuntimeError(f"injected failure at statement {position}")
        return engine
    return factory


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_failing_statement_rolls_back_everything(kind, where, shop_versions, target_project):
    target = target_project(kind)
    our_import(target, shop_versions[0][1])
    zip_path = shop_versions[-1][1]
    count = len(run_import(target, zip_path, check_mode=True).statements)
    position = {"first": 1, "middle": count // 2, "last": count}[where]
    admin_before = dump_admin(target, METADATA_TABLES, protocol_state=False)
    schema_before = reflect(target)
    versions_before = Project(target).parameters()

    with pytest.raises(ImportFailed) as failure:
        our_import(target, zip_path, engine_factory=failing_engine(position))
    message = str(failure.value)
    assert "statement failed:" in message and f"injected failure at statement {position}" in message
    assert "rolled back" in message

    assert dump_admin(target, METADATA_TABLES, protocol_state=False) == admin_before
    assert compare_schemas(schema_before, reflect(target)) == []
    versions = Project(target).parameters()
    assert versions["maintenance"] is False
    assert versions["params_version"] == versions_before["params_version"] + 2
    assert versions["build_version"] == versions_before["build_version"]
    assert not (target / "_admin.sqlite").exists()
    log = sorted((target / "logs").glob("import_*.log"))[-1].read_text()
    assert log.startswith("THE METADATA HAVE NOT BEEN IMPORTED")
    assert our_import(target, zip_path).changed  # a later run still imports it


def test_mysql_failure_reports_what_was_applied_and_the_backup(shop_versions, target_project):
    target = target_project("mysql")
    our_import(target, shop_versions[0][1])
    admin_before = dump_admin(target, METADATA_TABLES, protocol_state=False)
    with pytest.raises(ImportFailed) as failure:  # without the rehearsal that catches it first
        our_import(target, shop_versions[-1][1], engine_factory=failing_engine(3),
                   rehearse=False)
    message, result = str(failure.value), failure.value.result
    assert "2 statements before it were applied" in message
    assert len(result.executed) == 2
    assert dump_admin(target, METADATA_TABLES, protocol_state=False) == admin_before
    backup = Path(result.backup["folder"])
    assert str(backup) in message and result.backup["restore"] in message
    assert "shop_customers" in result.backup["tables"]
    dump = (backup / f"{Project(target).connection()['database']}.sql").read_text()
    assert "CREATE TABLE `shop_customers`" in dump
    assert (backup / "admin.sqlite").read_bytes()[:16] == b"SQLite format 3\x00"
    assert oct((backup / f"{Project(target).connection()['database']}.sql").stat().st_mode)[-3:] == "600"
    assert Project(target).parameters()["maintenance"] is False


def test_integrity_mismatch_is_refused_before_any_change(demo_zip, shop_versions,
                                                         target_project):
    target = target_project("sqlite")
    our_import(target, shop_versions[0][1])
    before = sha(target / "admin.sqlite")
    with pytest.raises(JamDeployError) as refused:
        our_import(target, demo_zip)
    assert "have different type values" in str(refused.value) or \
        "have different database tables" in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert sha(target / "admin.sqlite") == before


def test_running_jam_answers_maintenance_then_serves_the_new_items(shop_versions,
                                                                   target_project):
    target = target_project("postgresql")
    our_import(target, shop_versions[0][1])
    supplier_version = next(z for label, z in shop_versions if "suppliers" in label)
    with JamServer(target) as server:
        client = server.client()
        assert client.status("load") == RESPONSE
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.setdefault(
            "result", our_import(target, supplier_version, import_delay=3)))
        worker.start()
        seen = set()
        while worker.is_alive():
            seen.add(client.status("load"))
            time.sleep(0.2)
        worker.join()
        assert outcome["result"].changed
        assert MAINTENANCE in seen and seen <= {RESPONSE, MAINTENANCE, MODIFIED}
        # The page reloads (status 8 told it the project changed) and finds the new item.
        client.load(refresh=True)
        supplier = client.insert("suppliers", {"name": "Acme"})
        assert [r["name"] for r in client.open("suppliers")] == ["Acme"] and supplier


def test_two_imports_at_once_serialize_and_the_ddl_runs_once(shop_versions, target_project):
    target = target_project("postgresql")
    zip_path = shop_versions[0][1]
    results, errors = [], []

    def one():
        try:
            results.append(our_import(target, zip_path, import_delay=2))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=one), threading.Thread(target=one)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    assert sorted(r.changed for r in results) == [False, True]
    assert sum(len(r.executed) for r in results) == len(
        next(r for r in results if r.changed).statements)
    assert no_drift(target) == [] and Project(target).parameters()["maintenance"] is False


def test_a_busy_lock_times_out_naming_its_holder(shop_versions, target_project):
    from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.locks import (
        METADATA_IMPORT, LockTimeout, project_lock)

    target = target_project("sqlite")
    with project_lock(target, METADATA_IMPORT, note="importing other.zip"):
        with pytest.raises(LockTimeout) as busy:
            our_import(target, shop_versions[0][1], lock_timeout=0.3)
    assert "held by jampy.deploy (importing other.zip, pid" in str(busy.value)
    with project_lock(target, METADATA_IMPORT):  # as Jam.py holds it: no note
        with pytest.raises(LockTimeout, match="held by Jam.py"):
            our_import(target, shop_versions[0][1], lock_timeout=0.3)
    assert our_import(target, shop_versions[0][1]).changed


def failing_on(fragment):
    """The real database, with every statement containing ``fragment`` failing."""
    def factory(connection):
        engine = create_engine(connection)

        @event.listens_for(engine, "before_cursor_execute")
        def fail(conn, cursor, statement, parameters, context, executemany):
            if fragment in statement:
                raise RuntimeError(f"injected failure on {fragment}")
        return engine
    return factory


def test_mysql_rehearsal_catches_a_failure_with_nothing_changed(shop_versions, target_project):
    target = target_project("mysql")
    our_import(target, shop_versions[0][1])
    supplier_version = next(z for label, z in shop_versions if "suppliers" in label)
    before = dump_admin(target, METADATA_TABLES), reflect(target)
    with pytest.raises(JamDeployError) as refused:
        our_import(target, supplier_version, engine_factory=failing_on("`shop_suppliers`"))
    message = str(refused.value)
    assert "rehearsal on an empty copy of the schema failed at: CREATE TABLE `shop_suppliers`" \
        in message and "Nothing was changed" in message
    assert dump_admin(target, METADATA_TABLES) == before[0]  # not even maintenance
    assert compare_schemas(before[1], reflect(target)) == []
    done = our_import(target, supplier_version)
    assert done.rehearsal == "passed" and done.changed and no_drift(target) == []


def test_jams_own_import_lock_and_ours_exclude_each_other(shop_versions, target_project):
    """Jam.py's FileLock (its Builder or migration-folder import) and our lock are the same
    lock: each waits for the other."""
    import subprocess

    from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.locks import (
        METADATA_IMPORT, LockTimeout, project_lock)
    from tests.harness import jamenv

    def jam_holding(seconds):
        """Jam.py's own hold_lock.py, once it has asked for the lock."""
        jam = subprocess.Popen(
            [jamenv.jam_python(), str(jamenv.JAMSIDE / "hold_lock.py"), str(target),
             METADATA_IMPORT, str(seconds)], stdout=subprocess.PIPE, text=True)
        assert jam.stdout.readline().strip() == "waiting"
        return jam

    target = target_project("sqlite")
    holder = jam_holding(3)
    assert holder.stdout.readline().startswith("held ")
    with pytest.raises(LockTimeout, match="held by Jam.py"):
        our_import(target, shop_versions[0][1], lock_timeout=0.5)
    holder.wait(30)

    with project_lock(target, METADATA_IMPORT):
        jam = jam_holding(0)
        time.sleep(1)
        released = time.time()
    held, at = jam.stdout.readline().split()
    assert held == "held" and float(at) >= released  # Jam.py waited for our lock
    jam.wait(30)
