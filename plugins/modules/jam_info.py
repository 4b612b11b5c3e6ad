#!/usr/bin/python
# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jam_info
short_description: Report on a Jam.py project without changing it
version_added: 0.1.0
description:
  - Reads a Jam.py project folder and returns its Jam.py layout and version, the project
    database connection (never the password), the parameters (production, safe mode,
    debugging, import delay, ...), the build and parameter versions, the maintenance flag,
    a fingerprint of its metadata, the tables its metadata expects, a zip waiting in
    C(migration/), the outcome of the newest import log, and the releases of its release
    history with the one deployed now (see M(jampy.deploy.jam_import)).
  - C(admin.sqlite) is opened read-only; nothing on the target is changed.
  - The C(fingerprint) equals the one of an archive made from the same metadata, whatever
    the database type, so a playbook can skip an import when nothing would change.
extends_documentation_fragment:
  - jampy.deploy.project
  - jampy.deploy.project.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  include_log_text:
    description: Also return the whole text of the newest import log in C(last_import.text).
    type: bool
    default: false
  check_drift:
    description:
      - Also connect to the project database (read-only) and return in C(drift) how its
        live schema differs from what the project's metadata describes - a column added by
        hand, a half-applied change - the check jam_import makes before an import.
      - Needs SQLAlchemy and the database driver on the target (the project's venv). Not
        supported yet for the databases Jam.py 7.0 added (the module fails saying so).
    type: bool
    default: false
  history_path:
    description:
      - The project's release history (M(jampy.deploy.jam_import)'s I(history_path)).
        Default - C(<project_path>-releases), beside the project.
    type: path
seealso:
  - module: jampy.deploy.jam_export
author:
  - jampy.deploy contributors (@jampy-deploy)
"""

EXAMPLES = r"""
- name: Read the production project
  jampy.deploy.jam_info:
    project_path: /var/www/shop
  register: shop

- name: Stop when the last import failed
  ansible.builtin.assert:
    that: shop.last_import is none or shop.last_import.result == 'success'
    fail_msg: "{{ shop.last_import.headline }}"

- name: Show whether production settings are on
  ansible.builtin.debug:
    msg: "production={{ shop.parameters.production }} safe_mode={{ shop.parameters.safe_mode }}"
"""

RETURN = r"""
project_path:
  description: Absolute path of the project folder.
  returned: always
  type: str
layout:
  description: Jam.py admin.sqlite layout, C(5.4) or C(7.0).
  returned: always
  type: str
  sample: "5.4"
jam_version:
  description: Jam.py version recorded by the last Jam.py process that ran the project.
  returned: always
  type: str
  sample: 5.4.136
completed:
  description: Whether the project's database connection is set (Jam.py's test for a created project).
  returned: always
  type: bool
task:
  description: Name (caption) and item name of the application.
  returned: always
  type: dict
  sample: {"name": "Demo", "item_name": "demo"}
connection:
  description:
    - The project database connection from SYS_TASKS; C(database) is Jam.py's F_ALIAS
      (database name, SQLite file or Oracle DSN).
    - C(db_type) is Jam.py's number of the database type, C(db_type_name) its name as
      M(jampy.deploy.jam_project) takes it (sqlite, firebird, postgresql, mysql, oracle,
      mssql, and in Jam.py 7.0 databricks, duckdb, sqlcipher, msaccess).
    - The password is never returned; C(password_set) tells whether one is stored.
  returned: always
  type: dict
  sample: {"db_type": 3, "db_type_name": "postgresql", "database": "shop", "user": "shop",
           "host": "127.0.0.1", "port": "5432", "encoding": null, "password_set": true}
production_file:
  description:
    - Jam.py 7.0 - the file in the project folder whose presence is production mode, as the
      Jam.py installed for the module's Python names it (C(builder.html), or the name
      Jam.py's C(jam-secure-project.py) gave it); null for 5.4 projects, whose production
      flag is in SYS_PARAMS.
  returned: always
  type: str
  sample: builder.html
parameters:
  description: Project parameters by readable name, typed as Jam.py reads them.
  returned: always
  type: dict
  sample: {"production": true, "safe_mode": true, "debugging": false, "import_delay": 180,
           "timeout": 0, "language": 1, "version": "1.0"}
build_version:
  description: SYS_PARAMS.F_BUILD_VERSION; Jam.py processes reload their task tree when it changes.
  returned: always
  type: int
params_version:
  description: SYS_PARAMS.F_PARAMS_VERSION; Jam.py processes re-read parameters when it changes.
  returned: always
  type: int
modification:
  description: SYS_PARAMS.F_MODIFICATION; browser clients reload when it changes.
  returned: always
  type: int
maintenance:
  description: Whether the maintenance flag is set (an import is under way or was interrupted).
  returned: always
  type: bool
fingerprint:
  description: SHA-256 of the metadata an import would copy (hidden fields and counters left out, identifiers compared case-insensitively).
  returned: always
  type: str
counts:
  description: Number of metadata records per admin item.
  returned: always
  type: dict
expected_tables:
  description: Tables the metadata expects in the project database.
  returned: always
  type: list
  elements: str
migration_pending:
  description: Entries of the project's C(migration/) folder (Jam.py imports a single zip found there at start).
  returned: always
  type: list
  elements: str
admin_backup_present:
  description: Whether C(_admin.sqlite) exists, the copy Jam.py restores at its next start after an interrupted import.
  returned: always
  type: bool
drift:
  description: With I(check_drift), the differences between the live database and the metadata (empty when they match).
  returned: when check_drift
  type: list
  elements: str
  sample: ["table shop_customers: column vip_level INTEGER: not expected, found"]
omissions:
  description:
    - With I(check_drift), Jam.py's known omissions in the live database (what Jam.py's own
      import always leaves, e.g. no foreign keys in SQLite), which are not drift; see
      M(jampy.deploy.jam_import).
  returned: when check_drift
  type: list
  elements: str
template_password_accounts:
  description:
    - Logins of accounts that can still log in with a password of Jam.py's templates
      (C(111), C(333)); change them with M(jampy.deploy.jam_user). Never a password.
  returned: always
  type: list
  elements: str
  sample: ["admin"]
secret_key_set:
  description:
    - Whether the project has the secret key Jam.py signs session cookies with (Jam.py's
      project script makes one). Without it anyone can forge a session. Never the key.
  returned: always
  type: bool
interrupted_import:
  description:
    - The journal of an import whose process died (phase reached, pid, host, start, archive),
      or null. The next jam_import, or jam_params with I(reset_maintenance), finishes it
      (rolls it back, or forward when the database had committed).
  returned: always
  type: dict
releases:
  description:
    - The releases of the release history, oldest first (empty when there is none yet) -
      C(id), C(time) (UTC), C(fingerprint), C(msg) (what the import did) and C(rollback)
      (C(to) and C(from) ids for a rollback, else null). Null, with a warning, when this
      user cannot read the history (it is mode 0700; run with C(become)).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "20261207T020000Z_3f2a9c1b0d4e", "time": "2026-12-07T02:00:00Z",
            "fingerprint": "3f2a9c1b0d4e...", "msg": "imported: added 1 item; 2 SQL statements",
            "rollback": null}]
deployed_release:
  description:
    - The id of the release whose metadata the project has now (the newest with its
      C(fingerprint)); null when none has it - the project was changed by other means, or
      has no history.
  returned: always
  type: str
last_import:
  description: The newest C(logs/import_*.log), or null when there is none.
  returned: always
  type: dict
  contains:
    file:
      description: Path of the log file.
      type: str
    time:
      description: Time stamp from the file name.
      type: str
    headline:
      description: First line of the log (the result in the project's language).
      type: str
    result:
      description: C(success), C(errors), C(failed), or C(unknown).
      type: str
    text:
      description: Whole log text, with I(include_log_text=true).
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin.info import (
    project_drift, project_info)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.db.connect import (
    create_engine)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.release_history import (
    ReleaseHistory, ReleaseHistoryError, listing)
from ansible_collections.jampy.deploy.plugins.module_utils.module_base import (
    project_argument_spec, require_libraries, run_or_fail)


def main():
    """Report on the project (and its drift when asked); never changes anything."""
    module = AnsibleModule(
        argument_spec=project_argument_spec(
            include_log_text=dict(type="bool", default=False),
            check_drift=dict(type="bool", default=False),
            history_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    if module.params["check_drift"]:
        require_libraries(module)

    def report():
        project = Project(module.params["project_path"])
        info = project_info(project, module.params["include_log_text"])
        if module.params["check_drift"]:
            info["drift"], info["omissions"] = project_drift(project, create_engine)
        history = ReleaseHistory(project.path, module.params["history_path"])
        try:
            info["releases"], info["deployed_release"] = listing(history.releases(),
                                                                 info["fingerprint"])
        except ReleaseHistoryError as exc:
            module.warn(str(exc))
            info["releases"], info["deployed_release"] = None, None
        return info

    module.exit_json(changed=False, **run_or_fail(module, report))


if __name__ == "__main__":
    main()
