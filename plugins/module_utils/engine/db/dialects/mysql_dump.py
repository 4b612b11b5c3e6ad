"""``mysqldump`` of tables, the password through a private option file (never in a
process's arguments)."""
import os
import shutil
import subprocess
import tempfile

from ...errors import JamDeployError

DUMP_PROGRAMS = ("mysqldump", "mariadb-dump")


def dump_program():
    """The dump program of the installed client; JamDeployError says what to install."""
    for name in DUMP_PROGRAMS:
        path = shutil.which(name)
        if path:
            return path
    raise JamDeployError(
        "a MySQL/MariaDB import that changes existing tables needs mysqldump to back them "
        "up first (it cannot be rolled back): install the client (apt install mariadb-client) "
        "or set backup to false")


def _credentials_file(connection):
    handle, path = tempfile.mkstemp(prefix="jampy-mysql-", suffix=".cnf")
    lines = ["[client]"]
    for key, option in (("user", "user"), ("password", "password"), ("host", "host"),
                        ("port", "port"), ("encoding", "default-character-set")):
        if connection.get(key) not in (None, ""):
            value = str(connection[key]).replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{option}="{value}"')
    with os.fdopen(handle, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def dump_tables(connection, tables, dest):
    """Structure and rows of ``tables`` into ``dest`` (readable by its owner only); returns
    the command that restores them (without credentials)."""
    program = dump_program()
    options = _credentials_file(connection)
    try:
        with open(dest, "wb") as out:
            os.chmod(dest, 0o600)
            result = subprocess.run(
                [program, f"--defaults-extra-file={options}", "--single-transaction",
                 "--no-tablespaces", "--skip-lock-tables", connection["database"], *tables],
                stdout=out, stderr=subprocess.PIPE, check=False)
    finally:
        os.unlink(options)
    if result.returncode != 0:
        raise JamDeployError(f"mysqldump of {', '.join(tables)} failed, nothing was changed: "
                             f"{result.stderr.decode(errors='replace').strip()}")
    return f"mysql {connection['database']} < {dest}"
