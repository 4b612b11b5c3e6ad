"""Jam.py demo apps for live imports: the release's sdist demo and a variant of it with one
more field on customers (``loyalty``) and one more item (``regions``), made by adding rows
to a copy of the demo's admin.sqlite as the Builder adds them (a field row; an item row
with its common fields, name and privileges like genres'); projects of a release on
PostgreSQL or MariaDB serving the demo in safe mode; jam_import run by the release's Python."""
import sqlite3
from contextlib import closing
from pathlib import Path

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.defs import DB_TYPE_NAMES

from . import projects
from .ansible_run import run_module

NEW_FIELD, NEW_ITEM = "loyalty", "regions"


def _copy_rows(con, table, where, changes):
    """Copy the rows of ``table`` matching ``where`` with ``changes`` ({column: value or
    function of the row}); returns the new rows' ids."""
    cur = con.execute(f"SELECT * FROM {table} WHERE {where}")
    columns = [d[0] for d in cur.description]
    ids = []
    for row in cur.fetchall():
        values = dict(zip(columns, row))
        for column, change in changes.items():
            if column in values:  # F_RECORD_VERSION is 7.0's
                values[column] = change(values) if callable(change) else change
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                    f"({', '.join('?' * len(columns))})", [values[c] for c in columns])
        ids.append(values["ID"])
    return ids


def add_field_and_item(project):
    """customers.loyalty (a text field like fax) and the item regions (like genres: its
    common fields and name, the same privileges)."""
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        next_field = con.execute("SELECT MAX(ID) FROM SYS_FIELDS").fetchone()[0] + 1
        customers, genres = (con.execute(
            "SELECT ID FROM SYS_ITEMS WHERE F_ITEM_NAME = ? AND DELETED = 0 AND TYPE_ID = 10",
            (name,)).fetchone()[0] for name in ("customers", "genres"))
        _copy_rows(con, "SYS_FIELDS", f"OWNER_REC_ID = {customers} AND F_FIELD_NAME = 'fax'",
                   {"ID": next_field, "F_FIELD_NAME": NEW_FIELD, "F_DB_FIELD_NAME": "LOYALTY",
                    "F_NAME": "Loyalty"})
        item = con.execute("SELECT MAX(ID) FROM SYS_ITEMS").fetchone()[0] + 1
        field_ids = {}

        def new_field_id(row):
            field_ids[row["ID"]] = next_field + 1 + len(field_ids)
            return field_ids[row["ID"]]
        _copy_rows(con, "SYS_FIELDS", f"OWNER_REC_ID = {genres} AND DELETED = 0",
                   {"ID": new_field_id, "OWNER_REC_ID": item})
        _copy_rows(con, "SYS_ITEMS", f"ID = {genres}", {
            "ID": item, "F_ITEM_NAME": NEW_ITEM, "F_NAME": "Regions",
            "F_TABLE_NAME": "DEMO_REGIONS",
            **{c: (lambda row, c=c: field_ids.get(row[c], row[c]))
               for c in ("F_PRIMARY_KEY", "F_DELETED_FLAG", "F_RECORD_VERSION")}})
        next_privilege = con.execute("SELECT MAX(ID) FROM SYS_PRIVILEGES").fetchone()[0] + 1
        _copy_rows(con, "SYS_PRIVILEGES", f"ITEM_ID = {genres} AND DELETED = 0",
                   {"ID": lambda row: next_privilege + row["OWNER_REC_ID"], "ITEM_ID": item})
        con.commit()


def change_field(project, item, field_name, **columns):
    """Set SYS_FIELDS columns ({"F_SIZE": 60, ...}) of a field of a demo item, as the
    Builder's field dialog saves them."""
    with closing(sqlite3.connect(project / "admin.sqlite")) as con:
        sets = ", ".join(f"{column} = ?" for column in columns)
        changed = con.execute(
            f"UPDATE SYS_FIELDS SET {sets} WHERE F_FIELD_NAME = ? AND DELETED = 0 AND "
            "OWNER_REC_ID = (SELECT ID FROM SYS_ITEMS WHERE F_ITEM_NAME = ? AND DELETED = 0 "
            "AND TYPE_ID = 10)", [*columns.values(), field_name, item]).rowcount
        assert changed == 1, (item, field_name)
        con.commit()


def export(project, dest, jam):
    return Path(run_module("jampy.deploy.jam_export", {
        "project_path": str(project), "dest": str(dest)}, python=jam.python())["dest"])


def live_import(project, zip_path, jam):
    return run_module("jampy.deploy.jam_import", {
        "project_path": str(project), "src": str(zip_path), "import_delay": 2,
        "allow_data_loss": True}, python=jam.python())


def serving_project(folder, jam, db, zip_path):
    """A new project of the release on ``db`` (PostgreSQL or MariaDB) with the demo
    imported, in safe mode."""
    project = projects.create_project(folder, jam)
    run_module("jampy.deploy.jam_project", {
        "project_path": str(project), "name": "Demo", "item_name": "demo",
        "db_type": DB_TYPE_NAMES[db.db_type], "database": db.database, "user": db.user,
        "password": db.password, "host": db.host, "port": str(db.port)}, python=jam.python())
    assert live_import(project, zip_path, jam)["changed"]
    run_module("jampy.deploy.jam_params", {"project_path": str(project), "safe_mode": True},
               python=jam.python())
    return project


def demo_zips(folder, jam):
    """(the demo's zip, the zip with the field and the item added) of the release."""
    base = projects.copy_demo(folder / "base", jam)
    more = projects.copy_demo(folder / "more", jam)
    add_field_and_item(more)
    return export(base, folder / "base.zip", jam), export(more, folder / "more.zip", jam)
