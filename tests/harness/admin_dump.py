"""admin.sqlite contents for comparisons between projects."""
import sqlite3
from contextlib import closing

# Values that differ between two projects by construction, not by metadata.
PER_PROJECT = {"SYS_PARAMS": {"F_SECRET_KEY"}}


def dump_admin(project_dir, tables):
    """{TABLE: {id: {COLUMN: value}}} of the given admin tables, all columns."""
    result = {}
    with closing(sqlite3.connect(f"{project_dir}/admin.sqlite")) as con:
        for table in tables:
            table = table.upper()
            cur = con.execute(f'SELECT * FROM "{table}" ORDER BY "ID"')
            names = [d[0].upper() for d in cur.description]
            skip = PER_PROJECT.get(table, set())
            result[table] = {
                row[names.index("ID")]: {n: v for n, v in zip(names, row) if n not in skip}
                for row in cur
            }
    return result
