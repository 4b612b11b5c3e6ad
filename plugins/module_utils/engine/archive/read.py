"""Reading metadata archives (the Builder's Export zip) safely.

Every member is validated before anything is extracted, and extraction goes only into a
directory the caller just created; a refused archive raises ``ArchiveError`` naming the
member or field, and nothing is written anywhere.
"""
import hashlib
import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field

from ..errors import ArchiveError
from ..jam import defs
from ..jam.layouts import LAYOUTS, detect, export_fields
from ..jam.metadata import AdminTable, Metadata
from .contents import CHUNK, TASK_DAT, exported


@dataclass(frozen=True)
class Limits:
    """Upper bounds that stop zip bombs and runaway archives (sizes uncompressed)."""

    max_members: int = 20000
    max_member_size: int = 256 * 1024 * 1024
    max_total_size: int = 1024 * 1024 * 1024
    max_task_dat_size: int = 256 * 1024 * 1024


# --- value checks for task.dat ---------------------------------------------------------
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_INTEGER_FIELDS = frozenset({
    "id", "deleted", "parent", "task_id", "type_id", "table_id", "owner_id", "owner_rec_id",
    "f_data_type", "f_primary_key", "f_master_id", "f_master_rec_id", "f_deleted_flag",
    "f_record_version", "f_object", "f_object_field", "f_object_field1", "f_object_field2",
    "f_master_field", "f_foreign_field", "item_id", "f_field", "f_lookup_values",
})
_IDENTIFIER_FIELDS = frozenset({"f_table_name", "f_db_field_name", "f_index_name",
                                "f_gen_name", "f_item_name", "f_field_name", "f_param_name"})
# Names end up quoted in SQL and in file names: no quotes, separators or control chars.
_UNSAFE_IDENTIFIER = re.compile(r"[\"'`;\\\x00-\x1f\x7f]")
_MAX_IDENTIFIER = 128


@dataclass
class Archive:
    """A validated archive: its metadata and the project files it carries."""

    path: str
    sha256: str
    metadata: Metadata
    files: list  # archive paths of project files, sorted
    warnings: list = field(default_factory=list)
    limits: Limits = Limits()

    def extract_files(self, dest):
        """Write the project files into ``dest``, a fresh empty directory of the caller."""
        dest = os.path.realpath(dest)
        if os.listdir(dest):
            raise ArchiveError(f"refusing to extract into {dest}: the directory is not empty")
        total = 0
        with _open_zip(self.path) as zf:
            for name in self.files:
                target = os.path.join(dest, *name.split("/"))
                if os.path.commonpath([dest, os.path.realpath(target)]) != dest:
                    raise ArchiveError(f"archive member {name!r} would be written outside {dest}")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with zf.open(name) as src, open(target, "xb") as out:
                    total += _copy_limited(src, out, name, self.limits, total)
        return dest


def _copy_limited(src, out, name, limits, total_before):
    written = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            return written
        written += len(chunk)
        if written > limits.max_member_size:
            raise ArchiveError(f"archive member {name!r} expands beyond "
                               f"{limits.max_member_size} bytes (max_member_size)")
        if total_before + written > limits.max_total_size:
            raise ArchiveError(f"archive expands beyond {limits.max_total_size} bytes "
                               "in total (max_total_size)")
        out.write(chunk)


def _open_zip(path):
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ArchiveError(f"archive {path} does not exist") from None
    except IsADirectoryError:
        raise ArchiveError(f"archive {path} is a directory, not a zip file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"{path} is not a readable zip archive ({exc})") from None


def sha256_file(path):
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_member(info, seen, limits):
    name = info.filename
    if not name or "\x00" in name:
        raise ArchiveError(f"archive member {name!r} has an empty or invalid name")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise ArchiveError(f"archive member {name!r} has an absolute path")
    if "\\" in name:
        raise ArchiveError(f"archive member {name!r} contains a backslash")
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        raise ArchiveError(f"archive member {name!r} climbs out of the project with '..'")
    if any(p in ("", ".") for p in parts):
        raise ArchiveError(f"archive member {name!r} has an empty or '.' path component")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"archive member {name!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ArchiveError(f"archive member {name!r} uses an unsupported compression "
                           f"method ({info.compress_type}); Jam.py writes deflate")
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_IFMT(mode) and not (
            stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a special file"
        raise ArchiveError(f"archive member {name!r} is {kind}; only regular files are accepted")
    key = "/".join(parts)
    if key in seen:
        raise ArchiveError(f"archive member {name!r} appears more than once")
    if info.file_size > limits.max_member_size:
        raise ArchiveError(f"archive member {name!r} is {info.file_size} bytes, above "
                           f"max_member_size ({limits.max_member_size})")
    seen.add(key)
    return key


def read_archive(path, limits=Limits()):
    """Validate the archive at ``path`` and load its metadata; nothing is extracted."""
    path = str(path)
    with _open_zip(path) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise ArchiveError(f"archive has {len(infos)} members, above max_members "
                               f"({limits.max_members})")
        seen, dirs, files, total = set(), set(), [], 0
        for info in infos:
            key = _check_member(info, seen, limits)
            if info.is_dir():
                dirs.add(key)
                continue
            total += info.file_size
            if total > limits.max_total_size:
                raise ArchiveError(f"archive expands to more than {limits.max_total_size} "
                                   "bytes (max_total_size)")
            files.append(key)
        _check_paths_nest(files, dirs)
        if TASK_DAT not in files:
            raise ArchiveError(f"{path} has no task.dat: it is not a Jam.py metadata export")
        project_files = sorted(f for f in files if f != TASK_DAT)
        for name in project_files:
            if not exported(name):
                raise ArchiveError(
                    f"archive member {name!r} is outside what a Jam.py export contains "
                    "(task.dat, top-level .html/.js, js/, css/, static/img|js|css|fonts|builder/, "
                    "utils/, reports/)")
        raw = _read_member(zf, TASK_DAT, limits.max_task_dat_size)
    data = _parse_task_dat(raw)
    metadata, warnings = metadata_from_task_data(data)
    return Archive(path, sha256_file(path), metadata, project_files, warnings, limits)


def _check_paths_nest(files, dirs):
    # A file whose path is also a folder of another member cannot be extracted.
    prefixes = set(dirs)
    for name in files:
        parts = name.split("/")
        prefixes.update("/".join(parts[:i]) for i in range(1, len(parts)))
    for name in files:
        if name in prefixes:
            raise ArchiveError(f"archive member {name!r} is both a file and a folder")


def _read_member(zf, name, limit):
    with zf.open(name) as src:
        data = src.read(limit + 1)
    if len(data) > limit:
        raise ArchiveError(f"{name} expands beyond {limit} bytes (max_task_dat_size)")
    return data


def _parse_task_dat(raw):
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"task.dat is not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"task.dat is not valid JSON: {exc.msg} at line {exc.lineno} "
                           f"column {exc.colno}") from None
    except RecursionError:
        raise ArchiveError("task.dat is nested too deeply to be Jam.py metadata") from None
    if not isinstance(data, dict):
        raise ArchiveError(f"task.dat must hold a JSON object, not {type(data).__name__}")
    return data


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def metadata_from_task_data(data):
    """Build Metadata from a parsed task.dat, refusing anything Jam.py could not have written."""
    db_type = data.get("db_type")
    if not _is_int(db_type) or db_type not in defs.DB_TYPE_NAMES:
        raise ArchiveError(f"task.dat db_type {db_type!r} is not a Jam.py database type "
                           f"({', '.join(f'{k}={v}' for k, v in defs.DB_TYPE_NAMES.items())})")
    sys_items = data.get("sys_items")
    item_fields = sys_items.get("fields") if isinstance(sys_items, dict) else None
    layout = LAYOUTS[detect(data, item_fields if isinstance(item_fields, list) else [])]
    known_fields = export_fields(layout.name)
    tables = {}
    for name in layout.metadata_tables:
        if name not in data:
            raise ArchiveError(f"task.dat has no {name!r} entry; an import would delete "
                               f"every {name} row of the project")
        tables[name] = _table_from_entry(name, data[name], known_fields[name])
    known = {"db_type", *layout.metadata_tables}
    warnings = [f"task.dat entry {key!r} is not Jam.py metadata and is ignored"
                for key in data if key not in known]
    return Metadata(db_type, layout.name, tables), warnings


def _table_from_entry(name, entry, known_fields):
    if not isinstance(entry, dict):
        raise ArchiveError(f"task.dat {name} must be an object with 'fields' and 'records'")
    fields, records = entry.get("fields"), entry.get("records")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise ArchiveError(f"task.dat {name}.fields must be a list of field names")
    if not isinstance(records, list):
        raise ArchiveError(f"task.dat {name}.records must be a list of rows")
    for f in fields:
        if not _FIELD_NAME.match(f):
            raise ArchiveError(f"task.dat {name}.fields has an invalid field name {f[:80]!r}")
    if len(set(fields)) != len(fields):
        raise ArchiveError(f"task.dat {name}.fields names a field more than once")
    if "id" not in fields:
        raise ArchiveError(f"task.dat {name}.fields has no 'id' field")
    # Jam.py keeps only the fields its admin item knows; extras in a row are lookup texts.
    kept = [(i, f) for i, f in enumerate(fields) if f in known_fields]
    for n, record in enumerate(records):
        if not isinstance(record, list) or len(record) < len(fields):
            raise ArchiveError(f"task.dat {name}.records[{n}] must be a list of at least "
                               f"{len(fields)} values")
    columns = {f: [record[i] for record in records] for i, f in kept}
    for field_name, values in columns.items():
        _check_column(name, field_name, values)
    rows = {}
    for n, values in enumerate(zip(*columns.values())):
        row = dict(zip(columns, values))
        row_id = row["id"]
        if not _is_int(row_id):
            raise ArchiveError(f"task.dat {name}.records[{n}] has a non-integer id {row_id!r}")
        if row_id in rows:
            raise ArchiveError(f"task.dat {name} has two records with id {row_id}")
        rows[row_id] = row
    return AdminTable(name, list(columns), rows)


_SCALARS = (str, int, float, bool)


def _check_column(table, field_name, values):
    """Every value of one field must be of the kind Jam.py stores there (one pass)."""
    integer = field_name in _INTEGER_FIELDS
    identifier = field_name in _IDENTIFIER_FIELDS

    def refuse(n, problem):
        raise ArchiveError(f"task.dat {table}.records[{n}].{field_name} {problem}")

    for n, value in enumerate(values):
        if value is None:
            continue
        kind = type(value)
        if kind not in _SCALARS:
            refuse(n, f"must be a string, number or null, not {kind.__name__}")
        if integer and kind is not int and not (kind is bool and field_name == "deleted"):
            refuse(n, f"must be an integer, not {value!r:.80}")
        if identifier:
            if kind is not str:
                refuse(n, f"must be a string, not {value!r:.80}")
            if len(value) > _MAX_IDENTIFIER or _UNSAFE_IDENTIFIER.search(value):
                refuse(n, f"is not a safe database identifier: {value!r:.80}")
