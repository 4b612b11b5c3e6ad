"""Backups taken before an import into a database whose DDL cannot be rolled back: the
tables the plan changes, dumped by the dialect, and admin.sqlite, in
``<project>/backups/import_<time>/``."""
import datetime
import os

from ..files import copy_like, make_dirs


def backup_folder(project_path, now):
    """A new private folder for the backups of an import started at ``now``."""
    folder = os.path.join(str(project_path), "backups", f"import_{now:%Y-%m-%d_%H-%M-%S}")
    make_dirs(folder, project_path, mode=0o700)
    return folder


def back_up(project, dialect, tables):
    """Dump ``tables`` of the project database and copy admin.sqlite; returns the folder,
    the tables and the command that restores them."""
    folder = backup_folder(project.path, datetime.datetime.now())
    copy_like(project.admin_path, os.path.join(folder, "admin.sqlite"))
    connection = project.connection()
    dump = os.path.join(folder, f"{connection['database']}.sql")
    restore = dialect.dump_tables(connection, tables, dump)
    return {"folder": folder, "tables": tables, "restore": restore}
