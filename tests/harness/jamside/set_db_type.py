"""Switch a Jam.py 7.0 project to another database type through Jam.py's own admin item
(SYS_TASKS edited and applied as the Builder's Database dialog saves it, without its
connection check: the database's driver need not be installed). Prints the type's number.

Usage: set_db_type.py <project_dir> <Jam.py's name of the type, e.g. Duckdb> <database> [library]
"""
import json
import sys

from jam.wsgi import create_application  # first: it puts Jam.py's bundled libraries on sys.path
from jam.common import consts

project, name, database = sys.argv[1:4]
library = int(sys.argv[4]) if len(sys.argv) > 4 else None
db_type = consts.DB_TYPE.index(name) + 1
app = create_application(project, testing=True)
tasks = app.admin.sys_tasks.copy()
tasks.open()
tasks.edit()
tasks.f_db_type.value = db_type
# on_field_changed(f_db_type) clears the connection inputs; the dialog then sets these
for field in ("f_dsn", "f_login", "f_password", "f_encoding", "f_host", "f_port"):
    tasks.field_by_name(field).value = None
tasks.f_alias.value = database
tasks.f_python_library.value = library
tasks.post()
tasks.apply()
print(json.dumps({"db_type": db_type}))
