"""The project files an archive carries, extracted into a private folder for an import:
which differ from the project's, and copying them in."""
import filecmp
import os
import shutil
import tempfile

from ..errors import JamDeployError
from ..files import copy_file


class IncomingFiles:
    """The files of ``archive`` (an ``archive.read.Archive``), extracted on creation;
    ``remove`` deletes the extracted copy."""

    def __init__(self, archive):
        self.archive = archive
        self.folder = tempfile.mkdtemp(prefix="jampy-import-")
        try:
            archive.extract_files(self.folder)
        except BaseException:
            self.remove()
            raise

    def _source(self, name):
        return os.path.join(self.folder, *name.split("/"))

    def changed(self, project_path, ignored=()):
        """Archive paths whose file is new or different in the project (``ignored`` left
        out); JamDeployError for a path that leads out of the project."""
        changes = []
        root = os.path.realpath(project_path)
        for name in self.archive.files:
            target = os.path.join(root, *name.split("/"))
            if os.path.commonpath([root, os.path.realpath(target)]) != root:
                raise JamDeployError(f"archive file {name} would be written outside the "
                                     f"project through a symbolic link in {root}")
            if name in ignored:
                continue
            if not (os.path.isfile(target) and filecmp.cmp(self._source(name), target,
                                                           shallow=False)):
                changes.append(name)
        return changes

    def copy(self, names, project_path, report):
        """Write the files ``names`` into the project, each owned like the project."""
        for name in names:
            report(f"file {name}")
            copy_file(self._source(name), os.path.join(str(project_path), *name.split("/")),
                      project_path)

    def remove(self):
        """Delete the extracted copy."""
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
