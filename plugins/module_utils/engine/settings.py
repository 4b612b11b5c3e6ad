"""Setting project parameters (jam_params): Jam.py's Parameters dialog, headless.

The values go to SYS_PARAMS with a PARAMS_VERSION bump and a new build-id marker, so
every running Jam.py process re-reads them at its next /api request, as after a save in
the Builder. In 7.0 production is the ``builder.html`` file instead (read once per process:
a restart applies it).
"""
from . import jamdefs, params, protocol
from .errors import JamDeployError
from .files import write_text
from .locking import METADATA_IMPORT, LockTimeout, project_lock


def plan_settings(project, desired, reset_maintenance=False):
    """{name: (current, new)} for what would change (maintenance only when asked)."""
    current = project.parameters()
    changes = params.parameter_changes(current, desired)
    if reset_maintenance and current["maintenance"]:
        changes["maintenance"] = (True, False)
    return changes


def apply_settings(project, changes):
    """Write ``changes`` (from ``plan_settings``); returns the new version counters."""
    if "maintenance" in changes:
        _check_no_import_running(project)
    columns = {}
    for name, (old, new) in changes.items():
        if name == "production" and project.layout == jamdefs.LAYOUT_70:
            _set_production_file(project, new)
        else:
            columns[params.column(name).upper()] = params.stored(new)
    if not columns:
        return {}
    return protocol.write_settings(project.path, project.admin_path, columns)


def _check_no_import_running(project):
    """A set maintenance flag is only stuck when no import holds the import lock."""
    try:
        with project_lock(project.path, METADATA_IMPORT, timeout=0):
            pass
    except LockTimeout:
        raise JamDeployError(
            "an import is under way (it holds locks/$metadata_import.lock); the maintenance "
            "flag will be cleared when it ends - not resetting it") from None


def _set_production_file(project, on):
    path = project.path / params.PRODUCTION_FILE_70
    if on:
        write_text(path, params.PRODUCTION_TEXT_70, project.path)
    elif path.exists():
        path.unlink()
