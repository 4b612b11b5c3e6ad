"""Warnings told apart by origin (tests/harness/tool_warnings.py)."""
import pytest

from tests.harness import tool_warnings
from tests.harness.tool_warnings import REPO

THIRD_PARTY = ("/opt/venv/lib/python3.11/site-packages/ansible/_internal/_ssh/_ssh_agent.py:18: "
               "CryptographyDeprecationWarning: DSA is deprecated\n"
               "  from cryptography.hazmat.primitives.asymmetric.dsa import (\n")
OURS_ANSIBALLZ = ("/tmp/ansible_jam_import_payload_x/ansible_jam_import_payload.zip/ansible_collections/"
                  "jampy/deploy/plugins/module_utils/engine/plan.py:12: DeprecationWarning: old\n")
OURS_CHECKOUT = f"{REPO}/tests/harness/server.py:3: ResourceWarning: unclosed file\n"
pytestmark = pytest.mark.unit
IN_OUR_VENV = f"{REPO}/.venv/lib/python3.11/site-packages/x.py:3: DeprecationWarning: x\n"


def test_third_party_warnings_are_reported_not_failed():
    assert tool_warnings.assert_none_of_ours(THIRD_PARTY + IN_OUR_VENV) == [
        THIRD_PARTY.splitlines()[0], IN_OUR_VENV.strip()]


@pytest.mark.parametrize("output", [OURS_ANSIBALLZ, OURS_CHECKOUT,
                                    "[DEPRECATION WARNING]: INJECT_FACTS_AS_VARS default ...\n",
                                    "[WARNING]: Module did not set no_log for password\n"])
def test_warnings_of_ours_fail(output):
    with pytest.raises(AssertionError, match="warnings from jampy.deploy"):
        tool_warnings.assert_none_of_ours(THIRD_PARTY + output)


def test_stderr_without_warnings_keeps_everything_else():
    assert tool_warnings.without_warnings(THIRD_PARTY + "ERROR: real trouble\n") == "ERROR: real trouble"
