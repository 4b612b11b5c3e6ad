# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pack what jampy.deploy.jam_data needs of a production Jam.py project into one tar.gz,
without the production secrets. Run on the production host by the refresh role:

    source_snapshot.py PROJECT ARCHIVE [--export ZIP] [--uploads]

- admin.sqlite, copied with SQLite's backup API (consistent while Jam.py writes to it);
  in the copy the database password, the secret key and the accounts' passwords and
  sessions are set to NULL and the file is rebuilt, so no trace of them is left in free
  pages. jam_data takes the password from the playbook and never copies the rest.
- A SQLite project database, copied the same way as database.sqlite, the copy's
  connection pointing to it (the target host cannot reach the production file).
- --export: the project files of a jam_export zip (all but task.dat), which jam_data's
  metadata import then delivers with the metadata.
- --uploads: static/files, for jam_data's files=copy.

Prints a JSON summary. Standard library only (any Python 3.8+ on the production host).
"""
import argparse
import json
import os
import sqlite3
import stat
import sys
import tarfile
import zipfile
from contextlib import closing

SECRETS = {
    "SYS_TASKS": ("F_PASSWORD", "F_DSN"),
    "SYS_PARAMS": ("F_SECRET_KEY",),
    "SYS_USERS": ("F_PASSWORD", "F_PSW_HASH", "F_UUID"),
}
SQLITE = 1
DATABASE = "database.sqlite"
UPLOADS = os.path.join("static", "files")


def read_only(path):
    quoted = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return closing(sqlite3.connect(f"file:{quoted}?mode=ro", uri=True))


def snapshot(source, dest):
    """A consistent copy of a SQLite file, even while Jam.py writes to it."""
    with read_only(source) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
        # A WAL source gives a WAL copy: back to a single file.
        dst.execute("PRAGMA journal_mode=DELETE")


def strip_secrets(admin, database=None):
    """NULL the secrets in a copy of admin.sqlite; point its connection to ``database``.
    Returns the columns blanked, as TABLE.COLUMN."""
    blanked = []
    with closing(sqlite3.connect(admin)) as con:
        con.execute("PRAGMA secure_delete=ON")
        for table, columns in SECRETS.items():
            present = {row[1] for row in con.execute(f'PRAGMA table_info("{table}")')}
            for column in columns:
                if column in present:
                    con.execute(f'UPDATE "{table}" SET "{column}" = NULL')
                    blanked.append(f"{table}.{column}")
        if database:
            con.execute('UPDATE "SYS_TASKS" SET "F_ALIAS" = ?', (database,))
        con.commit()
        con.execute("VACUUM")
    return blanked


def sqlite_database(project, admin):
    """The path of the project's SQLite database, or None for a database server."""
    with read_only(admin) as con:
        row = con.execute('SELECT "F_DB_TYPE", "F_ALIAS" FROM "SYS_TASKS"').fetchone()
    if not row or row[0] != SQLITE or not row[1]:
        return None
    # Jam.py opens a relative name in the project folder (its working directory).
    return os.path.join(project, row[1])


def private(info):
    """Archive members readable by their owner only; links and devices are left out."""
    if not (info.isfile() or info.isdir()):
        return None
    info.mode = 0o700 if info.isdir() else 0o600
    return info


def add_export(tar, zip_path):
    """The project files of a jam_export zip (plain relative names only)."""
    count = 0
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.infolist():
            name = member.filename
            parts = name.split("/")
            if member.is_dir() or name == "task.dat":
                continue
            if name.startswith("/") or "\\" in name or ".." in parts or "" in parts:
                raise ValueError(f"unexpected name {name!r} in {zip_path}")
            info = tarfile.TarInfo(name)
            info.size, info.mode = member.file_size, 0o600
            with archive.open(member) as data:
                tar.addfile(info, data)
            count += 1
    return count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("project")
    parser.add_argument("archive")
    parser.add_argument("--export", help="a jam_export zip of the project")
    parser.add_argument("--uploads", action="store_true", help="add static/files")
    args = parser.parse_args(argv)

    os.umask(0o077)
    project = os.path.realpath(args.project)
    admin = os.path.join(project, "admin.sqlite")
    if not os.path.isfile(admin):
        parser.error(f"{admin} does not exist")
    work = os.path.dirname(os.path.abspath(args.archive))
    copies = {"admin.sqlite": os.path.join(work, "admin.sqlite")}
    summary = {"database_copied": False, "project_files": 0, "uploads": 0}
    try:
        database = sqlite_database(project, admin)
        if database:
            copies[DATABASE] = os.path.join(work, DATABASE)
            snapshot(database, copies[DATABASE])
            summary["database_copied"] = True
        snapshot(admin, copies["admin.sqlite"])
        summary["blanked"] = strip_secrets(copies["admin.sqlite"], DATABASE if database else None)
        with tarfile.open(args.archive, "w:gz") as tar:
            for name, path in copies.items():
                tar.add(path, arcname=name, filter=private)
            if args.export:
                summary["project_files"] = add_export(tar, args.export)
            uploads = os.path.join(project, UPLOADS)
            if args.uploads and os.path.isdir(uploads):
                for root, dirs, files in os.walk(uploads):
                    dirs.sort()
                    for name in sorted(files):
                        path = os.path.join(root, name)
                        if stat.S_ISREG(os.lstat(path).st_mode):
                            tar.add(path, arcname=os.path.relpath(path, project), filter=private)
                            summary["uploads"] += 1
    finally:
        for path in copies.values():
            if os.path.exists(path):
                os.remove(path)
    # The archive takes its folder's owner, the account Ansible connects as: fetch then
    # reads it without become, which would hold the whole file in memory.
    folder = os.stat(work)
    os.chown(args.archive, folder.st_uid, folder.st_gid)
    summary["size"] = os.path.getsize(args.archive)
    json.dump(summary, sys.stdout)


if __name__ == "__main__":
    main()
