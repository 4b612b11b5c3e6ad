"""Each role's argument spec tells the truth about its defaults/main.yml: what
`ansible-doc -t role` shows as a variable's default is the value the role takes."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = REPO / "roles"


class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """YAML as Ansible reads it: !unsafe (a text never templated) is its text."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load(path.read_text(), _Loader) or {}  # nosec B506 - SafeLoader subclass


@pytest.mark.parametrize("role", sorted(path.name for path in ROLES.iterdir()))
def test_spec_defaults_are_the_role_defaults(role):
    defaults = load(ROLES / role / "defaults" / "main.yml")
    options = load(ROLES / role / "meta" / "argument_specs.yml")[
        "argument_specs"]["main"]["options"]
    for name, value in defaults.items():
        assert name in options, f"{role}: {name} (defaults/main.yml) is not in the spec"
        option = options[name]
        if option.get("required"):
            # Required: its "default" only makes the role fail with a hint where it is used.
            assert "default" not in option and "undef(hint=" in value, name
        else:
            assert "default" in option, f"{role}: ansible-doc would show {name} as null"
            assert option["default"] == value, name
    for name, option in options.items():
        if "default" in option:
            assert name in defaults, f"{role}: {name} has a spec default but no role default"


@pytest.mark.parametrize("role", sorted(path.name for path in ROLES.iterdir()))
def test_ansible_doc_shows_each_role_default(role):
    """What `ansible-doc -t role` reads: every variable of defaults/main.yml with its value
    (a null default is what ansible-doc prints for an option without one), or required."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
           "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".cache" / "collections")}
    shown = json.loads(subprocess.run(
        [Path(sys.executable).parent / "ansible-doc", "-t", "role", "--json",
         f"jampy.deploy.{role}"], check=True, capture_output=True, text=True, env=env,
        cwd=REPO).stdout)[f"jampy.deploy.{role}"]["entry_points"]["main"]["options"]
    for name, value in load(ROLES / role / "defaults" / "main.yml").items():
        if shown[name].get("required"):
            continue
        assert shown[name].get("default") == value, name
