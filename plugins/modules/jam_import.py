#!/usr/bin/python
# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jam_import
short_description: Import a metadata zip into a Jam.py project, live and idempotently
version_added: 0.1.0
description:
  - Imports metadata exported by M(jampy.deploy.jam_export) or by Jam.py's Application
    Builder into a Jam.py project on the target, while its Jam.py processes keep serving.
  - Compares the project's current metadata with the archive's by ID, as Jam.py does, and
    derives a plan before anything changes - schema statements for the project database
    (SQLite, PostgreSQL, MySQL/MariaDB; a project on one of the databases Jam.py 7.0 added,
    Databricks, DuckDB, SQLCipher or MS Access, is refused as not supported yet, before
    anything changes), admin.sqlite row changes and project files. When
    the plan is empty nothing happens at all (no maintenance window, no version bump) and
    the module reports C(changed=false).
  - Otherwise it follows Jam.py's own protocol so running processes take part - the
    C($metadata_import) lock, the maintenance flag (running processes answer "under
    maintenance"), the import delay, the database and admin.sqlite changed as one unit
    (PostgreSQL and SQLite roll both back on any error, admin.sqlite byte-identical), the
    files, a C(logs/import_<time>.log) in Jam.py's format, then maintenance off and the
    version bumps that make every process reload the new items without a restart.
  - On a Jam.py 7.x project (its admin.sqlite has 7.0's layout) the maintenance flag is
    never set - a Jam.py 7.0 process that reads it answers HTTP 500 to every request until
    it restarts. The processes keep serving the old metadata while the new columns and
    tables are added, then one admin.sqlite transaction clears the flag and bumps the
    versions, and every process reloads at its next request; columns and tables only the
    old metadata used are dropped after that (C(deferred)). The counters are checked again
    about a second later and set past what a starting process wrote back. No import delay
    is waited. C(maintenance) says which way was taken.
  - An import interrupted earlier (its process killed, the host down) is finished first -
    rolled back, or rolled forward when the database had committed - from the journal it
    keeps in C(locks/) (C(recovered) says what was done).
  - Refuses, before anything changes, an archive exported by another Jam.py release line
    than the project's (the major.minor of the archive's SYS_PARAMS F_JAM_VERSION against
    the Jam.py installed for the target's Python, else the project's F_JAM_VERSION) -
    Jam.py's import works only with metadata of its own release line. 5.4 and 5.5 are one
    line (same metadata and import code); an archive without F_JAM_VERSION is not checked.
  - Refuses, before any plan and in check mode too, metadata that Jam.py or the database
    could not take - a field size that is not a positive whole number within the database's
    limit, an unknown data type, an index field list that is not Jam.py's JSON or names a
    field of another item, a reference to a missing item, field, role or lookup list, a
    duplicate item, field, table, column or index name, a name the Builder would refuse
    (not an identifier, a reserved word, longer than the database takes). The message lists
    every problem (up to 40), naming the item and field by caption, name and id.
  - Adopts projects deployed the Jam.py way. Jam.py's own import always leaves some
    differences between the database and the metadata, its known omissions (measured on
    5.4.136, 5.5.4 and 7.0.120 with SQLite, PostgreSQL and MariaDB) - no foreign keys in
    SQLite, and with 7.0 a column for each calculated field of an item it created and the
    indexes of an item copy it created, on the table the copy shares with its source, which
    it leaves there when it deletes the copy (an index the project's import logs show
    created and never dropped). They are not drift - never refused - and are listed in
    C(omissions) and as warnings. A SQLite table without its foreign keys gets them when
    the import changes that table anyway (it is rebuilt instead of altered), or with
    I(repair_omissions) at once; an index left behind is dropped the same way; a calculated
    field's column and a copy's index are kept and left out when their table is
    rebuilt. Other differences are drift (I(drift)).
  - Fixes some Jam.py import quirks on purpose - a changed index or foreign key is
    re-created, a changed column size or type is altered, an existing SQLite project
    is migrated by rebuilding the changed tables (Jam.py refuses it), and the indexes of a
    7.0 item copy are not created (Jam.py 7.0's Builder creates none either).
  - Jam.py 7.0 projects get the column defaults Jam.py 7.0 derives from each field's
    default value, created, added and altered as Jam.py 7.0 ends up with them; a quote in a
    text default is escaped (Jam.py writes it unescaped and fails), and a numeric field
    whose default is no number is refused before anything changes.
  - Database drivers (psycopg2 or mysqlclient) and SQLAlchemy 2 must be installed for the
    target's Python, normally the project's virtual environment.
extends_documentation_fragment:
  - jampy.deploy.project
  - jampy.deploy.project.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Returns the plan, the exact SQL statements and the release record it would write without touching the project, its database or the release history.
  diff_mode:
    support: full
    details: Shows the project database schema before and after, the statements and admin.sqlite changes, and the release record.
options:
  src:
    description:
      - Path of the metadata zip on the target. Either I(src) or I(release) is required.
    type: path
  release:
    description:
      - Import a release kept in the release history instead of I(src) - a rollback.
        C(previous) is the newest release before the deployed one (the release whose
        metadata the project has now) with other metadata; or a release id (C(jam_info)'s
        C(releases)). Refused, naming the known ids, when there is none or the id is
        unknown.
      - The import takes exactly the way of I(src), its guards and check mode included,
        and is recorded as a release of its own whose C(rollback) names the release it went
        back to and the one it replaced.
    type: str
  history_path:
    description:
      - The release history - every zip a real import changed the project with is kept
        there as C(<id>.zip) with a JSON record C(<id>.json) (when, who, the zip's SHA-256,
        metadata fingerprint, Jam.py release and project name, the plan's C(summary) and
        C(msg), the result). An import that changes nothing records nothing.
      - Default is the folder beside the project, C(<project_path>-releases). It is
        created with mode 0700, owned by the user the module runs as (root under
        C(become)). A folder inside the project is refused - Jam.py serves files from the
        project folder, and exports take files from it.
      - Checked before anything changes - a folder this user cannot write is refused.
    type: path
  keep_releases:
    description:
      - How many releases the history keeps; the oldest are removed after a new one is
        recorded. C(0) keeps no history (nothing is recorded).
    type: int
    default: 10
  recorded_by:
    description:
      - Who the record names as having run the import (the migrate role passes the
        controller's user and host). Default - the module's user and the target host.
    type: str
  import_delay:
    description:
      - Seconds to wait, with the site under maintenance, before changing anything, so
        that requests in flight finish.
      - Default is the project's own Import delay parameter (not applied to a project
        without tables yet, a first deployment, where nothing is in flight).
      - With a delay (5.x), the running Jam.py processes are told to load the new metadata
        while the site is still under maintenance, and get up to 2 seconds (at most the
        delay) to do so before it ends. Jam.py 5.4 rebuilds its task tree in place, and
        requests served while it does meet an empty or half-built one.
      - Not applied to a Jam.py 7.x project, which is never put under maintenance.
    type: int
  lock_timeout:
    description:
      - Seconds to wait for another import (by Jam.py or by this module) to finish.
    type: int
    default: 600
  schema:
    description:
      - Change the project database's schema. With several application hosts sharing one
        database, import with C(true) on one host first, then with C(false) on the others -
        they get admin.sqlite and the files, the schema is already there.
    type: bool
    default: true
  drift:
    description:
      - What to do when the project database differs from what its current metadata
        describes (a column added by hand, a half-applied change), checked before anything
        changes.
      - C(fail) refuses and lists the differences. C(adopt) goes ahead when the database
        only has more than the metadata knows (extra tables, columns, indexes, foreign keys
        are kept as they are) or other column defaults (Jam.py writes every value it
        inserts; tables of a project upgraded from 5.4 have none) and refuses other
        differences. C(ignore) goes ahead anyway.
      - Jam.py's known omissions (see the description) are not drift under any policy.
    type: str
    choices: [fail, adopt, ignore]
    default: fail
  allow_data_loss:
    description:
      - Let the import drop tables or columns that hold data, or shrink a text column below
        its longest value. Without it such a plan is refused, naming the tables, columns and
        counts, before anything changes.
    type: bool
    default: false
  repair_omissions:
    description:
      - Repair Jam.py's known omissions that can be repaired now rather than with the next
        change of their tables - a SQLite table without the foreign keys its metadata
        declares is rebuilt with them (rows copied; an import with nothing else to do
        then changes only that), an index an import left behind is dropped.
    type: bool
    default: false
  replace_retyped_items:
    description:
      - An item ID that the archive uses for another item type than the project (an item
        deleted and its ID reused in development) is refused, as by Jam.py, since the
        project could never follow development again. With C(true) the old item is dropped
        - its table with its rows, refused while it holds rows unless I(allow_data_loss) is
        set - and the new one created; check mode shows the statements.
    type: bool
    default: false
  rehearse:
    description:
      - MySQL/MariaDB - before changing anything, run the schema statements on a scratch
        database C(<database>_jampy_rehearsal) holding an empty copy of the tables, then
        drop it; a failure there stops the import with nothing changed. Skipped, with the
        reason in C(rehearsal), when the user may not create that database (the database
        role grants it).
    type: bool
    default: true
  backup:
    description:
      - MySQL/MariaDB cannot roll back schema changes. Before an import that alters, drops
        or indexes existing tables there, dump those tables with C(mysqldump) (the password
        goes through a private option file, never the command line) and copy admin.sqlite
        into C(<project>/backups/import_<time>/). A failure then names the folder and the
        command that restores it.
      - PostgreSQL and SQLite need none - their changes roll back as a whole.
    type: bool
    default: true
requirements:
  - SQLAlchemy >= 2.0 and Alembic on the target.
  - psycopg2 for PostgreSQL, mysqlclient for MySQL/MariaDB projects.
seealso:
  - module: jampy.deploy.jam_export
  - module: jampy.deploy.jam_info
author:
  - jampy.deploy contributors (@jampy-deploy)
"""

EXAMPLES = r"""
- name: Preview the import (plan and SQL, nothing changes)
  jampy.deploy.jam_import:
    project_path: /var/www/shop
    src: /tmp/shop-metadata.zip
  check_mode: true
  diff: true
  register: preview

- name: Import while the site runs
  jampy.deploy.jam_import:
    project_path: /var/www/shop
    src: /tmp/shop-metadata.zip
    import_delay: 10
  become: true
  become_user: www-data
  vars:
    ansible_python_interpreter: /var/www/shop/venv/bin/python

- name: Go back to the release before the deployed one (a preview first)
  jampy.deploy.jam_import:
    project_path: /var/www/shop
    release: previous
  check_mode: true
  become: true
  vars:
    ansible_python_interpreter: /var/www/shop/venv/bin/python
"""

RETURN = r"""
plan:
  description: Counts of schema steps by kind, admin.sqlite changes by table and kind, and changed files.
  returned: always
  type: dict
  sample: {"schema": {"CreateTable": 2, "AddColumn": 1}, "admin": {"sys_fields.insert": 12}, "files": 1}
statements:
  description: The SQL statements of the plan, in order (in check mode, what a real run would send).
  returned: always
  type: list
  elements: str
executed:
  description: The statements actually sent to the database.
  returned: always
  type: list
  elements: str
admin_changes:
  description: Readable admin.sqlite row changes.
  returned: always
  type: list
  elements: str
files:
  description: Project files written from the archive (new or different).
  returned: always
  type: list
  elements: str
log_file:
  description: The import log written in the project's C(logs/) folder (when something was imported).
  returned: when changed and not in check mode
  type: str
build_version:
  description: The project's BUILD_VERSION after the import.
  returned: when changed and not in check mode
  type: int
drift:
  description: Differences between the live database and the project's metadata found before the import (kept as warnings when adopted or ignored).
  returned: always
  type: list
  elements: str
  sample: ["table shop_customers: column extra TEXT: not expected, found"]
omissions:
  description:
    - Jam.py's known omissions found in the live database (not drift), each with what
      Jam.py left, what this module does about it, and C(repaired by this import) where
      this run repairs it. Also reported as warnings. Found when the import checks the
      database, so empty when there is nothing to import (unless I(repair_omissions)).
  returned: always
  type: list
  elements: str
  sample: ["table DEMO_INVOICES: foreign key (CUSTOMER) references DEMO_CUSTOMERS (ID): missing
           (Jam.py's import never creates foreign keys in SQLite; created when jam_import next
           rebuilds the table, or now with repair_omissions) - repaired by this import"]
data_loss:
  description: What the plan destroys (allowed with I(allow_data_loss)).
  returned: always
  type: list
  elements: str
  sample: ["column shop_customers.notes would be dropped with its 12 values"]
rehearsal:
  description: MySQL/MariaDB - C(passed), or why the rehearsal was skipped; null on other databases.
  returned: always
  type: str
summary:
  description:
    - What the import changes (check mode - would change) in Jam.py's terms - C(items),
      C(fields) and C(indexes) C(added), C(renamed) (with the name they had), C(changed)
      (with the attributes that changed) and C(removed), by caption and name, and the
      database C(tables) C(added), C(changed) and C(removed); then C(counts), the number of
      each. Kinds and actions without any are left out.
  returned: always
  type: dict
  sample: {"items": {"added": ["Suppliers (suppliers)"]},
           "fields": {"added": ["Suppliers / Name (suppliers.name)"],
                      "renamed": ["Customers / Mail (customers.mail), was email"],
                      "changed": ["Customers / Name (customers.name): size"]},
           "tables": {"added": ["SHOP_SUPPLIERS"], "changed": ["SHOP_CUSTOMERS"]},
           "counts": {"items": {"added": 1}, "fields": {"added": 1, "renamed": 1, "changed": 1},
                      "tables": {"added": 1, "changed": 1}}}
msg:
  description:
    - "The import in one line - C(would add 1 item, 2 fields; 3 SQL statements) in check
      mode, C(imported: added 1 item, 2 fields; 3 SQL statements, 12 admin.sqlite changes)
      after a real one, C(nothing to import) when the zip changes nothing; known Jam.py
      omissions found are counted at the end."
  returned: always
  type: str
  sample: "would add 1 item, 1 field; rename 1 field; change 1 field, 1 table; 6 SQL statements, 9 admin.sqlite changes"
recovered:
  description: What finishing an interrupted earlier import did (empty when there was none).
  returned: always
  type: list
  elements: str
restart_needed:
  description:
    - Whether the application's processes must restart for the import to apply fully
      (C(restart_reasons) says why; for mod_wsgi, touch C(wsgi.py)). The migrate role does
      that.
  returned: always
  type: bool
restart_reasons:
  description:
    - Why a restart is needed, one sentence each - privileges or roles changed (running
      Jam.py processes keep each role's privileges in memory until they restart, so new
      items stay forbidden to logged-in users in safe mode), or on Jam.py 7.x the
      maintenance flag was already set before the import (a process that read it answers
      HTTP 500 until it restarts; the import cleared the flag). Empty when none is needed.
  returned: always
  type: list
  elements: str
maintenance:
  description:
    - How running processes were told about the import - C(flag) (Jam.py 5.x, they
      answered "under maintenance" during it) or C(live) (Jam.py 7.x, no maintenance flag;
      they served the old metadata until the version bump). Set by the plan, also in check
      mode.
  returned: always
  type: str
  choices: [flag, live]
deferred:
  description:
    - Jam.py 7.x - the drops (columns, tables, sequences, SQLite table rebuilds that only
      drop) run after the processes were told to reload, because the old metadata still
      used them; their statements are the last ones in C(statements). Empty on 5.x.
  returned: always
  type: list
  elements: str
  sample: ["drop column demo_customers.loyalty"]
seconds:
  description: Seconds spent per phase (lock, plan, connect, maintenance, import_delay, database, admin, files, deferred).
  returned: always
  type: dict
  sample: {"lock": 0.0, "plan": 0.18, "connect": 0.01, "maintenance": 0.01, "database": 0.56, "admin": 0.01, "files": 0.0}
backup:
  description: Where the tables changed on MySQL/MariaDB were saved, and how to restore them (empty when none was needed).
  returned: when changed and not in check mode, and with failures
  type: dict
  sample: {"folder": "/var/www/shop/backups/import_2026-11-22_10-00-00", "tables": ["shop_customers"],
           "restore": "mysql shop < /var/www/shop/backups/import_2026-11-22_10-00-00/shop.sql"}
release:
  description:
    - The release record written to the history (check mode - that would be written), or
      null when nothing was imported or I(keep_releases=0) - C(id), C(time) (UTC), C(by),
      C(zip) (C(source), C(sha256)), C(fingerprint) (the project's metadata after the
      import, as C(jam_info) reports it), C(jam_version) and C(project) (from the zip),
      C(rollback) (C(to), C(from), or null), C(summary), C(msg) and C(result)
      (C(changed), C(maintenance), counts of C(statements), C(admin_changes), C(files),
      C(log_file)).
  returned: always
  type: dict
  sample: {"id": "20261207T020000Z_3f2a9c1b0d4e", "time": "2026-12-07T02:00:00Z",
           "by": "deployer@controller", "fingerprint": "3f2a9c1b0d4e...",
           "zip": {"source": "/var/tmp/jampy/shop/metadata.zip", "sha256": "9b1c..."},
           "jam_version": "5.4.136", "project": "shop", "rollback": null,
           "msg": "imported: added 1 item; 2 SQL statements, 9 admin.sqlite changes",
           "summary": {}, "result": {"changed": true, "maintenance": "flag",
           "statements": 2, "admin_changes": 9, "files": 0, "log_file": "..."}}
pruned:
  description: The ids of the releases removed from the history to keep I(keep_releases).
  returned: always
  type: list
  elements: str
progress:
  description: The import's progress lines, as written to its log.
  returned: when changed and not in check mode
  type: list
  elements: list
"""

import getpass
import json
import os
import socket

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.read import read_archive
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.releases import (
    check_archive_release)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportFailed, ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.release_history import (
    ReleaseHistory, release_record, utc_now)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.summary import one_line
from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    describe_schema)
from ansible_collections.jampy.deploy.plugins.module_utils.module_base import (
    project_argument_spec, require_libraries, run_or_fail)


def diff_of(result, history, release):
    """Ansible's diff: the schema before and after, then the statements, admin.sqlite
    changes and files, then the release record."""
    current, desired = result.schemas
    text = "\n".join([f"{s};" for s in result.statements]
                     + [f"-- admin.sqlite: {line}" for line in result.admin_changes]
                     + [f"-- file: {name}" for name in result.files])
    diff = [
        {"before_header": f"{result.project_path} database schema (now)",
         "after_header": f"{result.project_path} database schema (after import)",
         "before": describe_schema(current),
         "after": describe_schema(desired)},
        {"prepared": text + "\n" if text else ""},
    ]
    if release:
        diff.append({"before_header": "(no record)", "before": "",
                     "after_header": os.path.join(history.path, f"{release['id']}.json"),
                     "after": json.dumps(release, indent=2, sort_keys=True) + "\n"})
    return diff


def message(result, check_mode, schema):
    """jam_import's ``msg``: the statements this host sends (check mode: would send; the
    other hosts of a shared database send none), then the omissions found."""
    sent = result.executed if not check_mode else (result.statements if schema else [])
    text = one_line(result.summary, len(sent), len(result.admin_changes), len(result.files),
                    check_mode)
    if result.omissions:
        text += (f"; {len(result.omissions)} known Jam.py omissions in the database "
                 "(not drift; see omissions)")
    return text


def main():
    """Import src, or a release of the history, into the project (check mode: plan and
    checks only) and record it in the release history."""
    module = AnsibleModule(
        argument_spec=project_argument_spec(
            src=dict(type="path"),
            release=dict(type="str"),
            history_path=dict(type="path"),
            keep_releases=dict(type="int", default=10),
            recorded_by=dict(type="str"),
            import_delay=dict(type="int"),
            lock_timeout=dict(type="int", default=600),
            backup=dict(type="bool", default=True),
            schema=dict(type="bool", default=True),
            drift=dict(type="str", default="fail", choices=["fail", "adopt", "ignore"]),
            rehearse=dict(type="bool", default=True),
            allow_data_loss=dict(type="bool", default=False),
            repair_omissions=dict(type="bool", default=False),
            replace_retyped_items=dict(type="bool", default=False),
        ),
        required_one_of=[("src", "release")],
        mutually_exclusive=[("src", "release")],
        supports_check_mode=True,
    )
    require_libraries(module)
    params = module.params
    if params["keep_releases"] < 0:
        module.fail_json(msg=f"keep_releases must be 0 (no history) or more, not "
                             f"{params['keep_releases']}")
    recording = params["keep_releases"] > 0
    by = params["recorded_by"] or f"{getpass.getuser()}@{socket.gethostname()}"
    released = {"release": None, "pruned": []}

    def run():
        project = Project(params["project_path"])
        history = ReleaseHistory(project.path, params["history_path"])
        released["history"] = history
        src, rollback = params["src"], None
        if params["release"]:
            src, rollback = history.rollback(params["release"], project.metadata().fingerprint())
        archive = read_archive(src)
        check_archive_release(project, archive.metadata)
        if recording and not module.check_mode:
            history.check_writable()

        def record(result):
            fingerprint = Project(params["project_path"]).metadata().fingerprint()
            release = release_record(archive, src, fingerprint, utc_now(), by, result,
                                     message(result, False, params["schema"]), rollback)
            try:
                released["pruned"] = history.add(src, release, params["keep_releases"])
                released["release"] = release
            except OSError as exc:  # the import is done: failing now would hide that
                module.warn(f"imported, but the release could not be recorded in "
                            f"{history.path} ({exc}); free the space or fix the folder - "
                            "the next import that changes something is recorded")

        options = ImportOptions(**{name: params[name] for name in (
            "import_delay", "lock_timeout", "backup", "schema", "drift", "allow_data_loss",
            "rehearse", "repair_omissions", "replace_retyped_items")})
        result = run_import(params["project_path"], src, options, check_mode=module.check_mode,
                            on_imported=record if recording else None)
        if module.check_mode and recording and result.changed:
            released["release"] = release_record(
                archive, src, archive.metadata.fingerprint(), utc_now(), by, result,
                message(result, True, params["schema"]), rollback)
        return result

    def details(exc):
        if not isinstance(exc, ImportFailed):
            return {}
        return dict(executed=exc.result.executed, statements=exc.result.statements,
                    log_file=exc.result.log_file, progress=exc.result.progress,
                    backup=exc.result.backup)

    result = run_or_fail(module, run, details)
    for warning in result.warnings:
        module.warn(warning)
    output = dict(changed=result.changed, plan=result.plan, statements=result.statements,
                  executed=result.executed, admin_changes=result.admin_changes,
                  files=result.files, seconds=result.seconds, drift=result.drift,
                  data_loss=result.data_loss, omissions=result.omissions,
                  restart_needed=result.restart_needed,
                  restart_reasons=result.restart_reasons, maintenance=result.maintenance,
                  deferred=result.deferred, summary=result.summary,
                  recovered=result.recovered, rehearsal=result.rehearsal,
                  msg=message(result, module.check_mode, params["schema"]),
                  release=released["release"], pruned=released["pruned"])
    if result.log_file:
        output.update(log_file=result.log_file, progress=result.progress,
                      build_version=result.versions.get("build_version"),
                      backup=result.backup)
    if module._diff:
        output["diff"] = diff_of(result, released["history"], released["release"])
    module.exit_json(**output)


if __name__ == "__main__":
    main()
