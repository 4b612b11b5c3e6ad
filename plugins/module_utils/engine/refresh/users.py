"""Production accounts into a non-production project's admin.sqlite, masked.

Jam.py 5.4 keeps an application's accounts in admin.sqlite (SYS_USERS): the login, the
plaintext password that login compares (F_PASSWORD), its md5 (F_PSW_HASH), the last IP and
session uuid. Copying them into a test project:

* the target's own administrators (F_ADMIN) stay exactly as they are;
* every other account of the target is replaced by the source's, with the same ID
  (application data may refer to it), the role kept, the login and the name masked with
  the refresh key (the same name masker the history's user column gets), the info, IP and
  session cleared, no Builder access, and the password replaced: the configured
  non-production password, or NULL, which no login matches;
* a source account whose ID or masked login a kept administrator holds is left out.

Whatever is copied, the target's SYS_TASKS and SYS_PARAMS (connection, secret key) are
never touched here.
"""
import hashlib
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field

from ..jam.admin_db import connect_readonly, select_rows, table_columns
from ..masking.masker import masker

TABLE = "SYS_USERS"


@dataclass
class UsersResult:
    """The accounts copied, the administrators kept, the accounts left out."""
    copied: int = 0
    kept_admins: list = field(default_factory=list)
    left_out: int = 0
    changed: bool = False
    note: str = None


def name_masker(key):
    """The masker of people's names in SYS_USERS.F_NAME and the history's user column."""
    return masker("full_name", key)


def _login_masker(key):
    email, plain = masker("email", key), masker("hash", key, length=12)
    return lambda login: (login if not login else email.mask(login) if "@" in login
                          else "user-" + plain.mask(login))


def _columns(path):
    with closing(connect_readonly(path)) as con:
        return table_columns(con).get(TABLE)


def _rows(path, columns):
    with closing(connect_readonly(path)) as con:
        return select_rows(con, TABLE, columns, [c.lower() for c in columns])


def wanted_accounts(source_rows, kept, key, password):
    """The target's SYS_USERS rows besides ``kept`` (its administrators), from the source."""
    login, name = _login_masker(key), name_masker(key)
    taken_ids = {r["id"] for r in kept}
    taken_logins = {(r.get("f_login") or "").strip() for r in kept}
    digest = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest() \
        if password else None
    accounts, left_out = [], 0
    for row in source_rows:
        masked = dict(row, f_login=login(row.get("f_login")), f_name=name.mask(row.get("f_name")),
                      f_info=None, f_admin=0, f_password=password or None, f_psw_hash=digest,
                      f_ip=None, f_uuid=None)
        if row["id"] in taken_ids or (masked["f_login"] or "").strip() in taken_logins:
            left_out += 1
            continue
        accounts.append(masked)
    return accounts, left_out


def refresh_users(target_admin, source_admin, key, password=None, check_mode=False,
                  before_write=lambda: None):
    """Replace the target's non-administrator accounts by the source's, masked."""
    target_columns, source_columns = _columns(target_admin), _columns(source_admin)
    if not target_columns or not source_columns:
        return UsersResult(note="users: no SYS_USERS table on both sides (Jam.py 7.0 keeps "
                                "accounts elsewhere); no account copied")
    columns = [c for c in target_columns if c.upper() in {s.upper() for s in source_columns}]
    current = _rows(target_admin, columns)
    kept = [r for r in current if r.get("f_admin")]
    accounts, left_out = wanted_accounts(_rows(source_admin, columns), kept, key, password)
    others = sorted((r for r in current if not r.get("f_admin")), key=lambda r: r["id"])
    result = UsersResult(copied=len(accounts), left_out=left_out,
                         kept_admins=[r.get("f_login") for r in kept],
                         changed=others != sorted(accounts, key=lambda r: r["id"]))
    if result.changed and not check_mode:
        before_write()
        _replace(target_admin, columns, kept, accounts)
    return result


def _replace(admin_path, columns, kept, accounts):
    """One SQLite transaction: a Jam.py process logging someone in meanwhile sees the old
    accounts or the new ones."""
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for c in columns)
    keep = ", ".join("?" for r in kept)
    with closing(sqlite3.connect(str(admin_path), timeout=30)) as con:
        with con:  # the transaction
            con.execute(f'DELETE FROM "{TABLE}"' + (f' WHERE "ID" NOT IN ({keep})' if kept
                                                    else ""), [r["id"] for r in kept])
            con.executemany(f'INSERT INTO "{TABLE}" ({names}) VALUES ({marks})',
                            [[row.get(c.lower()) for c in columns] for row in accounts])
