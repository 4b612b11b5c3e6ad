#!/usr/bin/python
# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jam_params
short_description: Set a Jam.py project's parameters (production, safe mode, debugging, ...)
version_added: 0.1.0
description:
  - Sets the parameters of the Application Builder's Parameters dialog without a browser,
    idempotently; only the options given are changed.
  - Running Jam.py processes notice the change at their next request without a restart
    (the parameters version is bumped and the build-id marker in C(locks/) rewritten, as
    the Builder does when it saves the dialog).
  - With Jam.py 7.0, production mode is the C(builder.html) file in the project folder,
    which Jam.py reads once per process; restart the application to apply it. A Jam.py
    secured with its C(jam-secure-project.py) checks another name, which the module reads
    from the Jam.py installed for its Python (run it with the project's venv, as the
    project role does).
  - Can clear a maintenance flag left set by an interrupted import (I(reset_maintenance)).
extends_documentation_fragment:
  - jampy.deploy.project
  - jampy.deploy.project.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the changed parameters before and after.
options:
  production:
    description:
      - Production mode. In Jam.py 5.4 the Builder then refuses structure changes unless
        its database manual mode is on; in 7.0 the Builder is switched off.
      - The Builder's checkbox also presets I(safe_mode=true), I(debugging=false) and
        I(import_delay=180); set those explicitly here.
    type: bool
  safe_mode:
    description: Require a login (SYS_USERS) for the application and the Builder.
    type: bool
  debugging:
    description: Let server-side exceptions of project requests propagate (werkzeug debugger) instead of returning them as errors.
    type: bool
  import_delay:
    description: Seconds an import waits under maintenance before changing anything.
    type: int
  timeout:
    description: Session expiry of the application in seconds (0 = browser session).
    type: int
  max_content_length:
    description: Largest request, in megabytes (0 = no limit); imports by upload need room for the zip.
    type: int
  language:
    description: Jam.py language id (1 = English).
    type: int
  version:
    description: The project's version text (part of export file names).
    type: str
  con_pool_size:
    description: Database connection pool size of each process (applied at process start).
    type: int
  persist_con:
    description: Keep database connections open between requests (applied at process start).
    type: bool
  single_file_js:
    description: Serve the project's client modules as one file.
    type: bool
  dynamic_js:
    description: Load client modules on demand.
    type: bool
  compressed_js:
    description: Serve minified JavaScript.
    type: bool
  delete_reports_after:
    description: Hours after which generated reports are deleted (0 = never).
    type: int
  ignore_change_ip:
    description: Keep a session valid when the client's IP address changes.
    type: bool
  theme:
    description: Jam.py theme number.
    type: int
  small_font:
    description: Use the small font.
    type: bool
  full_width:
    description: Use the full page width.
    type: bool
  forms_in_tabs:
    description: Open forms in tabs.
    type: bool
  upload_file_ext:
    description: File extensions allowed for uploads, for example C(.txt, .csv).
    type: str
  show_select_sql:
    description:
      - Log every SELECT statement the application runs.
      - Jam.py 7.0.120 and later 7.0 releases only; refused for 5.x projects.
    type: bool
  modern_input_btns:
    description:
      - The client's newer input buttons.
      - Jam.py 7.0.120 and later 7.0 releases only; refused for 5.x projects.
    type: bool
  ace_theme:
    description:
      - The theme of the Application Builder's code editor (stored as its number, as the
        Builder does; an empty value reads as C(vs)).
      - Jam.py 7.0.120 and later 7.0 releases only; refused for 5.x projects.
    type: str
    choices: [vs, vs-dark, hc-black, hc-light]
  reset_maintenance:
    description:
      - Clear the maintenance flag when it is set and no import holds the import lock (an
        interrupted import left it on). Refused while an import runs.
      - When an import's journal is left (its process died), the import is finished first -
        rolled back, or rolled forward when the database had committed - so the project
        ends in the old or the new state, never between.
      - On a Jam.py 7.x project a process that read the flag answers HTTP 500 to every
        request until it restarts, also once the flag is cleared; the module warns to
        restart the application.
    type: bool
    default: false
seealso:
  - module: jampy.deploy.jam_info
  - module: jampy.deploy.jam_project
author:
  - jampy.deploy contributors (@jampy-deploy)
"""

EXAMPLES = r"""
- name: Production settings, as the Builder's Production checkbox proposes them
  jampy.deploy.jam_params:
    project_path: /var/www/shop
    production: true
    safe_mode: true
    debugging: false
    import_delay: 180

- name: Clear a maintenance flag left by an interrupted import
  jampy.deploy.jam_params:
    project_path: /var/www/shop
    reset_maintenance: true
"""

RETURN = r"""
parameters:
  description: All settable parameters of the project's Jam.py version and the maintenance flag after the change (in check mode, as they would be).
  returned: always
  type: dict
  sample: {"production": true, "safe_mode": true, "debugging": false, "import_delay": 180}
changes:
  description: The parameters that changed, with their values before and after.
  returned: always
  type: dict
  sample: {"safe_mode": {"before": false, "after": true}}
params_version:
  description: The project's PARAMS_VERSION after the change.
  returned: when changed and not in check mode
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin.settings import (
    apply_settings, plan_settings)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import params
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.layouts import LAYOUT_70
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.module_base import (
    project_argument_spec, run_or_fail)

_TYPES = {bool: "bool", int: "int", str: "str"}


def argument_spec():
    """The shared options, one per settable parameter, and reset_maintenance."""
    return project_argument_spec(
        reset_maintenance=dict(type="bool", default=False),
        **{name: dict(type=_TYPES[type(default)], **(
            {"choices": list(params.CHOICES[name])} if name in params.CHOICES else {}))
           for name, (default, settable) in params.PARAMETERS.items() if settable})


def main():
    """Set the given parameters; changed only when a value differs."""
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    desired = {name: module.params[name] for name in params.settable()
               if module.params[name] is not None}

    def run():
        project = Project(module.params["project_path"])
        changes = plan_settings(project, desired, module.params["reset_maintenance"])
        if (changes.get("maintenance") or (None,))[0] and project.layout == LAYOUT_70:
            module.warn("the maintenance flag was set on a Jam.py 7.x project: processes that "
                        "read it answer HTTP 500 until they restart; restart the application "
                        "(for mod_wsgi, touch wsgi.py)")
        versions = {} if module.check_mode or not changes else apply_settings(project, changes)
        current = project.parameters()
        after = {name: current[name]
                 for name in params.settable(project.layout) + ["maintenance"]}
        if module.check_mode:
            after.update({name: new for name, (old, new) in changes.items()})
        return changes, versions, after

    changes, versions, after = run_or_fail(module, run)
    result = dict(changed=bool(changes), parameters=after,
                  changes={k: {"before": old, "after": new} for k, (old, new) in changes.items()})
    if versions:
        result["params_version"] = versions["params_version"]
    if module._diff:
        result["diff"] = {
            "before_header": "parameters (now)", "after_header": "parameters (after)",
            "before": "".join(f"{k}: {old}\n" for k, (old, new) in sorted(changes.items())),
            "after": "".join(f"{k}: {new}\n" for k, (old, new) in sorted(changes.items())),
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
