"""The Builder's Export, made deterministic: metadata + project files → a zip.

Same metadata and files give a byte-identical zip (see ``write.write_archive``), so a
re-run finds the existing zip and changes nothing.
"""
import datetime
import glob
import os
import tempfile
from dataclasses import dataclass, field

from ..errors import JamDeployError
from .contents import FOLDERS, TOP_LEVEL_EXTENSIONS
from .read import sha256_file
from .validate import validate_metadata
from .write import write_archive


@dataclass
class ExportResult:
    """Where the zip is, its digest and size, whether it changed, and what it holds."""
    dest: str
    sha256: str
    changed: bool
    size: int
    counts: dict
    files: list
    warnings: list = field(default_factory=list)


def project_files(root):
    """(archive path, absolute path) of every file Jam.py's Export would include.

    Only regular files are taken: a symbolic link could pull in content from outside
    the project, so it is skipped with a warning.
    """
    root = str(root)
    found, warnings = [], []

    def take(path, arcname):
        if os.path.islink(path):
            warnings.append(f"skipped symbolic link {arcname}")
        elif os.path.isfile(path):
            found.append((arcname, path))

    for name in sorted(os.listdir(root)):
        if os.path.splitext(name)[1] in TOP_LEVEL_EXTENSIONS:
            take(os.path.join(root, name), name)
    for folder, excluded in FOLDERS:
        base = os.path.join(root, *folder.split("/"))
        if os.path.islink(base):
            warnings.append(f"skipped symbolic link {folder}")
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            for d in [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                warnings.append(f"skipped symbolic link {_arcname(root, dirpath, d)}")
            for name in filenames:
                if os.path.splitext(name)[1] not in excluded:
                    take(os.path.join(dirpath, name), _arcname(root, dirpath, name))
    return sorted(found), warnings


def _arcname(root, dirpath, name):
    return os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


def file_name_prefix(project, metadata):
    """Jam.py's name for an export: <task item name>_<project version>_<Jam.py version>_."""
    task = metadata.task_item() or {}
    parameters = project.parameters()
    return f"{task.get('f_item_name') or ''}_{parameters['version']}_{parameters['jam_version']}_"


def export_project(project, dest, force=True, check_mode=False, now=None):
    """Export ``project`` to ``dest`` (a zip path, or a folder for Jam.py's file name).

    An identical zip already there means no change; a different one is replaced only with
    ``force``, atomically; check mode writes nothing. Returns an ``ExportResult``.
    """
    metadata = project.metadata()
    validate_metadata(metadata, what=f"the project {project.path}")
    files, warnings = project_files(project.path)
    dest = os.path.abspath(os.path.expanduser(str(dest)))
    to_folder = os.path.isdir(dest)
    folder = dest if to_folder else os.path.dirname(dest)
    if not os.path.isdir(folder):
        raise JamDeployError(f"the folder {folder} for dest does not exist; create it first "
                             "or give an existing folder as dest")
    handle, tmp = tempfile.mkstemp(prefix=".jam_export-", suffix=".zip",
                                   dir=None if check_mode else folder)
    try:
        with os.fdopen(handle, "wb") as out:
            write_archive(out, metadata, files)
        sha = sha256_file(tmp)
        size = os.path.getsize(tmp)
        if to_folder:
            prefix = file_name_prefix(project, metadata)
            same = [p for p in sorted(glob.glob(os.path.join(glob.escape(dest), prefix + "*.zip")))
                    if sha256_file(p) == sha]
            changed = not same
            stamp = (now or datetime.datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
            dest = same[0] if same else os.path.join(dest, f"{prefix}{stamp}.zip")
        elif os.path.exists(dest):
            changed = sha256_file(dest) != sha and force
            if not force and sha256_file(dest) != sha:
                warnings.append(f"{dest} exists with other content and force is false: kept it")
        else:
            changed = True
        if changed and not check_mode:
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return ExportResult(dest, sha, changed, size, metadata.counts(), [arcname for arcname, path in files],
                        warnings)
