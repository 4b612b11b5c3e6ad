"""A read-only report on a project: what ``jam_info`` returns."""
from ..db.registry import supported_dialect
from ..jam import journal, params
from ..jam.import_log import newest_import_log
from ..migrate import omissions
from ..migrate.guards import drift
from ..schema.derive import schema_from_metadata
from . import accounts


def _interrupted(project):
    """An import's journal left behind (its process died); the next import or jam_params'
    reset_maintenance finishes it."""
    entry = journal.read(project.path)
    if entry is None:
        return None
    return {k: entry.get(k) for k in ("phase", "pid", "host", "started", "archive")}


def project_info(project, include_log_text=False):
    """What jam_info reports on ``project``: layout, versions, connection (no secrets),
    parameters, metadata fingerprint and counts, accounts with template passwords,
    interrupted work, the last import's log."""
    metadata = project.metadata()
    parameters = project.parameters()
    task = metadata.task_item() or {}
    last_log = newest_import_log(project.path)
    if last_log and not include_log_text:
        last_log.pop("text")
    return {
        "project_path": str(project.path),
        "layout": metadata.layout,
        "jam_version": parameters["jam_version"],
        "completed": project.completed,
        "task": {"name": task.get("f_name"), "item_name": task.get("f_item_name")},
        "connection": project.connection().public(),
        "parameters": {k: v for k, v in parameters.items() if params.PARAMETERS[k][1]},
        "production_file": project.production_file(),
        "build_version": parameters["build_version"],
        "params_version": parameters["params_version"],
        "modification": parameters["modification"],
        "maintenance": parameters["maintenance"],
        "fingerprint": metadata.fingerprint(),
        "counts": metadata.counts(),
        "expected_tables": metadata.expected_tables(),
        "migration_pending": project.migration_files(),
        "admin_backup_present": (project.path / "_admin.sqlite").exists(),
        "template_password_accounts": accounts.template_password_accounts(project),
        # Without a key Jam.py signs session cookies with an empty one: anyone can forge them.
        "secret_key_set": bool(project.raw_params().get("f_secret_key")),
        "interrupted_import": _interrupted(project),
        "last_import": last_log,
    }


def project_drift(project, engine_factory):
    """(drift, omissions): the differences between the live database and what the
    project's metadata describes, as sentences - Jam.py's known omissions apart."""
    connection = project.connection()
    dialect = supported_dialect(connection["db_type"], "checking the live schema of")
    metadata = project.metadata()
    engine = engine_factory(connection)
    try:
        with engine.connect() as conn:
            found = drift(conn, dialect, schema_from_metadata(metadata))
    finally:
        engine.dispose()
    known, found = omissions.recognise(found, omissions.Context.of(metadata, dialect, project.path))
    return [str(d) for d in found], [str(o) for o in known]
