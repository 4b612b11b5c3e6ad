"""Property (hypothesis), end to end: the shop app's next version, its task.dat mutated at
random, offered to the import of a SQLite project of the same Jam.py release that holds
the version before. Either it is refused with a clear error and the project is as it was
(admin.sqlite, every file, the reflected schema), or it is imported and the real Jam.py
serves the project afterwards (its /api load answers).

The examples are the same every run (a failure is reproducible);
JAMPY_PROPERTY_EXAMPLES sets how many per release, JAMPY_PROPERTY_SEED draws other ones
(to look for new holes: ``JAMPY_PROPERTY_EXAMPLES=300 JAMPY_PROPERTY_SEED=1``)."""
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import (
    ArchiveError, InvalidMetadataError, JamDeployError)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from tests.harness import apps, jamenv, projects
from tests.harness.project_db import reflect
from tests.harness.server import RESPONSE, JamServer

J54, J55, J70 = jamenv.ALL
EXAMPLES = int(os.environ.get("JAMPY_PROPERTY_EXAMPLES", 12))
SEED = os.environ.get("JAMPY_PROPERTY_SEED")

# The admin items the importer and Jam.py's task load read the most of, and values a
# broken export could hold.
MUTATED = ("sys_items", "sys_fields", "sys_indices", "sys_lookup_lists")
VALUES = st.one_of(
    st.sampled_from([None, 0, 1, -1, -5, 10 ** 15, True, "", "abc", "40", 99, 1.5,
                     "[[9, false]]", "[[50, true]", "[]", "X" * 70, "name with space",
                     "json{}", "def broken(:"]),
    st.integers(-2 ** 20, 2 ** 20),
)
# The server module is the application's own code: text that compiles but raises when
# Jam.py runs it ("abc": NameError) is the application's error, which no validation of
# metadata can see without running it.
CODE = "f_server_module"

# The shop on each release line, built with the release's own Builder functions; its next
# version has one field more. 7.0's Builder script has operations of its own
# (jamside/builder70.py), and 7.0's features: a calculated field, an item copy.
SHOP = {
    5: [apps.complete(apps.sqlite_database()), *apps.SHOP_APP],
    7: [{"op": "complete", **apps.sqlite_database().as_connection()},
        {"op": "lookup_list", "name": "Status", "values": [[1, "New"], [2, "Paid"]]},
        {"op": "add_item", "group": "catalogs", "name": "customers", "fields": [
            {"name": "name", "size": 80}, {"name": "email", "size": 120},
            {"name": "notes", "type": "longtext"}]},
        {"op": "add_item", "group": "catalogs", "name": "products", "fields": [
            {"name": "name", "size": 100}, {"name": "price", "type": "currency"},
            {"name": "in_stock", "type": "boolean"}]},
        {"op": "add_item", "group": "journals", "name": "orders", "fields": [
            {"name": "number", "size": 20}, {"name": "order_date", "type": "date"},
            {"name": "customer", "lookup": ["customers", "name"]},
            {"name": "status", "lookup_list": "Status"}]},
        {"op": "add_item", "group": "journals", "name": "order_lines", "fields": [
            {"name": "order", "lookup": ["orders", "number"]},
            {"name": "product", "lookup": ["products", "name"]},
            {"name": "quantity", "type": "integer"}]},
        {"op": "add_detail", "item": "orders", "detail": "order_lines", "field": "order"},
        {"op": "add_field", "item": "orders", "name": "line_count", "type": "integer",
         "calc": ["order_lines", "quantity", "count"]},
        {"op": "add_foreign_key", "item": "orders", "field": "customer"},
        {"op": "add_index", "item": "customers", "fields": ["name"], "unique": True},
        {"op": "add_index", "item": "orders", "fields": [["order_date", True]],
         "name": "SHOP_ORDERS_DATE_IDX"},
        {"op": "copy_item", "item": "customers", "name": "vip_customers"}],
}
NEXT = {5: [apps.add_field("customers", "phone", "Phone", size=30)],
        7: [{"op": "add_field", "item": "customers", "name": "phone", "size": 30}]}


@pytest.fixture(scope="module", params=[J54, J70], ids=str)
def deployed(request, tmp_path_factory):
    """(release, a SQLite project of it that imported the shop, the members of the zip
    of the shop's next version: one field more)."""
    jam = request.param
    root = tmp_path_factory.mktemp(f"deployed-{jam.version}")
    dev = projects.create_project(root / "dev", jam)
    line = 7 if jam.major >= 7 else 5
    apps.build(dev, SHOP[line], jam=jam)
    first = export.export_project(Project(dev), root / "v0.zip").dest
    apps.build(dev, NEXT[line], jam=jam)
    second = export.export_project(Project(dev), root / "v1.zip").dest
    project = projects.create_project(root / "shop", jam)
    apps.build(project, [apps.complete(apps.sqlite_database())], jam=jam)
    run_import(project, first, ImportOptions(import_delay=0))
    with zipfile.ZipFile(second) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return jam, project, members


@st.composite
def mutation(draw, task):
    """(admin item, row index, field name, new value)."""
    name = draw(st.sampled_from(MUTATED))
    entry = task[name]
    field = draw(st.sampled_from(entry["fields"]))
    value = draw(VALUES.filter(lambda v: not isinstance(v, str) or "def " in v)
                 if field == CODE else VALUES)
    return name, draw(st.integers(0, len(entry["records"]) - 1)), field, value


def mutated(task, changes):
    task = json.loads(json.dumps(task))
    for name, row, field, value in changes:
        entry = task[name]
        entry["records"][row][entry["fields"].index(field)] = value
    return task


def state(project):
    """Every file of the project by its digest (admin.sqlite and the database among them),
    and the reflected schema."""
    files = {str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
             for path in sorted(project.rglob("*")) if path.is_file()}
    return files, reflect(project)


def examples(test):
    test = settings(max_examples=EXAMPLES, derandomize=SEED is None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])(test)
    return test if SEED is None else seed(int(SEED))(test)


@examples
@given(data=st.data())
def test_a_mutated_version_is_refused_clearly_or_served_by_jam(deployed, data):
    jam, project, members = deployed
    original = json.loads(members["task.dat"])
    task = mutated(original, data.draw(st.lists(mutation(original), min_size=1, max_size=2)))
    with tempfile.TemporaryDirectory() as folder:
        copy = shutil.copytree(project, Path(folder) / "shop")
        archive = Path(folder) / "v1.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for name, content in members.items():
                zf.writestr(name, json.dumps(task) if name == "task.dat" else content)
        before = state(copy)
        try:
            run_import(copy, archive, ImportOptions(import_delay=0))
        except JamDeployError as refused:
            # The reader names the task.dat value, the validation each row by id, the other
            # checks say that nothing changed.
            assert (isinstance(refused, ArchiveError) and str(refused).startswith("task.dat")
                    or isinstance(refused, InvalidMetadataError) and " id " in str(refused)
                    or "nothing was changed" in str(refused)), refused
            assert state(copy) == before, refused
            event(f"refused by {type(refused).__name__}")
            return
        with JamServer(copy, jam=jam) as server:
            status = server.client().status("load")
            assert status == RESPONSE, f"status {status}:\n{server.log()[-4000:]}"
        event("imported, served by Jam.py")
