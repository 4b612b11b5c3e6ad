"""Writing metadata archives deterministically: the same metadata and files give the same
bytes (Jam.py's Export writes entries without folders; a fixed time and mode are added)."""
import json
import shutil
import stat
import zipfile

from .contents import CHUNK, TASK_DAT

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = (stat.S_IFREG | 0o644) << 16


def write_archive(target, metadata, files):
    """Write a deterministic archive to the open binary file ``target``.

    ``files`` is a list of (archive path, source path). task.dat comes first, as in
    Jam.py's Export, then the files sorted by archive path.
    """
    task_dat = json.dumps(metadata.to_task_data()).encode("ascii")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        with zf.open(_entry(TASK_DAT), "w") as dst:
            dst.write(task_dat)
        for arcname, source in sorted(files):
            with open(source, "rb") as src, zf.open(_entry(arcname), "w") as dst:
                shutil.copyfileobj(src, dst, CHUNK)


def _entry(arcname):
    info = zipfile.ZipInfo(arcname, date_time=_FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = _FILE_MODE
    return info
