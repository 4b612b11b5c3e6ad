#!/usr/bin/python
# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jam_project
short_description: Complete a Jam.py project's creation and its database connection, headlessly
version_added: 0.1.0
description:
  - Does what the Application Builder's new-project dialogs do after Jam.py's project script
    created a folder - the language, the project's name and item name, the database
    connection (SYS_TASKS) and the column names of the fields in the database's identifier
    case - so a new production project needs no browser.
  - Also keeps the connection of an existing project as given (host, password, ...),
    idempotently.
  - Refuses to change the database type of a project whose metadata already has tables,
    unless I(force_db_type) is set.
  - Running Jam.py processes read the connection when they start; restart the application
    after changing it.
extends_documentation_fragment:
  - jampy.deploy.project
  - jampy.deploy.project.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the connection before and after, with the password masked.
options:
  name:
    description:
      - The project's name as shown to users (its caption).
      - Written when the project is completed, or on every run with O(update_names=always).
    type: str
    required: true
  item_name:
    description:
      - The project's item name, a lower-case identifier (prefix of its table names).
      - Written when the project is completed, or on every run with O(update_names=always).
    type: str
    required: true
  update_names:
    description:
      - When O(name) and O(item_name) are written. V(on_create) - while the project is not
        completed yet, as the Builder's new-project dialog does; afterwards they belong to the
        metadata, which every import brings from the development project, so that setting
        them again would undo each import and the import each setting.
      - V(always) - on every run (the next import brings the development project's back).
    type: str
    choices: [on_create, always]
    default: on_create
  language:
    description: Jam.py language id for the project (1 = English).
    type: int
    default: 1
  db_type:
    description:
      - The project database's type; Jam.py stores it as its number (SYS_TASKS.F_DB_TYPE)
        - sqlite 1, firebird 2, postgresql 3, mysql 4, oracle 5, mssql 6, and in Jam.py
        7.0 databricks 7, duckdb 8, sqlcipher 9, msaccess 10.
      - C(databricks), C(duckdb), C(sqlcipher) and C(msaccess) are refused as not
        supported yet, before anything changes.
    type: str
    required: true
    choices: [databricks, duckdb, firebird, msaccess, mssql, mysql, oracle, postgresql, sqlcipher, sqlite]
  database:
    description:
      - Database name; for SQLite the database file (relative paths are relative to the
        project folder); for Oracle the DSN.
    type: str
    required: true
  user:
    description: Database user.
    type: str
  password:
    description: Database password; never shown in results, diffs or logs.
    type: str
  host:
    description: Database server host.
    type: str
  port:
    description: Database server port.
    type: str
  encoding:
    description: Client encoding (MySQL/MariaDB need one with Jam.py 5.4 and mysqlclient 2, e.g. C(utf8mb4)).
    type: str
  server:
    description: MSSQL server name.
    type: str
  python_library:
    description:
      - Jam.py 7.0 only - which Python library Jam.py connects with, numbered as its
        new-project dialog lists them (MySQL 1 = MySQLdb, 2 = mysql.connector; MSSQL 1 =
        pymssql, 2 = pyodbc; Oracle 1 = oracledb, 2 = cx_oracle; Firebird 1 =
        firebird-driver, 2 = fdb, 3 = firebirdsql).
      - Where the dialog offers several, 1 unless given (Jam.py 7.0 cannot connect without
        one; the project role's locks install MySQLdb). A number the dialog does not offer
        is refused.
    type: int
  dsn:
    description: Jam.py 7.0 only - a DSN for PostgreSQL or Oracle (may hold credentials, so it is treated as secret).
    type: str
  check_connection:
    description:
      - Connect to the database before writing anything and fail with a clear message when
        that is not possible (a SQLite file is created, as the Builder does).
    type: bool
    default: true
  force_db_type:
    description: Allow changing the database type of a project whose metadata has tables.
    type: bool
    default: false
requirements:
  - For I(check_connection), SQLAlchemy 2 and the database driver on the target.
seealso:
  - module: jampy.deploy.jam_params
  - module: jampy.deploy.jam_info
author:
  - jampy.deploy contributors (@jampy-deploy)
"""

EXAMPLES = r"""
- name: Create the project with Jam.py's project script
  ansible.builtin.command:
    cmd: /var/www/shop/venv/bin/jam-project.py
    chdir: /var/www/shop
    creates: /var/www/shop/admin.sqlite

- name: Complete it for its PostgreSQL database
  jampy.deploy.jam_project:
    project_path: /var/www/shop
    name: Shop
    item_name: shop
    db_type: postgresql
    database: shop
    user: shop
    password: "{{ vault_shop_db_password }}"
    host: 127.0.0.1
    port: "5432"
  vars:
    ansible_python_interpreter: /var/www/shop/venv/bin/python
"""

RETURN = r"""
completed:
  description: Whether the project has a database connection (after the run).
  returned: always
  type: bool
changes:
  description: Readable list of what changed (the password only as "(set)").
  returned: always
  type: list
  elements: str
connection:
  description: The connection after the run, without the password.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin.completion import (
    apply_completion, completed_connection, plan_completion)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import (
    check_connection)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import defs
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.module_base import (
    project_argument_spec, require_libraries, run_or_fail)

CONNECTION_KEYS = ("database", "user", "password", "host", "port", "encoding", "server",
                   "python_library", "dsn")


def connection_text(connection):
    """The connection as diff text, one key a line, without secrets."""
    return "".join(f"{k}: {v}\n" for k, v in sorted(connection.public().items()))


def main():
    """Complete the project as the Builder's new-project dialogs would."""
    module = AnsibleModule(
        argument_spec=project_argument_spec(
            name=dict(type="str", required=True),
            item_name=dict(type="str", required=True),
            language=dict(type="int", default=1),
            db_type=dict(type="str", required=True, choices=sorted(defs.DB_TYPES_BY_NAME)),
            database=dict(type="str", required=True),
            user=dict(type="str"),
            password=dict(type="str", no_log=True),
            host=dict(type="str"),
            port=dict(type="str"),
            encoding=dict(type="str"),
            server=dict(type="str"),
            python_library=dict(type="int"),
            dsn=dict(type="str", no_log=True),
            check_connection=dict(type="bool", default=True),
            force_db_type=dict(type="bool", default=False),
            update_names=dict(type="str", choices=["on_create", "always"], default="on_create"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    connect = p["check_connection"] and not module.check_mode
    if connect:
        require_libraries(module, "sqlalchemy")
    desired = {key: p[key] for key in CONNECTION_KEYS}
    desired.update(db_type=defs.DB_TYPES_BY_NAME[p["db_type"]], name=p["name"],
                   item_name=p["item_name"], language=p["language"])

    def run():
        project = Project(p["project_path"])
        before = project.connection()
        plan = plan_completion(project, desired, p["force_db_type"],
                               update_names=p["update_names"] == "always")
        after = completed_connection(project, desired)
        if connect:
            check_connection(after)
        if not plan.empty and not module.check_mode:
            apply_completion(project, plan)
        return plan, before, after

    plan, before, after = run_or_fail(module, run)
    for warning in plan.warnings:
        module.warn(warning)
    result = dict(changed=not plan.empty, completed=True, changes=plan.describe(),
                  connection=after.public())
    if module._diff:
        result["diff"] = {"before_header": "connection (now)", "after_header": "connection (after)",
                          "before": connection_text(before), "after": connection_text(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
