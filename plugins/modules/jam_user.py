#!/usr/bin/python
# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jam_user
short_description: Manage an account of a Jam.py project (login, role, administrator, password)
version_added: 0.2.0
description:
  - Creates, updates, disables or removes one account of a Jam.py project - the Builder's
    Users dialog as code - in the project's C(admin.sqlite) (C(SYS_USERS)), the same way for
    Jam.py 5.4, 5.5 and 7.0.
  - The password is written the way Jam.py reads it at login (in plain text, as Jam.py keeps
    it; protect C(admin.sqlite), which the project role makes readable by the web user only).
    It is compared to decide whether anything changes, and is never returned, logged or
    shown in a diff.
  - Running Jam.py processes read the accounts at every login, so a change applies to the
    next login without a restart. A session opened before stays valid until it expires (Jam.py
    trusts its signed session cookie).
  - Refuses to remove, disable or demote the last administrator who can log in.
extends_documentation_fragment:
  - jampy.deploy.project
  - jampy.deploy.project.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the account before and after; a password shows as C((changed)) or C((set)).
options:
  login:
    description: The account's login (what users type; compared without surrounding spaces).
    type: str
    required: true
  state:
    description:
      - C(present) - the account exists and can log in.
      - C(disabled) - the account is kept with its password and role, but no login matches
        it (Jam.py ignores rows marked deleted); C(present) enables it again.
      - C(absent) - the account is removed.
    type: str
    choices: [present, disabled, absent]
    default: present
  name:
    description: The name shown for the account (default on creation - the login).
    type: str
  role:
    description:
      - Name of the account's role (C(SYS_ROLES), e.g. C(Administrator)); roles come with
        the project's metadata. Required to create an account.
    type: str
  admin:
    description: Whether the account may use the Application Builder (where the project allows it).
    type: bool
  password:
    description:
      - The account's password. Required to create an account.
      - Never shown in output, logs or diffs.
    type: str
  password_update:
    description:
      - C(always) - set the password whenever it differs from the stored one.
      - C(on_create) - set it only when the account is created (users may change it later).
    type: str
    choices: [always, on_create]
    default: always
notes:
  - Jam.py's project template holds the account C(admin) with the password C(111); its demo
    also C(user)/C(333). Those passwords are refused in O(password). M(jampy.deploy.jam_info)
    lists accounts that still use such a
    password (C(template_password_accounts)); the project role refuses to finish a
    production project while there is one.
seealso:
  - module: jampy.deploy.jam_info
  - module: jampy.deploy.jam_params
author:
  - jampy.deploy contributors (@jampy-deploy)
"""

EXAMPLES = r"""
- name: The administrator's password, from a vault
  jampy.deploy.jam_user:
    project_path: /var/www/shop
    login: admin
    password: "{{ vault_shop_admin_password }}"
    admin: true

- name: An ordinary user, whose password the user may change afterwards
  jampy.deploy.jam_user:
    project_path: /var/www/shop
    login: ann
    name: Ann Smith
    role: User
    password: "{{ vault_ann_initial_password }}"
    password_update: on_create

- name: Jam.py's demo account, kept but unable to log in
  jampy.deploy.jam_user:
    project_path: /var/www/shop
    login: user
    state: disabled
"""

RETURN = r"""
account:
  description: The account after the change (in check mode, as it would be); never the password.
  returned: always
  type: dict
  sample: {"login": "ann", "name": "Ann Smith", "role": "User", "admin": false,
           "state": "present", "password_set": true}
changes:
  description: What changed, with the values before and after; a password shows as C((changed)) or C((set)).
  returned: always
  type: dict
  sample: {"role": {"before": "User", "after": "Administrator"},
           "password": {"before": "(unchanged)", "after": "(changed)"}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin import accounts
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.module_base import (
    project_argument_spec, run_or_fail)


def main():
    """Bring one account to its spec; changed only when it differs."""
    module = AnsibleModule(
        argument_spec=project_argument_spec(
            login=dict(type="str", required=True),
            state=dict(type="str", choices=list(accounts.STATES), default="present"),
            name=dict(type="str"),
            role=dict(type="str"),
            admin=dict(type="bool"),
            password=dict(type="str", no_log=True),
            password_update=dict(type="str", choices=["always", "on_create"], default="always",
                                 no_log=False),
        ),
        supports_check_mode=True,
    )
    spec = accounts.AccountSpec(**{k: module.params[k] for k in (
        "login", "state", "name", "role", "admin", "password", "password_update")})

    def run():
        project = Project(module.params["project_path"])
        plan = accounts.plan_account(project, spec)
        if not module.check_mode:
            accounts.apply_account(project, plan)
        return plan, accounts.roles(project)

    plan, roles = run_or_fail(module, run)
    result = dict(changed=plan.action is not None, account=plan.summary(roles),
                  changes={k: {"before": b, "after": a} for k, (b, a) in plan.changes.items()})
    if module._diff:
        result["diff"] = {
            "before_header": f"account {plan.login} (now)",
            "after_header": f"account {plan.login} (after)",
            "before": "".join(f"{k}: {b}\n" for k, (b, a) in sorted(plan.changes.items())),
            "after": "".join(f"{k}: {a}\n" for k, (b, a) in sorted(plan.changes.items())),
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
