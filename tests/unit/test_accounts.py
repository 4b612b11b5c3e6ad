"""The accounts engine (jam_user) on the admin.sqlite of Jam.py 5.4's project template and
7.0's demo and template: the rows written are the ones Jam.py's login reads."""
import hashlib
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin import accounts
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from tests.harness import jamenv

JAM70 = Path(__file__).resolve().parents[1] / "fixtures" / "jam70"


def _template_54():
    venv = Path(jamenv.jam_python()).parents[1]
    return next(venv.glob("lib/python3*/site-packages/jam/project/admin.sqlite"))


# The 5.4 template comes from the reference Jam.py's venv.
@pytest.fixture(params=[pytest.param("5.4 template", marks=pytest.mark.integration),
                        "7.0 template", "7.0 demo"])
def project(request, tmp_path):
    source = {"5.4 template": _template_54, "7.0 template": lambda: JAM70 / "template-admin.sqlite",
              "7.0 demo": lambda: JAM70 / "demo-admin.sqlite"}[request.param]()
    shutil.copy(source, tmp_path / "admin.sqlite")
    return Project(tmp_path)


def rows(project):
    with closing(sqlite3.connect(project.admin_path)) as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT F_LOGIN, DELETED, F_ACTIVE, F_PASSWORD, F_PSW_HASH, F_ROLE, F_ADMIN, F_NAME "
            "FROM SYS_USERS")}


def apply(project, **spec):
    plan = accounts.plan_account(project, accounts.AccountSpec(**spec))
    accounts.apply_account(project, plan)
    return plan


def test_template_accounts_and_a_new_password(project):
    assert "admin" in accounts.template_password_accounts(project)
    plan = apply(project, login="admin", password="s3cret-Enough")
    assert plan.action == "update" and plan.changes == {"password": ("(unchanged)", "(changed)")}
    row = rows(project)["admin"]
    assert row[2:4] == ("s3cret-Enough", hashlib.md5(b"s3cret-Enough").hexdigest())
    assert "admin" not in accounts.template_password_accounts(project)
    assert accounts.plan_account(project, accounts.AccountSpec(
        login="admin", password="s3cret-Enough")).action is None


@pytest.mark.parametrize("password", accounts.TEMPLATE_PASSWORDS)
def test_a_template_password_is_refused(project, password):
    before = rows(project)
    with pytest.raises(JamDeployError, match="one of Jam.py's project templates"):
        accounts.plan_account(project, accounts.AccountSpec(login="clerk", password=password))
    assert rows(project) == before


def test_create_disable_enable_remove(project):
    plan = apply(project, login="ann", name="Ann", role="administrator", password="pw-ann-1")
    assert plan.action == "create" and plan.changes["password"] == (None, "(set)")
    assert rows(project)["ann"] == (0, 1, "pw-ann-1", hashlib.md5(b"pw-ann-1").hexdigest(), 1,
                                    0, "Ann")
    apply(project, login="ann", state="disabled")
    assert rows(project)["ann"][:3] == (1, 0, "pw-ann-1")  # kept, no login matches it
    apply(project, login=" ann ", state="present")
    assert rows(project)["ann"][:2] == (0, 1)
    apply(project, login="ann", state="absent")
    assert "ann" not in rows(project)


def test_the_last_administrator_stays(project):
    with pytest.raises(JamDeployError, match="last administrator"):
        accounts.plan_account(project, accounts.AccountSpec(login="admin", state="disabled"))
    apply(project, login="ann", role="Administrator", admin=True, password="pw-ann-2")
    assert accounts.plan_account(project, accounts.AccountSpec(
        login="admin", state="absent")).action == "delete"
