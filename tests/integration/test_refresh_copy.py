"""The data refresh's bulk path into PostgreSQL: values written in COPY's text format come
back from the server as they went in (awkward text, NULL, numbers, dates, bytes); the
Refresher loads, updates, deletes and settles a self-reference through it, and stops at a
batch that fails."""
import datetime
import io
import math
import uuid
from decimal import Decimal

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs as jamdefs
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.dialects.pg_copy import (
    copy_text)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.masking.masker import masker
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh.plan import (
    CopyPlan, TableCopy)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh.sync import Refresher

UTC_PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
KEY = "copy-test-masking-key-0123456789"
# (column, SQL type, values); row n takes value n % len(values) of every column.
COLUMNS = [
    ("awkward", "TEXT", ["plain", "", None, "tab\there", "line\nbreak", "cr\rlf\r\n",
                         "back\\slash", "\\N", "\\.", "a\\tb", "quote \" and ' apostrophe",
                         "comma, semicolon; pipe |", "  spaces  ", "Zoë — 東京 🎉 \u2028",
                         "x" * 20000]),
    ("plain", "VARCHAR(40)", ["alpha", "", None, "Zoë 東京 🎉", "beta"]),
    ("mixed", "TEXT", ["7", 7, 2.5, None, "tab\t"]),  # as SQLite gives them
    ("flag", "BOOLEAN", [True, False, None]),
    ("flag_int", "INTEGER", [True, False, None, 3]),
    ("whole", "BIGINT", [0, -1, 2 ** 62, None, 42]),
    ("amount", "NUMERIC", [Decimal("123.4500"), Decimal("-0.000001"), Decimal("1E+3"),
                           Decimal("NaN"), None, Decimal("12345678901234567890.123456789")]),
    ("ratio", "DOUBLE PRECISION", [0.1, -0.0, 1e-300, float("inf"), float("-inf"),
                                   float("nan"), None, 12345.678]),
    ("day", "DATE", [datetime.date(2024, 2, 29), datetime.date(1, 1, 1),
                     datetime.date(9999, 12, 31), None]),
    ("moment", "TIMESTAMP", [datetime.datetime(2024, 2, 29, 23, 59, 59, 999999),
                             datetime.datetime(1999, 12, 31), None]),
    ("moment_tz", "TIMESTAMPTZ", [datetime.datetime(2024, 1, 1, 12, tzinfo=UTC_PLUS_2), None]),
    ("clock", "TIME", [datetime.time(8, 30, 15, 250000), datetime.time(0, 0), None]),
    ("blob", "BYTEA", [b"\x00\x01\\\t\n\xff", bytearray(b"ab"), memoryview(b"\\N"), b"", None]),
    ("uid", "UUID", [uuid.UUID(int=1), None]),
]
ROWS = 15
NAMES = [name for name, sql_type, values in COLUMNS]
THINGS = ["id", *NAMES, "parent", "email"]
EMAIL = masker("email", KEY)


def column_values(values):
    return [values[n % len(values)] for n in range(ROWS)]


def expected(value, sql_type):
    """What the server gives back for a value written into a column of ``sql_type``."""
    if isinstance(value, bool) and sql_type == "INTEGER":
        return int(value)
    if sql_type == "TEXT" and value is not None and not isinstance(value, str):
        return str(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


def comparable(value):
    """NaN equal to itself, buffers as bytes."""
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, float) and math.isnan(value) or \
            isinstance(value, Decimal) and value.is_nan():
        return "NaN"
    return value


@pytest.fixture
def engine(pg_database):
    engine = create_engine(pg_database.as_connection())
    yield engine
    engine.dispose()


def create_table(conn, name, extra=""):
    conn.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, " + ", ".join(
        f"{column} {sql_type}" for column, sql_type, values in COLUMNS) + extra + ")")


def test_copy_text_round_trip(engine):
    columns = [list(range(1, ROWS + 1))] + [column_values(v) for n, t, v in COLUMNS]
    data = copy_text(columns)
    assert data.count("\n") == ROWS  # line breaks inside values are escaped
    with engine.begin() as conn:
        create_table(conn, "awkward")
        with conn.connection.dbapi_connection.cursor() as cursor:
            cursor.copy_expert(f"COPY awkward (id, {', '.join(NAMES)}) FROM STDIN",
                               io.StringIO(data))
        back = conn.exec_driver_sql("SELECT * FROM awkward ORDER BY id").fetchall()
    assert [tuple(map(comparable, row)) for row in back] == [
        (n + 1,) + tuple(comparable(expected(values[n % len(values)], sql_type))
                         for name, sql_type, values in COLUMNS) for n in range(ROWS)]


@pytest.fixture
def things(engine):
    """A source table with every awkward value, a masked e-mail column and references to
    a larger, a smaller and its own key; an empty target table, its lookup a foreign key.
    Returns the refresh of one into the other."""
    parents = {1: 15, 2: 1, 3: 3, 4: 2, 9: 12}
    rows = [{"id": n, "parent": parents.get(n), "email": f"person{n}@corp.example.com",
             **{name: expected(values[(n - 1) % len(values)], sql_type)
                for name, sql_type, values in COLUMNS if sql_type != "UUID"}}
            for n in range(1, ROWS + 1)]
    with engine.begin() as conn:
        create_table(conn, "things_src", ", parent INTEGER, email TEXT")
        create_table(conn, "things", ", parent INTEGER REFERENCES things, email TEXT")
        conn.exec_driver_sql(f"INSERT INTO things_src ({', '.join(rows[0])}) VALUES ("
                             + ", ".join(f"%({k})s" for k in rows[0]) + ")", rows)

    def refresh(kept=None):
        copy = TableCopy(item_id=1, item_name="things", source_table="things_src",
                         target_table="things", key=("id", "id"),
                         columns=[(c, c, c) for c in THINGS], deferred={"parent"},
                         masks={"email": EMAIL}, lookups=[("parent", 1)], depends_on={1})
        return Refresher(CopyPlan([copy]), engine, engine, jamdefs.POSTGRESQL,
                         batch_size=4, kept=kept).run()[0]
    return refresh


def target_matches_source(engine):
    with engine.connect() as conn:
        source, target = (conn.exec_driver_sql(
            f"SELECT {', '.join(THINGS)} FROM {table} ORDER BY id").fetchall()
            for table in ("things_src", "things"))
    masked = [tuple(map(comparable, row[:-1])) + (EMAIL.mask(row[-1]),) for row in source]
    return [tuple(map(comparable, row)) for row in target] == masked


def test_refresher_through_copy(engine, things):
    """Loaded into the empty table (cyclic lookups to a larger or its own key in pass
    two), brought back after changes in the target, then left alone."""
    first = things()
    assert (first.source_rows, first.inserted, first.updated, first.deleted) == (15, 15, 0, 0)
    assert target_matches_source(engine)

    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE things SET awkward = 'changed', parent = NULL WHERE id = 1")
        conn.exec_driver_sql("UPDATE things SET parent = NULL WHERE id = 2")
        conn.exec_driver_sql("DELETE FROM things WHERE id IN (5, 6)")
        conn.exec_driver_sql("INSERT INTO things (id, parent) VALUES (100, 4), (101, 100)")
    second = things()
    assert (second.inserted, second.updated, second.deleted) == (2, 2, 2)
    assert target_matches_source(engine)

    third = things()
    assert not third.changed and target_matches_source(engine)


def test_a_failed_batch_stops_the_writes(engine, things):
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE things ADD CHECK (whole <> 42)")  # in row 5
    with pytest.raises(JamDeployError, match="things: a batch of 4 rows failed and was "
                                             "rolled back .*whole"):
        things()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id FROM things ORDER BY id").scalars().all() \
            == [1, 2, 3, 4]


def test_a_sample(engine, things):
    """Only the sampled rows; a lookup to a row left out is emptied (row 2's, to 1)."""
    def parents():
        with engine.connect() as conn:
            return dict(conn.exec_driver_sql("SELECT id, parent FROM things").fetchall())

    first = things(kept={1: {2, 4, 9, 12}})
    assert (first.source_rows, first.inserted) == (4, 4)
    assert parents() == {2: None, 4: 2, 9: 12, 12: None}
    second = things(kept={1: {2, 3}})
    assert (second.source_rows, second.inserted, second.deleted) == (2, 1, 3)
    assert parents() == {2: None, 3: 3}
