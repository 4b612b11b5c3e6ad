"""A project's accounts as code (jam_user): SYS_USERS rows of admin.sqlite.

How every Jam.py release (5.4, 5.5, 7.0) uses them: a login matches a row whose F_LOGIN
(stripped) and plaintext F_PASSWORD equal what was typed and whose DELETED is 0; the Builder
also needs F_ADMIN; F_ROLE (a SYS_ROLES id) gives the privileges. F_ACTIVE and F_PSW_HASH are
never read (the Builder keeps an MD5 of the password in F_PSW_HASH; it is kept in step).
Hence:

* a *disabled* account is a row with DELETED 1 (and F_ACTIVE 0): no login matches it, its
  password and role stay for when it is enabled again;
* passwords are written as Jam.py reads them, in plaintext; they are compared, never
  returned or shown (a change shows as ``(changed)``);
* running Jam.py processes read SYS_USERS at each login, so a change applies to the next
  login at once - but a session already open stays valid until it expires (Jam.py trusts
  its signed cookie).

Jam.py's project template ships ``admin``/``111`` (an administrator) and its demo
``user``/``333``: ``template_password_accounts`` finds accounts still using them.
"""
import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field

from ..errors import JamDeployError
from ..jam.admin_db import connect_readonly, select_rows

USERS, ROLES = "SYS_USERS", "SYS_ROLES"
TEMPLATE_PASSWORDS = ("111", "333")
STATES = ("present", "absent", "disabled")
_FIELDS = ["id", "deleted", "f_active", "f_name", "f_login", "f_password", "f_psw_hash",
           "f_role", "f_admin"]


@dataclass
class AccountSpec:
    """What an account should be; None leaves an attribute as it is (or Jam.py's default
    when the account is created)."""
    login: str
    state: str = "present"
    name: str = None
    role: str = None
    admin: bool = None
    password: str = None
    password_update: str = "always"


@dataclass
class AccountPlan:
    """``action`` is create, update, delete or None; ``changes`` maps attribute → (before,
    after) with passwords replaced by markers; ``row`` is the account's row afterwards."""
    login: str
    action: str = None
    changes: dict = field(default_factory=dict)
    row: dict = None
    existing_id: int = None

    def summary(self, roles):
        """The account as it is after the plan (no password)."""
        if self.row is None:
            return {"login": self.login, "state": "absent"}
        return _public(self.row, roles)


def _public(row, roles):
    return {"login": row["f_login"], "name": row["f_name"],
            "role": roles.get(row["f_role"], row["f_role"]), "admin": bool(row["f_admin"]),
            "state": "disabled" if row["deleted"] else "present",
            "password_set": bool(row["f_password"])}


def _read(project):
    if USERS not in project.columns or ROLES not in project.columns:
        raise JamDeployError(f"{project.admin_path} has no {USERS}/{ROLES} table: not a "
                             "project made by Jam.py's project script")
    with closing(connect_readonly(project.admin_path)) as con:
        users = select_rows(con, USERS, project.columns[USERS], _FIELDS)
        roles = select_rows(con, ROLES, project.columns[ROLES], ["id", "deleted", "f_name"])
    return users, {r["id"]: r["f_name"] for r in roles if not r["deleted"]}


def roles(project):
    """{role id: role name} of the project's roles."""
    return _read(project)[1]


def _role_id(name, project_roles):
    exact = [rid for rid, rname in project_roles.items() if rname == name]
    loose = [rid for rid, rname in project_roles.items()
             if (rname or "").strip().lower() == name.strip().lower()]
    found = exact or loose
    if len(found) != 1:
        available = ", ".join(sorted(str(n) for n in project_roles.values())) or "none"
        raise JamDeployError(f"role {name!r} is not a role of the project (roles: {available}); "
                             "roles come with the metadata (import it first) or the Builder")
    return found[0]


def _find(users, login):
    wanted = login.strip()
    found = [u for u in users if (u["f_login"] or "").strip() == wanted]
    if len(found) > 1:
        raise JamDeployError(
            f"{len(found)} accounts have the login {wanted!r} (ids "
            f"{', '.join(str(u['id']) for u in found)}); Jam.py logs in as the first whose "
            "password matches - remove the duplicates in the Builder, then run again")
    return found[0] if found else None


def _password_hash(password):
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest() if password else None


def _can_log_in_as_admin(row):
    return bool(row and not row["deleted"] and row["f_admin"] and row["f_password"])


def plan_account(project, spec):
    """Compare the account with ``spec``; nothing is written."""
    if spec.state not in STATES:
        raise JamDeployError(f"state must be one of {', '.join(STATES)}, not {spec.state!r}")
    if not spec.login or not spec.login.strip():
        raise JamDeployError("login must not be empty")
    if spec.password in TEMPLATE_PASSWORDS:
        raise JamDeployError(
            f"the password given for {spec.login} is one of Jam.py's project templates, which "
            "anyone can look up; nothing was changed: choose a password of its own")
    users, project_roles = _read(project)
    current = _find(users, spec.login)
    plan = AccountPlan(login=spec.login.strip(), existing_id=current and current["id"])
    if spec.state == "absent":
        if current:
            plan.action, plan.row = "delete", None
            plan.changes["state"] = ("disabled" if current["deleted"] else "present", "absent")
        _keep_an_administrator(users, current, plan.row)
        return plan
    wanted = dict(current) if current else _new_row(plan.login, spec, project_roles)
    if spec.name is not None:
        wanted["f_name"] = spec.name
    if spec.role is not None:
        wanted["f_role"] = _role_id(spec.role, project_roles)
    if spec.admin is not None:
        wanted["f_admin"] = int(spec.admin)
    disabled = spec.state == "disabled"
    wanted["deleted"], wanted["f_active"] = int(disabled), int(not disabled)
    if spec.password is not None and (current is None or spec.password_update == "always") \
            and spec.password != wanted["f_password"]:
        wanted["f_password"], wanted["f_psw_hash"] = spec.password, _password_hash(spec.password)
    plan.row = wanted
    if current is None:
        plan.action = "create"
        plan.changes = {k: (None, v) for k, v in _public(wanted, project_roles).items()
                        if k != "password_set"}
        plan.changes["password"] = (None, "(set)")
    else:
        before, after = _public(current, project_roles), _public(wanted, project_roles)
        plan.changes = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
        plan.changes.pop("password_set", None)
        if wanted["f_password"] != current["f_password"]:
            plan.changes["password"] = ("(unchanged)", "(changed)")
        if plan.changes:
            plan.action = "update"
    _keep_an_administrator(users, current, plan.row)
    return plan


def _new_row(login, spec, project_roles):
    if spec.role is None or spec.password is None:
        raise JamDeployError(
            f"account {login!r} does not exist: give its role and password to create it "
            f"(roles: {', '.join(sorted(map(str, project_roles.values()))) or 'none'})")
    return {"id": None, "deleted": 0, "f_active": 1, "f_name": spec.name or login,
            "f_login": login, "f_password": None, "f_psw_hash": None,
            "f_role": _role_id(spec.role, project_roles), "f_admin": 0}


def _keep_an_administrator(users, current, wanted):
    """Refuse a plan after which nobody could log in to the Builder any more."""
    if not _can_log_in_as_admin(current) or _can_log_in_as_admin(wanted):
        return
    others = [u for u in users if u["id"] != current["id"] and _can_log_in_as_admin(u)]
    if not others:
        raise JamDeployError(
            f"{current['f_login']!r} is the project's last administrator who can log in: "
            "removing, disabling or demoting it would lock everyone out of the Builder; make "
            "another account an administrator first (nothing was changed)")


def apply_account(project, plan):
    """Write ``plan`` in one SQLite transaction (a login running meanwhile sees the account
    before or after, never half of it)."""
    if plan.action is None:
        return
    columns = {c.lower(): c for c in project.columns[USERS]}
    with closing(sqlite3.connect(str(project.admin_path), timeout=30)) as con:
        with con:
            if plan.action == "delete":
                con.execute(f'DELETE FROM "{USERS}" WHERE "ID" = ?', [plan.existing_id])
                return
            values = {columns[k]: v for k, v in plan.row.items() if k in columns and k != "id"}
            names = list(values)
            if plan.action == "create":
                con.execute(f'INSERT INTO "{USERS}" (' + ", ".join(f'"{n}"' for n in names)
                            + ") VALUES (" + ", ".join("?" * len(names)) + ")",
                            [values[n] for n in names])
            else:
                con.execute(f'UPDATE "{USERS}" SET '
                            + ", ".join(f'"{n}" = ?' for n in names) + ' WHERE "ID" = ?',
                            [values[n] for n in names] + [plan.existing_id])


def template_password_accounts(project):
    """Logins of accounts that can still log in with one of Jam.py's template passwords."""
    users, _roles = _read(project)
    return sorted((u["f_login"] or "").strip() for u in users
                  if not u["deleted"] and u["f_password"] in TEMPLATE_PASSWORDS)
