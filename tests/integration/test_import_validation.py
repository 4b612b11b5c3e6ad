"""Broken metadata offered to jam_import on a project that already holds the shop (SQLite
and PostgreSQL, check mode and real): each kind of problem measured before the semantic
validation existed is refused, naming the item and field, with admin.sqlite and the live
schema unchanged. And every real export passes the validation: the sdist demos of
5.4.136, 5.5.4 and 7.0.120 (on each database type) and the shop apps built by Jam.py's
Builder (validated by every export the import tests make)."""
import hashlib
import io
import json
import sqlite3
import urllib.error
import zipfile
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.validate import (
    find_problems)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import (
    InvalidMetadataError)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.installed import (
    InstalledJam)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import run as importing
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    describe_schema)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.reflect import (
    reflect_schema)
from tests.harness import apps, databases, jamenv, projects, services
from tests.harness.ansible_run import run_module
from tests.harness.server import RESPONSE, JamServer

J70 = next(env for env in jamenv.ALL if env.version.startswith("7."))
PROJECT_ERROR = 4  # Jam.py's status for a project its task load failed on


def _rows(doc, name):
    fields = doc[name]["fields"]
    return fields, [dict(zip(fields, record)) for record in doc[name]["records"]]


def _set(doc, name, match, **values):
    """Set ``values`` in the records of ``doc[name]`` for which ``match(row)``."""
    fields, rows = _rows(doc, name)
    for record, row in zip(doc[name]["records"], rows):
        if match(row):
            for key, value in values.items():
                record[fields.index(key)] = value


def _field(name):
    return lambda row: row["f_field_name"] == name


def _customers_name(row):
    return row["f_field_name"] == "name" and row["f_size"] == 80


def _customers_index(row):
    return not row["f_foreign_index"] and "CUSTOMERS" in row["f_index_name"].upper()


# The kinds measured: (label, mutation, what the refusal says).
CASES = [
    ("size is text", lambda d: _set(d, "sys_fields", _customers_name, f_size="abc"),
     "(name, id {name}) of item 'Customers' (customers, id {customers}): f_size 'abc' is "
     "not a whole number"),
    ("size is negative", lambda d: _set(d, "sys_fields", _customers_name, f_size=-5),
     "(name, id {name}) of item 'Customers' (customers, id {customers}): a TEXT field "
     "needs a positive f_size, not -5"),
    ("size is absurd", lambda d: _set(d, "sys_fields", _customers_name, f_size=10 ** 15),
     "(name, id {name}) of item 'Customers' (customers, id {customers}): f_size "
     "1000000000000000 is above"),
    ("unknown data type", lambda d: _set(d, "sys_fields", _customers_name, f_data_type=99),
     "(name, id {name}) of item 'Customers' (customers, id {customers}): f_data_type 99 "
     "is not a Jam.py data type"),
    ("index field list not JSON",
     lambda d: _set(d, "sys_indices", _customers_index, f_fields_list="[[1, false"),
     "of item 'Customers' (customers, id {customers}): f_fields_list '[[1, false' is not "
     "Jam.py's JSON list"),
    ("index names a missing field",
     lambda d: _set(d, "sys_indices", _customers_index, f_fields_list="[[987654, false]]"),
     "of item 'Customers' (customers, id {customers}): f_fields_list field 987654 is not "
     "the id of an existing field"),
    ("field of a missing item",
     lambda d: _set(d, "sys_fields", _customers_name, owner_rec_id=876543),
     "(name, id {name}) of item None (None, id 876543): owner_rec_id 876543 is not the id "
     "of an existing item"),
]


def broken_zip(source, mutate, dest):
    """``source`` with its task.dat mutated, the other members as they are."""
    with zipfile.ZipFile(source) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    doc = json.loads(members["task.dat"])
    mutate(doc)
    members["task.dat"] = json.dumps(doc).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    dest.write_bytes(buffer.getvalue())
    return dest


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def production(request, tmp_path_factory, shop_versions):
    """A project of the given database that already holds the shop (imported)."""
    root = tmp_path_factory.mktemp(f"prod-{request.param}")
    if request.param == "sqlite":
        db = databases.ProjectDatabase(databases.SQLITE, str(root / "shop.sqlite"))
        server = None
    else:
        server = services.database_server(request.param)
        db = server.create()
    project = projects.create_project(root / "prod")
    apps.build(project, [apps.complete(db, name="Shop", item_name="shop")])
    importing.run_import(project, shop_versions[0][1], ImportOptions(import_delay=0))
    yield project
    if server is not None:
        server.drop(db)


def state(project):
    """admin.sqlite's bytes and the live schema, as text."""
    proj = Project(project)
    admin = hashlib.sha256((project / "admin.sqlite").read_bytes()).hexdigest()
    engine = create_engine(proj.connection())
    try:
        with engine.connect() as conn:
            schema = describe_schema(reflect_schema(conn, proj.connection()["db_type"]))
    finally:
        engine.dispose()
    return admin, schema


@pytest.mark.parametrize("label, mutate, expected", CASES, ids=[c[0] for c in CASES])
def test_broken_metadata_is_refused_with_nothing_changed(production, shop_versions, tmp_path,
                                                         label, mutate, expected):
    zip_path = broken_zip(shop_versions[0][1], mutate, tmp_path / "broken.zip")
    with zipfile.ZipFile(shop_versions[0][1]) as zf:
        original = json.loads(zf.read("task.dat"))
    items = _rows(original, "sys_items")[1]
    fields = _rows(original, "sys_fields")[1]
    customers = next(r["id"] for r in items if r["f_item_name"] == "customers")
    name = next(r["id"] for r in fields if _customers_name(r))
    expected = expected.format(customers=customers, name=name)
    before = state(production)
    for check_mode in (True, False):
        with pytest.raises(InvalidMetadataError) as refused:
            importing.run_import(production, zip_path, ImportOptions(import_delay=0),
                                 check_mode=check_mode)
        message = str(refused.value)
        assert f"the archive {zip_path} is not valid Jam.py metadata" in message
        assert "nothing was changed" in message and expected in message, message
        assert state(production) == before
    assert zip_path.exists()


@pytest.mark.parametrize("release", [env.version for env in jamenv.ALL])
def test_the_sdist_demos_are_valid_on_every_database(tmp_path, release):
    env = jamenv.JamEnv(release)
    demo = Project(projects.copy_demo(tmp_path / "demo", env))
    metadata = demo.metadata()
    keywords = InstalledJam(release, str(env.sdist_root() / "jam")).keywords()
    assert (len(keywords) == 5) == release.startswith("7.")
    for db_type in (j.SQLITE, j.POSTGRESQL, j.MYSQL):
        assert find_problems(metadata, db_type, keywords) == []


@pytest.mark.parametrize("release", [env.version for env in jamenv.ALL
                                     if env.version.startswith("5.")])
def test_the_refresh_app_built_by_the_builder_is_valid_on_every_database(tmp_path, release):
    env = jamenv.JamEnv(release)
    dev = projects.create_project(tmp_path / "dev", env)
    apps.build(dev, [apps.complete(apps.sqlite_database()), *apps.REFRESH_APP], jam=env)
    metadata = Project(dev).metadata()
    assert len(metadata.items) > 10
    for db_type in (j.SQLITE, j.POSTGRESQL, j.MYSQL):
        assert find_problems(metadata, db_type, ()) == []


def test_the_built_shop_versions_are_valid(shop_versions):
    # Each zip was written by export_project, which validates the development project.
    assert len(shop_versions) == len(apps.SHOP_EVOLUTION) + 1


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: _set(d, "sys_fields", _field("lastname"), f_data_type=99),
     "(lastname, id 10) of item 'Сustomers' (customers, id 10): f_data_type 99 is not"),
    (lambda d: _set(d, "sys_indices", lambda r: r["id"] == 9, f_fields_list="[[50, true"),
     "index 'DEMO_INVOICES_IDX' (id 9) of item 'Invoices' (invoices, id 16): f_fields_list"),
    (lambda d: _set(d, "sys_fields", _field("lastname"), f_field_name="badge"),
     "(badge, id 10) of item 'Сustomers' (customers, id 10): f_field_name 'badge' is a "
     "word Jam.py reserves"),
], ids=["unknown data type", "index field list not JSON", "reserved word"])
def test_a_70_project_refuses_broken_metadata_through_the_module(tmp_path, mutate, expected):
    """The 7.0.120 demo serving as production, jam_import run by 7.0.120's Python (its
    keywords.py read for the reserved words). The demo's caption of Customers begins with
    a Cyrillic letter, as the messages show."""
    dev = projects.copy_demo(tmp_path / "dev", J70)
    exported = Path(run_module("jampy.deploy.jam_export", {
        "project_path": str(dev), "dest": str(tmp_path / "good.zip")},
        python=J70.python())["dest"])
    zip_path = broken_zip(exported, mutate, tmp_path / "broken.zip")
    target = projects.copy_demo(tmp_path / "prod", J70)
    before = state(target)
    for check_mode in (True, False):
        refused = run_module("jampy.deploy.jam_import", {
            "project_path": str(target), "src": str(zip_path)}, check_mode=check_mode,
            python=J70.python(), expect_failure=True)
        assert "is not valid Jam.py metadata (1 problem; nothing was changed)" in \
            refused["msg"] and expected in refused["msg"], refused["msg"]
        assert state(target) == before


# Values the load-time rules refuse, written straight into a copy of a release's demo
# (what an import without the rule would write): (SQL, what the problem says).
LOAD_TIME = {
    "server module not text": (
        "UPDATE SYS_ITEMS SET F_SERVER_MODULE = 1 WHERE F_ITEM_NAME = 'customers' "
        "AND DELETED = 0", "f_server_module is 1, not text"),
    "form layout not Jam.py's": (
        "UPDATE SYS_ITEMS SET F_INFO = 'abc' WHERE F_ITEM_NAME = 'customers' AND DELETED = 0",
        "f_info 'abc' is neither the item's form layout"),
    "lookup list without values": (
        "UPDATE SYS_LOOKUP_LISTS SET F_LOOKUP_VALUES_TEXT = NULL WHERE ID = "
        "(SELECT MIN(ID) FROM SYS_LOOKUP_LISTS WHERE DELETED = 0)",
        "f_lookup_values_text is empty"),
    # The export reads the rows Jam.py reads (DELETED = 0): the references to the row are
    # refused (an archive's NULL mark itself: tests/unit/test_metadata_validation.py).
    "common field marked NULL": (
        "UPDATE SYS_FIELDS SET DELETED = NULL WHERE ID = 1",
        "f_primary_key 1 is not the id of an existing field"),
}


@pytest.mark.parametrize("case", list(LOAD_TIME))
@pytest.mark.parametrize("jam", jamenv.ALL, ids=str)
def test_what_the_load_time_rules_refuse_jam_py_cannot_load(tmp_path, jam, case):
    """Both directions on each release: the demo as shipped is valid and served; with the
    value the rule refuses, the validation names it and Jam.py's task load fails (5.x:
    status 4, project error; 7.0.120: HTTP 500) - except a common field marked NULL on
    7.0.120, which serves (its items have key fields of their own), refused anyway: the
    catalogs group's key field is gone."""
    sql, problem = LOAD_TIME[case]
    demo = projects.copy_demo(tmp_path / "demo", jam)
    assert find_problems(Project(demo).metadata(), j.SQLITE, ()) == []
    with sqlite3.connect(demo / "admin.sqlite") as con:
        assert con.execute(sql).rowcount == 1
    con.close()
    assert [p for p in find_problems(Project(demo).metadata(), j.SQLITE, ()) if problem in p]
    with JamServer(demo, jam=jam) as server:
        try:
            status = server.client().status("load")
        except urllib.error.HTTPError as error:
            status = f"HTTP {error.code}"
    if jam.major >= 7 and case == "common field marked NULL":
        assert status == RESPONSE
    else:
        assert status == ("HTTP 500" if jam.major >= 7 else PROJECT_ERROR), server.log()[-2000:]
