"""Finishing an import that was interrupted (the process killed, the host down), and ending
the maintenance an interrupted data refresh left.

Run under the import lock by the next import or data refresh, or by jam_params'
reset_maintenance. The journal names the phase the import reached; the database is
observed where the phase cannot tell. The result is always either the state before the
import (rolled back) or the state after it (rolled forward), never a mix, and the
maintenance flag is off.
"""
import datetime
import os
import shutil
import tempfile

from ..archive.read import read_archive
from ..db.registry import dialect_for
from ..jam import journal, protocol
from ..jam.import_log import ImportLog
from ..jam.project import Project
from ..schema.compare import differences
from ..schema.derive import schema_from_metadata
from ..schema.reflect import reflect_schema
from . import deferred, omissions
from .importer import Importer, ImportOptions
from .incoming import prepare


def recover(project, engine_factory, report=lambda line: None):
    """Repair what an interrupted import or data refresh left in ``project``; returns
    readable lines (empty: nothing was left)."""
    lines = []
    if journal.refresh_interrupted(project.path):
        protocol.maintenance_off(project.path, project.admin_path, success=False)
        journal.RefreshJournal(project.path).end()
        report("an interrupted data refresh had left maintenance on: turned off")
        lines.append("an interrupted data refresh had left maintenance on: turned off; run "
                     "the refresh again to finish the copy")
    entry = journal.read(project.path)
    if entry is None:
        return lines
    phase = entry.get("phase")
    backup = project.path / "_admin.sqlite"
    report(f"an import interrupted in phase {phase!r} (pid {entry.get('pid')}) is finished")
    if phase == "contract":
        done = _drop_deferred(project, entry, engine_factory)
    elif phase in journal.PHASES[:3] or not os.path.exists(entry["archive_copy"]):
        done = _roll_back(project, backup, entry)
    elif _database_is_new(project, backup, entry, engine_factory):
        done = _roll_forward(project, backup, entry, engine_factory, report)
    else:
        done = _roll_back(project, backup, entry)
    journal.ImportJournal(project.path).end()
    return lines + done


def _roll_back(project, backup, entry):
    """Nothing was committed in the database: admin.sqlite as it was, maintenance off."""
    lines = []
    if backup.exists():
        os.replace(backup, project.admin_path)
        lines.append("admin.sqlite restored from _admin.sqlite")
    protocol.maintenance_off(project.path, project.admin_path, success=False)
    lines.append("maintenance off")
    if not dialect_for(entry.get("db_type")).transactional_ddl and \
            entry.get("phase") != "maintenance":
        lines.append("the database may hold part of the interrupted changes (it cannot roll "
                     "back schema changes): compare it with jam_import's drift report and "
                     "restore the tables from the backups/ folder if needed")
    _log(project, "failed", ["The import was interrupted and has been rolled back."] + lines)
    return ["rolled back"] + lines


def _metadata_before(project, backup):
    """The metadata the interrupted import started from (_admin.sqlite when it is there)."""
    if not backup.exists():
        return project.metadata(for_import=True)
    folder = tempfile.mkdtemp(prefix="jampy-recovery-")
    try:
        shutil.copyfile(backup, os.path.join(folder, "admin.sqlite"))
        return Project(folder).metadata(for_import=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _database_is_new(project, backup, entry, engine_factory):
    """Whether the database committed: its live schema is the one the archive asks for,
    Jam.py's known omissions (tables the import did not rebuild keep them) and the drops a
    7.x import left for later apart."""
    if entry["phase"] == "files":
        return True  # journaled after the commit
    db_type = project.connection()["db_type"]
    archived = read_archive(entry["archive_copy"]).metadata
    desired = prepare(archived, _metadata_before(project, backup), db_type)
    engine = engine_factory(project.connection())
    try:
        with engine.connect() as conn:
            live = reflect_schema(conn, db_type)
    finally:
        engine.dispose()
    pending = entry.get("deferred") or []
    found = [d for d in differences(schema_from_metadata(desired, db_type), live)
             if not deferred.pending(d, pending)]
    return not omissions.recognise(found, omissions.Context.of(
        desired, dialect_for(db_type), project.path))[1]


def _roll_forward(project, backup, entry, engine_factory, report):
    """The database has the new schema: bring admin.sqlite and the files to the archive
    (an import without schema changes), maintenance off with the version bumps."""
    if backup.exists():
        os.remove(backup)  # never to be restored now: admin.sqlite follows the database
    finisher = Importer(Project(project.path), entry["archive_copy"],
                        # the database holds the new items already, retyped ones included
                        ImportOptions(import_delay=0, schema=False, replace_retyped_items=True),
                        engine_factory, report)
    if not finisher.run().changed:  # admin.sqlite and files were already there
        protocol.maintenance_off(project.path, project.admin_path, success=True)
    return ["rolled forward: the database had committed; admin.sqlite and files completed"
            ] + _drop_deferred(project, entry, engine_factory)


def _drop_deferred(project, entry, engine_factory):
    """The drops an import on Jam.py 7.x left until processes had the new metadata (those
    already done are not in the database any more)."""
    entries = entry.get("deferred") or []
    if not entries:
        return []
    engine = engine_factory(project.connection())
    try:
        with engine.begin() as conn:
            live = reflect_schema(conn, entry["db_type"])
            left = [e for e in entries if deferred.still_there(e, live)]
            deferred.drop(conn, left)
    finally:
        engine.dispose()
    return [f"deferred drops done: {', '.join(e['describe'] for e in left) or 'none left'}"]


def _log(project, result, lines):
    log = ImportLog(project.path, project.parameters()["language"])
    for line in lines:
        log.error(line)
    log.write(result, datetime.datetime.now())
