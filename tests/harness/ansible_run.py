"""Run this collection's modules and playbooks the way users do: through ansible-playbook."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.harness import tool_warnings

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def ansible_env(**extra):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".cache" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{BIN}:{env.get('PATH', '')}",
    })
    env.update(extra)
    return env


def run_playbook(playbook, *args, check=True, env=None, timeout=900, expected_warnings=()):
    """ansible-playbook with the repository's configuration; returns the CompletedProcess.

    Fails when the output holds a warning of this collection's (a deprecation of ours, or an
    Ansible warning about our playbooks, roles or modules) other than ``expected_warnings``
    (regular expressions): a run of ours prints none."""
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), str(playbook), *args],
        cwd=REPO, env=ansible_env(**(env or {})), capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"ansible-playbook failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    tool_warnings.assert_none_of_ours(result.stdout + result.stderr, allowed=expected_warnings)
    return result


def run_module(module, args, check_mode=False, diff=False, verbosity=0, expect_failure=False,
               python=None, expected_warnings=()):
    """Run one module on localhost through a one-task playbook; return its result dict.

    ``python`` is the target interpreter (default: the test venv's); the result also
    carries ``_output``: everything ansible-playbook printed.
    """
    task = {"name": "module under test", module: args, "register": "r"}
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "play.yml"
        book.write_text(json.dumps(play))
        options = (["--check"] if check_mode else []) + (["--diff"] if diff else [])
        if python:
            options += ["-e", f"ansible_python_interpreter={python}"]
        if verbosity:
            options.append("-" + "v" * verbosity)
        proc = run_playbook(book, *options, check=False, expected_warnings=expected_warnings,
                            env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                                 "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
                            if not verbosity else None)
    if verbosity:
        return {"_output": proc.stdout + proc.stderr, "rc": proc.returncode}
    try:
        report = json.loads(proc.stdout)
        result = report["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError(f"no module result in:\n{proc.stdout}\n{proc.stderr}") from None
    failed = bool(result.get("failed"))
    if failed != expect_failure:
        raise AssertionError(f"{module} {'did not fail' if expect_failure else 'failed'}: "
                             f"{json.dumps(result, indent=1)[:4000]}")
    result["_output"] = proc.stdout + proc.stderr
    return result


def recap(output, host="localhost"):
    """{ok, changed, failed, ...: count} of a host in a run's PLAY RECAP."""
    line = next(l for l in output.splitlines() if l.startswith(host + " "))
    return {k: int(v) for k, v in (part.split("=") for part in line.split(":", 1)[1].split())}
