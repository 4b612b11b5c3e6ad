"""Fuzzing the archive reader and the task.dat loader (hypothesis): whatever the zip and
its JSON hold, reading either succeeds or raises ArchiveError with a message, never
another exception, and never writes a file."""
import io
import json
import os
import string
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import read as archive
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import (
    LAYOUTS, LAYOUT_54)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import ArchiveError

LIMITS = archive.Limits(max_members=40, max_member_size=64 * 1024,
                        max_total_size=256 * 1024, max_task_dat_size=128 * 1024)
FIELDS = LAYOUTS[LAYOUT_54].export_fields

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                    st.floats(allow_nan=False), st.text(max_size=40))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
identifiers = st.text(alphabet=string.ascii_letters + string.digits + "_\"'`; -./\\\x00",
                      max_size=24)


@st.composite
def table_entries(draw, name):
    fields = list(FIELDS[name])
    if draw(st.booleans()):
        fields = draw(st.lists(st.sampled_from(fields + ["id", "x; drop", "F"]), max_size=8))
    rows = draw(st.lists(st.lists(st.one_of(scalars, identifiers, json_values),
                                  min_size=0, max_size=len(fields) + 2), max_size=4))
    return draw(st.one_of(st.just({"fields": fields, "records": rows}), json_values))


@st.composite
def task_documents(draw):
    doc = {"db_type": draw(st.one_of(st.integers(-1, 8), scalars))}
    for name in LAYOUTS[LAYOUT_54].metadata_tables:
        if draw(st.integers(0, 9)):  # mostly present
            doc[name] = draw(table_entries(name))
    return draw(st.one_of(st.just(doc), json_values))


member_names = st.one_of(
    st.sampled_from(["js/a.js", "css/x.css", "index.html", "task.dat", "utils/u.py",
                     "static/img/i.png", "reports/r.ods"]),
    st.text(alphabet=string.ascii_letters + "/.\\:_-\x00", min_size=0, max_size=30))


def build_zip(task, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        if task is not None:
            zf.writestr("task.dat", task if isinstance(task, bytes) else json.dumps(task))
        for name, data in members:
            try:  # zipfile itself refuses some names (e.g. an empty one) when writing
                zf.writestr(name, data)
            except (ValueError, IndexError):
                pass
    return buffer.getvalue()


def refused_cleanly(tmp_path, data):
    path = tmp_path / "fuzz.zip"
    path.write_bytes(data)
    before = sorted(os.listdir(tmp_path))
    try:
        archive.read_archive(path, LIMITS)
    except ArchiveError as exc:
        assert str(exc)
    assert sorted(os.listdir(tmp_path)) == before


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(task=task_documents())
def test_any_task_dat(tmp_path, task):
    refused_cleanly(tmp_path, build_zip(task, []))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_any_task_dat_bytes(tmp_path, raw):
    refused_cleanly(tmp_path, build_zip(raw, []))


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(st.tuples(member_names, st.binary(max_size=64)), max_size=8),
       with_task=st.booleans())
def test_any_members(tmp_path, members, with_task):
    task = {"db_type": 1, **{n: {"fields": list(FIELDS[n]), "records": []}
                             for n in LAYOUTS[LAYOUT_54].metadata_tables}}
    refused_cleanly(tmp_path, build_zip(task if with_task else None, members))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_any_bytes_as_a_zip(tmp_path, data):
    refused_cleanly(tmp_path, b"PK\x03\x04" + data)
