#!/usr/bin/python
# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jam_export
short_description: Export a Jam.py project's metadata to a zip, like the Application Builder
version_added: 0.1.0
description:
  - Writes the metadata of a Jam.py project (the admin rows of its items, fields, indexes,
    filters, report parameters, roles, parameters, privileges and lookup lists) as
    C(task.dat), together with the project files that the Builder's Export includes
    (top-level C(.html) and C(.js) files, C(js/), C(css/), C(static/img), C(static/js),
    C(static/css), C(static/fonts), C(static/builder), C(utils/) without C(.pyc), C(reports/)
    without C(.xml) and C(.ods#)).
  - Refuses a project whose metadata is not valid (the checks of M(jampy.deploy.jam_import),
    for the project's own database), listing every problem; nothing is written.
  - The zip is accepted by Jam.py's own import (the Builder's Import and the C(migration/)
    folder) and by M(jampy.deploy.jam_import).
  - The output is deterministic, so the same metadata and files give a byte-identical zip.
    A re-run that would write the same bytes changes nothing and reports C(changed=false);
    scheduled runs can compare the returned C(sha256).
  - Only reads the project; C(admin.sqlite) is opened read-only. Secrets are never exported
    (the database connection, users and the secret key are not part of the metadata).
extends_documentation_fragment:
  - jampy.deploy.project
  - jampy.deploy.project.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Builds the zip in a temporary file to report C(changed) and C(sha256), then removes it.
  diff_mode:
    support: none
options:
  dest:
    description:
      - Where to write the zip on the target.
      - An existing folder receives a file named the way Jam.py names exports,
        C(<task>_<version>_<Jam.py version>_<YYYY-MM-DD_HH-MM-SS>.zip); when a zip with the
        same prefix and the same content is already there, nothing is written and its
        path is returned.
      - Any other path is the zip file itself; its folder must exist.
    type: path
    required: true
  force:
    description:
      - Replace an existing C(dest) file whose content differs.
      - With C(false) an existing file is left alone (a warning says so).
    type: bool
    default: true
notes:
  - Jam.py appends the display texts of lookup fields after the named fields of each
    record; Jam.py's import ignores them and this module does not write them.
seealso:
  - module: jampy.deploy.jam_info
author:
  - jampy.deploy contributors (@jampy-deploy)
"""

EXAMPLES = r"""
- name: Export the development project next to Jam.py's own exports
  jampy.deploy.jam_export:
    project_path: /srv/jam/dev/shop
    dest: /srv/jam/dev/shop/static/internal

- name: Export to a fixed name and bring the zip to the controller
  jampy.deploy.jam_export:
    project_path: /srv/jam/dev/shop
    dest: /tmp/shop-metadata.zip
  register: export

- name: Fetch it
  ansible.builtin.fetch:
    src: "{{ export.dest }}"
    dest: artifacts/
    flat: true
"""

RETURN = r"""
dest:
  description: Path of the zip on the target (the existing identical zip when nothing changed).
  returned: success
  type: str
  sample: /srv/jam/dev/shop/static/internal/shop_1.0_5.4.136_2026-11-22_10-00-00.zip
sha256:
  description: SHA-256 of the zip's bytes.
  returned: success
  type: str
  sample: 86d6039e6e78844dd1239c20ee1ac44927f9ac6deaae68a831b0070fdca13646
size:
  description: Size of the zip in bytes.
  returned: success
  type: int
  sample: 3326313
counts:
  description: Number of metadata records exported per admin item.
  returned: success
  type: dict
  sample: {"sys_items": 26, "sys_fields": 70, "sys_indices": 5, "sys_filters": 3,
           "sys_report_params": 5, "sys_roles": 2, "sys_params": 1, "sys_privileges": 50,
           "sys_lookup_lists": 2}
files:
  description: Project files in the zip besides C(task.dat), as archive paths.
  returned: success
  type: list
  elements: str
  sample: ["css/project.css", "index.html", "js/demo.js"]
layout:
  description: Jam.py layout of the exported metadata, C(5.4) or C(7.0).
  returned: success
  type: str
  sample: "5.4"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.export import (
    export_project)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.module_base import (
    project_argument_spec, run_or_fail)


def main():
    """Export the project to dest, changed only when the zip differs."""
    module = AnsibleModule(
        argument_spec=project_argument_spec(
            dest=dict(type="path", required=True),
            force=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )

    def export():
        project = Project(module.params["project_path"])
        return project, export_project(project, module.params["dest"], module.params["force"],
                                       module.check_mode)

    project, result = run_or_fail(module, export)
    for warning in result.warnings:
        module.warn(warning)
    module.exit_json(changed=result.changed, dest=result.dest, sha256=result.sha256,
                     size=result.size, counts=result.counts, files=result.files,
                     layout=project.layout)


if __name__ == "__main__":
    main()
