"""What every jampy.deploy module shares: the engine's errors as clean module failures."""
import sys
import traceback

from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError


def run_or_fail(module, action, details=None):
    """Run ``action()``; an engine error fails the module with its message (no traceback
    noise) plus ``details(exc)`` when given, anything unexpected fails with the traceback
    for a bug report."""
    try:
        return action()
    except JamDeployError as exc:
        module.fail_json(msg=str(exc), **(details(exc) if details else {}))
    except Exception as exc:  # a bug: keep the traceback for the report
        module.fail_json(msg=f"unexpected error in {module._name} on {sys.executable}: {exc}",
                         exception=traceback.format_exc())
