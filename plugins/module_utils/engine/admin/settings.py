"""Setting project parameters (jam_params): Jam.py's Parameters dialog, headless.

The values go to SYS_PARAMS with a PARAMS_VERSION bump and a new build-id marker, so
every running Jam.py process re-reads them at its next /api request, as after a save in
the Builder. In 7.0 production is a file in the project folder instead, ``builder.html`` or
the name ``jam-secure-project.py`` gave it (read once per process: a restart applies it).
"""
from ..db.connect import create_engine
from ..errors import JamDeployError
from ..files import write_text
from ..jam import journal, params, protocol
from ..jam.layouts import LAYOUTS
from ..jam.locks import METADATA_IMPORT, LockTimeout, project_lock
from ..migrate.recovery import recover


def plan_settings(project, desired, reset_maintenance=False):
    """{name: (current, new)} for what would change (maintenance only when asked; an
    interrupted import's journal counts as a maintenance to end)."""
    current = project.parameters()
    changes = params.parameter_changes(current, desired, project.layout)
    if reset_maintenance and (current["maintenance"] or journal.read(project.path)):
        changes["maintenance"] = (current["maintenance"], False)
    return changes


def apply_settings(project, changes):
    """Write ``changes`` (from ``plan_settings``); returns the new version counters. Ending
    maintenance first finishes an interrupted import (see ``recovery``)."""
    if "maintenance" in changes:
        _check_no_import_running(project)
        if journal.read(project.path) or journal.refresh_interrupted(project.path):
            recover(project, create_engine)
            changes = dict(changes)
            del changes["maintenance"]
    layout, marker = LAYOUTS[project.layout], project.production_file()
    columns = {}
    for name, (old, new) in changes.items():
        if name == "production" and marker:
            _set_production_file(project, marker, layout.production_text, new)
        else:
            columns[params.column(name).upper()] = params.stored(name, new)
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


def _set_production_file(project, name, text, on):
    path = project.path / name
    if on:
        write_text(path, text, project.path)
    elif path.exists():
        path.unlink()
