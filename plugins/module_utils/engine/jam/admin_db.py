"""Read access to a project's admin.sqlite, by column name (5.4 and 7.0 layouts alike)."""
import sqlite3
from urllib.parse import quote

from ..errors import NotAProjectError

REQUIRED_TABLES = ("SYS_ITEMS", "SYS_FIELDS", "SYS_PARAMS", "SYS_TASKS")


def connect_readonly(path):
    """Open admin.sqlite read-only: reading never creates journals or changes the file."""
    try:
        con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        con.execute("SELECT 1 FROM sqlite_master LIMIT 1")
    except sqlite3.DatabaseError as exc:
        raise NotAProjectError(
            f"{path} cannot be read as a SQLite database ({exc}); restore the project's "
            "admin.sqlite from a backup or recreate the project with jam-project.py") from None
    return con


def table_columns(con):
    """{TABLE_NAME: [column names]} for every table, names upper-cased as Jam.py uses them."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        name.upper(): [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
        for name in tables
    }


def check_layout(path, columns):
    """NotAProjectError unless admin.sqlite (its ``columns`` by table) has Jam.py's tables."""
    missing = [t for t in REQUIRED_TABLES if t not in columns]
    if missing:
        raise NotAProjectError(
            f"{path} is not a Jam.py admin database: tables {', '.join(missing)} are missing")


def select_rows(con, table, columns, wanted, where=""):
    """Rows of ``table`` as dicts keyed by the lower-case names in ``wanted``.

    ``columns`` are the table's actual columns; a wanted field the table lacks reads as
    None (Jam.py adds missing admin columns at start, so they would be NULL there too).
    """
    actual = {c.upper(): c for c in columns}
    present = [w for w in wanted if w.upper() in actual]
    if not present:
        return []
    select = ", ".join(f'"{actual[w.upper()]}"' for w in present)
    order = ' ORDER BY "ID"' if "ID" in actual else ""
    cursor = con.execute(f'SELECT {select} FROM "{table}"{where}{order}')
    rows = []
    for values in cursor:
        row = dict.fromkeys(wanted)
        row.update(zip(present, values))
        rows.append(row)
    return rows
