"""Property (hypothesis), end to end: the shop app's next version, its task.dat mutated at
random, offered to the import of a SQLite project that holds the version before. Either it
is refused with a clear error and admin.sqlite and the schema are as they were, or it is
imported and the real Jam.py 5.4.136 serves the project afterwards."""
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import (
    ArchiveError, InvalidMetadataError, JamDeployError)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from tests.harness import apps, projects
from tests.harness.project_db import reflect
from tests.harness.server import RESPONSE, JamServer

# The admin items the importer reads the most of, and values a broken export could hold.
MUTATED = ("sys_items", "sys_fields", "sys_indices")
VALUES = st.one_of(
    st.sampled_from([None, 0, 1, -1, -5, 10 ** 15, True, "", "abc", "40", 99, 1.5,
                     "[[9, false]]", "[[50, true]", "[]", "X" * 70, "name with space"]),
    st.integers(-2 ** 20, 2 ** 20),
)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, shop_versions):
    """A SQLite project that imported the shop's first version, and the second's task.dat."""
    root = tmp_path_factory.mktemp("deployed")
    project = projects.create_project(root / "shop")
    apps.build(project, [apps.complete(apps.sqlite_database())])
    run_import(project, shutil.copy(shop_versions[0][1], root / "v0.zip"),
               ImportOptions(import_delay=0))
    with zipfile.ZipFile(shop_versions[1][1]) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return project, members


@st.composite
def mutations(draw, task):
    for _mutation in range(draw(st.integers(1, 2))):
        entry = task[draw(st.sampled_from(MUTATED))]
        record = draw(st.sampled_from(entry["records"]))
        record[draw(st.integers(0, len(entry["fields"]) - 1))] = draw(VALUES)
    return task


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# The same examples every run (a failure is reproducible); JAMPY_PROPERTY_EXAMPLES for more.
@settings(max_examples=int(os.environ.get("JAMPY_PROPERTY_EXAMPLES", 12)), derandomize=True,
          deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_version_is_refused_clearly_or_served_by_jam(deployed, data):
    project, members = deployed
    task = data.draw(mutations(json.loads(members["task.dat"])))
    with tempfile.TemporaryDirectory() as folder:
        copy = shutil.copytree(project, Path(folder) / "shop")
        archive = Path(folder) / "v1.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for name, content in members.items():
                zf.writestr(name, json.dumps(task) if name == "task.dat" else content)
        before = digest(copy / "admin.sqlite"), reflect(copy)
        try:
            run_import(copy, archive, ImportOptions(import_delay=0))
        except JamDeployError as refused:
            # The reader names the task.dat value, the validation each row by id, the other
            # checks say that nothing changed.
            assert (isinstance(refused, ArchiveError) and str(refused).startswith("task.dat")
                    or isinstance(refused, InvalidMetadataError) and " id " in str(refused)
                    or "nothing was changed" in str(refused)), refused
            assert (digest(copy / "admin.sqlite"), reflect(copy)) == before, refused
            event(f"refused by {type(refused).__name__}")
            return
        with JamServer(copy) as server:
            assert server.client().status("load") == RESPONSE
        event("imported, served by Jam.py")
