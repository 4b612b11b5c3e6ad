"""Property (hypothesis): whatever values a real export's task.dat is mutated to, the
metadata is either refused with a clear error - by the reader (ArchiveError) or by the
validation (InvalidMetadataError naming each row by id) - or accepted, and then an import
of it plans and renders on SQLite, PostgreSQL and MySQL without any other exception."""
import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.read import (
    metadata_from_task_data)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.validate import (
    validate_metadata)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import (
    ArchiveError, InvalidMetadataError, JamDeployError)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as j
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate import incoming
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.plan import (
    build_plan, check_integrity)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.render import (
    render_plan)

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"
DEMO70 = json.loads((JAM70 / "demo-task.dat").read_text())
CURRENT = metadata_from_task_data(copy.deepcopy(DEMO70))[0]
KEYWORDS = frozenset({"BADGE", "LABEL", "HIDDEN", "PROGRESS", "TASK"})
TABLES = sorted(k for k in DEMO70 if isinstance(DEMO70[k], dict))


def _ids(name):
    return [record[DEMO70[name]["fields"].index("id")] for record in DEMO70[name]["records"]]


values = st.one_of(
    st.sampled_from([None, 0, 1, -1, -5, 10 ** 15, True, False, "", "abc", "40", 99, 1.5,
                     "[[9, false]]", "[[50, true]", "[]", "[[4242, false]]", "TASK", "history",
                     "X" * 70, "name with space", "1abc"]),
    st.sampled_from(_ids("sys_items") + _ids("sys_fields") + _ids("sys_roles")),
    st.integers(-2 ** 40, 2 ** 40),
    st.text(max_size=12),
)


@st.composite
def mutations(draw):
    doc = copy.deepcopy(DEMO70)
    for _mutation in range(draw(st.integers(1, 3))):
        entry = doc[draw(st.sampled_from(TABLES))]
        if not entry["records"]:
            continue
        record = draw(st.sampled_from(entry["records"]))
        column = draw(st.integers(0, len(entry["fields"]) - 1))
        record[column] = draw(values)
    return doc


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(mutations(), st.sampled_from([j.SQLITE, j.POSTGRESQL, j.MYSQL]))
def test_mutations_are_refused_clearly_or_import_cleanly(doc, db_type):
    try:
        archived = metadata_from_task_data(doc)[0]
    except ArchiveError as refused:
        assert str(refused).startswith("task.dat")
        return
    try:
        validate_metadata(archived, db_type, KEYWORDS)
    except InvalidMetadataError as refused:
        lines = str(refused).splitlines()[1:-1]
        assert lines and all("id " in line or line.startswith("- ... and") for line in lines)
        return
    try:
        check_integrity(CURRENT, archived)
    except JamDeployError as refused:  # an item ID that changes its type or table
        assert "nothing was changed" in str(refused)
        return
    desired = incoming.prepare(archived, CURRENT, db_type)
    try:
        render_plan(build_plan(CURRENT, desired, db_type), db_type)
    except JamDeployError as refused:  # a value only its column's type rejects (a default)
        assert "nothing was changed" in str(refused)
