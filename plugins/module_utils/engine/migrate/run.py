"""The one way in to an import: the project's import lock, then what an interrupted import
or data refresh left is finished (``recovery``), then the import (``importer``)."""
import os
from contextlib import ExitStack

from ..db.connect import create_engine
from ..db.registry import supported_dialect
from ..jam.locks import METADATA_IMPORT, project_lock
from ..jam.project import Project
from .importer import Clock, Importer, ImportOptions
from .recovery import recover


def run_import(project_path, archive_path, options=None, engine_factory=create_engine,
               check_mode=False, report=None, on_imported=None):
    """Import the archive at ``archive_path`` into the project at ``project_path`` with
    ``options`` (``ImportOptions``); returns the ``ImportResult``.

    Check mode plans and checks without the lock and changes nothing, not even a recovery;
    a real run waits for the lock (``options.lock_timeout``) and recovers first, and calls
    ``on_imported(result)`` still holding the lock when the import changed something. Raises
    JamDeployError (``ImportFailed`` once something was attempted) with what to do.
    """
    options = options or ImportOptions()
    report = report or (lambda line: None)
    db_type = Project(project_path).connection()["db_type"]
    if db_type is not None:  # an incomplete project is refused by the import itself
        supported_dialect(db_type, "importing into")
    if check_mode:
        return Importer(Project(project_path), archive_path, options, engine_factory,
                        report).run(check_mode=True)
    project, seconds = Project(project_path), {}
    with ExitStack() as stack:
        with Clock(seconds).phase("lock"):
            stack.enter_context(project_lock(
                project.path, METADATA_IMPORT, options.lock_timeout,
                on_wait=lambda path: report(f"waiting for {path}"),
                note=f"importing {os.path.basename(str(archive_path))}"))
        recovered = recover(project, engine_factory, report)
        # Recovery may have put admin.sqlite back: the import reads the project anew.
        importer = Importer(Project(project_path), archive_path, options, engine_factory,
                            report)
        importer.result.seconds.update(seconds)
        importer.result.recovered = recovered
        result = importer.run()
        if result.changed and on_imported:
            on_imported(result)
        return result
