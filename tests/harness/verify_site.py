"""Check a deployed site the way a user would: through its URL.

    python -m tests.harness.verify_site <url> <project folder> [item] [admin password file]

Logs in (as ``admin`` with the password in the file, when safe mode is on), loads the application,
inserts a record into the item and reads it back (Jam.py 7.0: reads the item - the client
writes 5.x's change log), and checks that the item's table exists in the project database.
Exits non-zero with the reason when something is wrong.
"""
import secrets
import sys
from pathlib import Path

from sqlalchemy import inspect

from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

from .outsider import Client, logged_in
from .server import RESPONSE


def verify(url, project_path, item_name="customers", password_file=None):
    url = url.rstrip("/")
    project = Project(project_path)
    client = Client(url)
    if project.parameters()["safe_mode"]:
        password = Path(password_file).read_text().strip() if password_file else "111"
        client = logged_in(url, "admin", password)
    answer = client.load(refresh=True)
    assert answer["status"] == RESPONSE, answer
    if client.uses_form_login:
        client.open(item_name, limit=1)
        used = f"{item_name}: read"
    else:
        name = f"check {secrets.token_hex(3)}"
        record_id = client.insert(item_name, {"name": name})
        found = [r["name"] for r in client.open(item_name, where={"id": record_id})]
        assert found == [name], found
        used = f"{item_name}: record {record_id} inserted and read back"
    item = next(row for row in project.metadata().items.values()
                if row.get("f_item_name") == item_name and row.get("type_id") == 10)
    engine = create_engine(project.connection())
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    assert item["f_table_name"] in tables, (item["f_table_name"], tables)
    return [f"/api load: status {answer['status']}",
            used,
            f"table {item['f_table_name']} exists in the {project.connection()['db_type_name']} database"]


if __name__ == "__main__":
    for line in verify(*sys.argv[1:]):
        print(line)
