"""What every jampy.deploy module shares: the options every module takes, the check of the
optional libraries, and the engine's errors as clean module failures."""
import sys
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.jampy.deploy.plugins.module_utils.engine import requirements
from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import JamDeployError


def project_argument_spec(**options):
    """The argument spec of a module: the options all modules share (documented by the
    ``jampy.deploy.project`` doc fragment) plus the module's own ``options``."""
    spec = dict(project_path=dict(type="path", required=True))
    spec.update(options)
    return spec


def require_libraries(module, *modules):
    """Fail the module, naming the interpreter, when a library the engine needs (all, or
    the named modules) cannot be imported on the target."""
    absent = requirements.missing(*modules)
    if absent:
        module.fail_json(msg=missing_required_lib(" and ".join(absent)))


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
