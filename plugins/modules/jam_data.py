#!/usr/bin/python
# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jam_data
short_description: Refresh a non-production Jam.py project with (masked) production data
version_added: 0.1.0
description:
  - Copies the rows of a source (production) project's database into the target
    (test, staging) project's database, across database types (PostgreSQL production into
    SQLite or PostgreSQL staging, for example). Projects on the databases Jam.py 7.0 added
    (Databricks, DuckDB, SQLCipher, MS Access) are refused as not supported yet, on either
    side, before anything changes.
  - Tables and columns are matched through both projects' metadata (item and field IDs),
    never by physical name alone. Unless I(import_metadata=false) the target's metadata is
    first brought to the source's with the import engine of M(jampy.deploy.jam_import).
    Metadata that is not valid (the checks of M(jampy.deploy.jam_import)) is refused, the
    source's and, with I(import_metadata=false), the target's, before anything changes.
  - Each table is synchronised in primary-key order, batch by batch, one transaction per
    batch, in foreign-key dependency order (lookups inside a cycle or a self-reference
    written in a second pass); only rows that differ are written, so a re-run that finds
    the same data changes nothing. Primary keys are kept; sequences and auto-increment
    counters are moved past the largest id.
  - Personal data is masked on the way (I(masks)), deterministically with I(mask_key), so
    joins and unique values hold and a re-run gives the same result.
  - Personal data in Jam.py's history item is masked too - the recorded values of masked
    fields through their rules, the user names like account names - and the rows of the
    record locks item are cleared, not copied.
  - Never copied - the target keeps its own database connection (SYS_TASKS), secret key
    and parameters. Accounts (SYS_USERS) stay the target's unless I(users=copy). Refuses
    when source and target are the same database, by their settings or because the
    servers show it (two names for one server). The target holds the import lock, and is
    in maintenance from the first write on (not a Jam.py 7.x target, whose processes
    would answer HTTP 500 until restarted once they read the maintenance flag; they keep
    serving during the copy); a run that finds nothing to change leaves it alone.
  - Excluding an item also excludes the items that refer to it (lookups, details), named
    in I(notes).
  - Verifies and reports - row counts source against target, orphaned lookups, sequences
    above the largest id, masked columns free of the source's values; the report is
    returned and, when something changed, written to C(logs/refresh_<time>.json) in the
    target project.
extends_documentation_fragment:
  - jampy.deploy.project
  - jampy.deploy.project.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports, per table, how many rows would be inserted, updated and deleted, without writing.
  diff_mode:
    support: none
options:
  source_project_path:
    description:
      - A folder holding the source project's C(admin.sqlite) (a copy fetched from the
        production host is enough). Its metadata maps the tables, its connection reaches
        the source database unless I(source_database) changes it.
    type: path
    required: true
  source_database:
    description:
      - Connection settings replacing those of the source's admin.sqlite (which names the
        database as the production host sees it).
    type: dict
    suboptions:
      database:
        description: Database name (SQLite - the file).
        type: str
      host:
        description: Server host.
        type: str
      port:
        description: Server port.
        type: str
      user:
        description: User name (a read-only account is enough).
        type: str
      password:
        description: Password.
        type: str
  masks:
    description:
      - Masking rules by C(<item>.<field>) - a rule name (C(email), C(first_name),
        C(last_name), C(full_name), C(phone), C(text), C(blank), C(null), C(hash),
        C(number), C(date), C(ip), C(fixed), C(keep)) or a dict with C(rule) and its
        options (see the masking module's documentation).
    type: dict
    default: {}
  mask_key:
    description: The secret that makes masking deterministic for this installation; required with I(masks).
    type: str
  exclude:
    description:
      - Items (by item name) whose tables are left alone, with the items that refer to
        them by a lookup or hold their details (they would point to missing records).
    type: list
    elements: str
    default: []
  sample:
    description:
      - Items (by item name) to copy only a part of - the given number of newest records
        (highest keys). The items that refer to a sampled item, or hold its details, keep
        only the records whose references were kept, and so on; a lookup inside a cycle
        that points to a record not kept is emptied. Nothing ends up pointing to a record
        that was not copied.
    type: dict
    default: {}
  users:
    description:
      - C(keep) - the target's accounts stay as they are.
      - C(copy) - the target's administrators (who may open the Builder) stay as they
        are; its other accounts are replaced by the source's, with their IDs and roles,
        logins and names masked with I(mask_key), IP and session cleared, no Builder
        access, and the password replaced by I(users_password) or, without it, by none
        (nobody can log in with them). Needs I(mask_key). Jam.py 5.4 layout only (a 7.0
        project has no SYS_USERS; a note says so).
    type: str
    choices: [keep, copy]
    default: keep
  users_password:
    description: The non-production password of the copied accounts (I(users=copy)).
    type: str
  files:
    description:
      - The files of file and image fields (C(static/files/)) after the copy.
      - C(none) - left as they are.
      - C(copy) - copied from the source project's C(static/files/) (so
        I(source_project_path) must hold them); files already equal are left alone.
      - C(placeholder) - each missing one becomes a stand-in (a blank image, a short text);
        no production document reaches the target.
    type: str
    choices: [none, copy, placeholder]
    default: none
  batch_size:
    description: Rows per batch (and per transaction).
    type: int
    default: 5000
  import_metadata:
    description: Bring the target's metadata to the source's first.
    type: bool
    default: true
requirements:
  - SQLAlchemy 2, Alembic and the drivers of both databases on the target.
seealso:
  - module: jampy.deploy.jam_import
author:
  - jampy.deploy contributors (@jampy-deploy)
"""

EXAMPLES = r"""
- name: Refresh staging from production, e-mails and names masked
  jampy.deploy.jam_data:
    project_path: /var/www/shop-staging
    source_project_path: /var/tmp/shop-production
    source_database:
      host: db.prod.example.org
      user: shop_readonly
      password: "{{ vault_prod_readonly_password }}"
    masks:
      customers.email: email
      customers.lastname: last_name
      customers.phone: phone
      invoices.notes: blank
    mask_key: "{{ vault_mask_key }}"
    users: copy
    users_password: "{{ vault_staging_users_password }}"
    files: placeholder
  vars:
    ansible_python_interpreter: /var/www/shop-staging/venv/bin/python

- name: A small test project - the latest 500 orders and what they need
  jampy.deploy.jam_data:
    project_path: /var/www/shop-test
    source_project_path: /var/tmp/shop-production
    sample:
      orders: 500
    masks:
      customers.email: email
    mask_key: "{{ vault_mask_key }}"
  vars:
    ansible_python_interpreter: /var/www/shop-test/venv/bin/python
"""

RETURN = r"""
tables:
  description: Per table - rows in the source, rows inserted, updated and deleted in the target.
  returned: always
  type: list
  elements: dict
notes:
  description: Items or fields present on one side only, and excluded items.
  returned: always
  type: list
  elements: str
users:
  description: With I(users=copy) - accounts copied, administrators kept (logins), accounts left out (an administrator holds their ID or login), changed.
  returned: always
  type: dict
files:
  description: Unless I(files=none) - files referenced, copied, placeholders written, unchanged, missing in the source, names refused (with a path in them).
  returned: always
  type: dict
cleared:
  description: Rows of the record locks table removed (in check mode, to remove), by table.
  returned: always
  type: dict
verification:
  description: Counts, orphaned lookups, sequences and masked-value checks after the copy.
  returned: when not in check mode
  type: dict
report_file:
  description: The report written in the target project's C(logs/) (a run that changed nothing and verified writes none).
  returned: when something changed or the verification failed
  type: str
seconds:
  description: Duration of the refresh.
  returned: always
  type: float
"""

from dataclasses import asdict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh.run import (
    RefreshOptions, run_refresh)
from ansible_collections.jampy.deploy.plugins.module_utils.module_base import (
    project_argument_spec, require_libraries, run_or_fail)


def main():
    """Refresh the target project from the source; fail when the copy does not verify."""
    module = AnsibleModule(
        argument_spec=project_argument_spec(
            source_project_path=dict(type="path", required=True),
            source_database=dict(type="dict", options=dict(
                database=dict(type="str"), host=dict(type="str"), port=dict(type="str"),
                user=dict(type="str"), password=dict(type="str", no_log=True))),
            masks=dict(type="dict", default={}),
            mask_key=dict(type="str", no_log=True),
            exclude=dict(type="list", elements="str", default=[]),
            batch_size=dict(type="int", default=5000),
            import_metadata=dict(type="bool", default=True),
            sample=dict(type="dict", default={}),
            users=dict(type="str", choices=["keep", "copy"], default="keep"),
            users_password=dict(type="str", no_log=True),
            files=dict(type="str", choices=["none", "copy", "placeholder"], default="none"),
        ),
        supports_check_mode=True,
    )
    require_libraries(module)
    p = module.params

    def run():
        options = RefreshOptions(
            masks=p["masks"], mask_key=p["mask_key"], exclude=p["exclude"],
            sample=p["sample"], source_overrides=p["source_database"],
            batch_size=p["batch_size"], import_metadata=p["import_metadata"],
            users=p["users"], users_password=p["users_password"], files=p["files"])
        return run_refresh(p["project_path"], p["source_project_path"], options,
                           check_mode=module.check_mode)

    result = run_or_fail(module, run)
    verification = result.verification
    output = dict(changed=result.changed, tables=[asdict(t) for t in result.tables],
                  notes=result.notes, seconds=result.seconds, metadata=result.metadata,
                  users=result.users, files=result.files, cleared=result.cleared)
    if not module.check_mode:
        output.update(verification=verification, report_file=result.report_file)
        if not verification["ok"]:
            module.fail_json(msg="the refresh did not verify: "
                             + "; ".join(verification["problems"]), **output)
        for warning in verification["warnings"]:
            module.warn(warning)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
