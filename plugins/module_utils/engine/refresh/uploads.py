"""The files behind file and image fields after a data refresh.

Jam.py keeps uploads in the project's ``static/files/``; an image field holds the file's
name, a file field ``<stored name>?<name shown to the user>``. After the rows are copied,
the files they name are, per ``mode``:

* ``copy`` - copied from the source project's ``static/files/`` (a file already there with
  the same content is left alone);
* ``placeholder`` - a missing file becomes a stand-in (a transparent 1x1 PNG for images, a
  short text for other files), so pages show no broken links and no production document
  reaches the test system;
* ``none`` - nothing is done.

Names are read from the target database and trusted only as plain file names: a name
with a path in it is refused and counted, never followed.
"""
import base64
import filecmp
import os
from dataclasses import dataclass

from ..db.quoting import q
from ..errors import JamDeployError
from ..files import copy_file, replace_file
from ..jam import defs as j

MODES = ("none", "copy", "placeholder")
FOLDER = os.path.join("static", "files")
PLACEHOLDER_IMAGE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
PLACEHOLDER_TEXT = b"This file was not copied from production.\n"


@dataclass
class FilesResult:
    """How the files the copied rows name were dealt with."""
    referenced: int = 0
    copied: int = 0
    placeholders: int = 0
    unchanged: int = 0
    missing_in_source: int = 0
    refused_names: int = 0

    @property
    def changed(self):
        """Whether a file was written."""
        return bool(self.copied or self.placeholders)


def stored_name(value, data_type):
    """The file name under static/files/ that a field value refers to."""
    return value.split("?", 1)[0] if data_type == j.FILE else value


def _plain(name):
    return bool(name) and name not in (".", "..") and os.path.basename(name) == name \
        and "\\" not in name and "\0" not in name


def referenced_files(plan, engine, side="target"):
    """{file name: data type} of the file and image values in the copied tables, read
    from the target after a copy or from the source before one (check mode; masked
    columns then left out, their values are not the source's)."""
    from sqlalchemy import column, select, table

    names = {}
    with engine.connect() as conn:
        for copy in plan.tables:
            for column_name, data_type in copy.files.items():
                if side == "source":
                    if column_name in copy.masks:
                        continue
                    name, table_name = copy.source_column(column_name), copy.source_table
                else:
                    name, table_name = column_name, copy.target_table
                query = select(column(q(name))).distinct().select_from(
                    table(q(table_name))).where(column(q(name)).isnot(None))
                for (value,) in conn.execute(query):
                    if value:
                        names.setdefault(stored_name(str(value), data_type), data_type)
    return names


def sync_files(names, source_project, target_project, mode, check_mode=False):
    """Bring the target's static/files/ in line with the names, per ``mode``."""
    result = FilesResult(referenced=len(names))
    if mode == "none":
        return result
    source_dir = os.path.join(str(source_project), FOLDER)
    if mode == "copy" and names and not os.path.isdir(source_dir):
        raise JamDeployError(f"files=copy: {source_dir} does not exist; bring the production "
                             "project's static/files along with its admin.sqlite, or use "
                             "files=placeholder")
    target_dir = os.path.join(str(target_project), FOLDER)
    for name, data_type in sorted(names.items()):
        if not _plain(name):
            result.refused_names += 1
            continue
        target = os.path.join(target_dir, name)
        if mode == "copy":
            source = os.path.join(source_dir, name)
            if not os.path.isfile(source) or os.path.islink(source):
                result.missing_in_source += 1
            elif os.path.isfile(target) and filecmp.cmp(source, target, shallow=False):
                result.unchanged += 1
            else:
                result.copied += 1
                if not check_mode:
                    copy_file(source, target, target_project)
        elif os.path.exists(target):
            result.unchanged += 1
        else:
            result.placeholders += 1
            if not check_mode:
                body = PLACEHOLDER_IMAGE if data_type == j.IMAGE else PLACEHOLDER_TEXT
                replace_file(target, lambda out, data=body: out.write(data), target_project)
    return result
