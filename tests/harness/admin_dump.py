"""admin.sqlite contents for comparisons between projects."""
import sqlite3
from contextlib import closing

# Values that differ between two projects by construction, not by metadata.
PER_PROJECT = {"SYS_PARAMS": {"F_SECRET_KEY"}}
# The import protocol's state: every attempt bumps PARAMS_VERSION, even a failed one.
PROTOCOL_STATE = {"F_MAINTENANCE", "F_PARAMS_VERSION"}


def dump_admin(project_dir, tables, protocol_state=True, ignore=()):
    """{TABLE: {id: {COLUMN: value}}} of the given admin tables, all columns (without the
    maintenance flag and PARAMS_VERSION when ``protocol_state`` is false, nor the
    ``TABLE.COLUMN`` names in ``ignore``)."""
    result = {}
    with closing(sqlite3.connect(f"{project_dir}/admin.sqlite")) as con:
        for table in tables:
            table = table.upper()
            cur = con.execute(f'SELECT * FROM "{table}" ORDER BY "ID"')
            names = [d[0].upper() for d in cur.description]
            skip = PER_PROJECT.get(table, set())
            if table == "SYS_PARAMS" and not protocol_state:
                skip = skip | PROTOCOL_STATE
            skip = skip | {c.split(".")[1] for c in ignore if c.startswith(table + ".")}
            result[table] = {
                row[names.index("ID")]: {n: v for n, v in zip(names, row) if n not in skip}
                for row in cur
            }
    return result
