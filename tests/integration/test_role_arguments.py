"""Every role refuses a run without jampy_project_name at argument validation, before any
task of its own, with a message that names the variable; given one, the validation of the
shared variables and the role's own pass."""
import json

import pytest

from tests.harness.ansible_run import run_playbook

JSON_OUTPUT = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
               "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
ROLES = ("common", "database", "project", "apache", "migrate", "refresh")
SHARED_VALIDATION = ("jampy.deploy.common : Validating arguments against arg spec 'main' - "
                     "What the roles of jampy.deploy share (variables, restart handler)")
HINT = "jampy_project_name is required: set it to the project item name (e.g. shop)"


def run_role(tmp_path, role, variables):
    """(return code, [(task name, localhost's result)] in order) of the role in check mode."""
    book = tmp_path / "play.yml"
    book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                 "vars": variables, "roles": [f"jampy.deploy.{role}"]}]))
    proc = run_playbook(book, "--check", check=False, env=JSON_OUTPUT)
    return proc.returncode, [(task["task"]["name"], task["hosts"]["localhost"])
                             for play in json.loads(proc.stdout)["plays"]
                             for task in play["tasks"]]


@pytest.mark.parametrize("role", ROLES)
def test_a_role_without_the_project_name_fails_at_validation(tmp_path, role):
    returncode, tasks = run_role(tmp_path, role, {"jampy_migrate_zip": "/nonexistent.zip"})
    assert returncode != 0
    assert [task[0] for task in tasks] == [SHARED_VALIDATION]
    result = tasks[0][1]
    assert result["failed"] and HINT in result["msg"]


@pytest.mark.parametrize("role", ("database", "migrate"))
def test_with_the_project_name_both_validations_pass(tmp_path, role):
    tasks = run_role(tmp_path, role, {"jampy_project_name": "shop",
                                      "jampy_migrate_zip": "/nonexistent.zip"})[1]
    (shared, shared_result), (own, own_result) = tasks[:2]
    assert shared == SHARED_VALIDATION
    assert own.startswith(f"jampy.deploy.{role} : Validating arguments")
    assert shared_result["msg"] == own_result["msg"] == "The arg spec validation passed"
