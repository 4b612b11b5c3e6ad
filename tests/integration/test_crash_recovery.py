"""The fault matrix: an import killed (kill -9) or failing at each phase, on PostgreSQL and
SQLite. After the next run's recovery the database schema and admin.sqlite are either the
old state or the new one - never a mix - the maintenance flag is off, and the files match
admin.sqlite; the import then completes. A Jam.py process started in between (it restores
_admin.sqlite and clears maintenance at start) does not make it worse."""
import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import read as archive
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUTS, LAYOUT_54)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import journal
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.write import write_archive
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.recovery import recover
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.compare import (
    compare_schemas)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)
from tests.harness.admin_dump import dump_admin
from tests.harness.kill_import import kill_at
from tests.harness.server import JamServer

METADATA = LAYOUTS[LAYOUT_54].metadata_tables
# Where an import can be cut short, in the order it passes them.
POINTS = ["plan ready", "maintenance on", "create table", "admin.sqlite saved",
          "admin.sqlite changed", "database committed", "file ", "files copied"]


def import_zip(project, zip_path, report=None, **options):
    return run_import(project, zip_path, ImportOptions(import_delay=0, **options),
                      report=report)


def state(project):
    """(admin metadata rows, live schema) - the two things that must never be mixed."""
    proj = Project(project)
    engine = create_engine(proj.connection())
    try:
        with engine.connect() as conn:
            schema = reflect_schema(conn, proj.connection()["db_type"])
    finally:
        engine.dispose()
    return dump_admin(project, METADATA, protocol_state=False,
                      ignore=["SYS_PARAMS.F_BUILD_VERSION", "SYS_PARAMS.F_MODIFICATION"]), schema


def same(a, b):
    return a[0] == b[0] and not compare_schemas(a[1], b[1])


def with_a_new_file(zip_path, folder):
    """The zip plus one more project file, so that the import also copies files."""
    loaded = archive.read_archive(zip_path)
    extracted = folder / "extracted"
    extracted.mkdir()
    loaded.extract_files(extracted)
    (extracted / "css").mkdir(exist_ok=True)
    (extracted / "css" / "crash-test.css").write_text("body {}\n")
    files = [(str(p.relative_to(extracted)), p) for p in extracted.rglob("*") if p.is_file()]
    target = folder / "new.zip"
    with open(target, "wb") as out:
        write_archive(out, loaded.metadata, files)
    return target


@pytest.fixture
def twins(kind_and_versions, target_project, tmp_path):
    """Two projects at version 1: one is cut short importing version 2, the other imports
    it normally (the new state)."""
    kind, versions = kind_and_versions
    old_zip = versions[0][1]
    new_zip = with_a_new_file(next(z for label, z in versions if "suppliers" in label), tmp_path)
    victim, reference = target_project(kind, "victim"), target_project(kind, "reference")
    for project in (victim, reference):
        import_zip(project, old_zip)
    before = state(victim)
    import_zip(reference, new_zip)
    return victim, new_zip, before, state(reference)


@pytest.fixture(params=["sqlite", "postgresql"])
def kind_and_versions(request, shop_versions):
    return request.param, shop_versions


def check_consistent(project, before, after):
    now = state(project)
    assert same(now, before) or same(now, after), "a mix of old and new"
    params = Project(project).parameters()
    assert params["maintenance"] is False
    assert journal.read(project) is None and not (project / "_admin.sqlite").exists()
    if same(now, after):  # the new metadata is in force: its files are there
        assert (project / "css" / "crash-test.css").exists()
    return same(now, after)


@pytest.mark.parametrize("point", POINTS)
def test_killed_at_each_point(point, twins):
    victim, new_zip, before, after = twins
    kill_at(victim, new_zip, point)
    recover(Project(victim), create_engine)
    rolled_forward = check_consistent(victim, before, after)
    assert rolled_forward == (POINTS.index(point) >= POINTS.index("database committed"))
    import_zip(victim, new_zip)
    assert same(state(victim), after)


@pytest.mark.parametrize("point", ["admin.sqlite saved", "admin.sqlite changed",
                                   "database committed"])
def test_jam_starting_after_the_kill_does_not_make_it_worse(point, twins):
    victim, new_zip, before, after = twins
    kill_at(victim, new_zip, point)
    with JamServer(victim):  # restores _admin.sqlite and clears maintenance at its start
        pass
    recover(Project(victim), create_engine)
    check_consistent(victim, before, after)
    import_zip(victim, new_zip)
    assert same(state(victim), after)


@pytest.mark.parametrize("point", POINTS[1:])
def test_failure_at_each_point(point, twins):
    victim, new_zip, before, after = twins

    def report(line):
        if line.startswith(point):
            raise RuntimeError(f"injected failure at {point!r}")

    with pytest.raises(Exception, match="injected failure"):
        import_zip(victim, new_zip, report=report)
    recover(Project(victim), create_engine)
    check_consistent(victim, before, after)
    import_zip(victim, new_zip)
    assert same(state(victim), after)


def test_jam_info_reports_and_jam_params_finishes_an_interrupted_import(twins):
    from tests.harness.ansible_run import run_module

    victim, new_zip, before, after = twins
    kill_at(victim, new_zip, "admin.sqlite changed")
    password = Project(victim).connection()["password"]
    if password:  # the journal names the phase and the archive, no secret
        assert password not in (victim / "locks" / journal.JOURNAL).read_text()
    info = run_module("jampy.deploy.jam_info", {"project_path": str(victim)})
    assert info["interrupted_import"]["phase"] == "commit" and info["maintenance"] is True
    done = run_module("jampy.deploy.jam_params", {"project_path": str(victim),
                                                  "reset_maintenance": True})
    assert done["changed"]
    check_consistent(victim, before, after)
    assert run_module("jampy.deploy.jam_info", {"project_path": str(victim)})[
        "interrupted_import"] is None
