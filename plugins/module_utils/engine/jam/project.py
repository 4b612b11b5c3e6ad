"""A Jam.py project folder: its admin.sqlite, connection, parameters and metadata."""
import os
from contextlib import closing
from pathlib import Path

from ..db.registry import DIALECTS
from ..errors import NotAProjectError
from . import admin_db, defs, params
from .layouts import LAYOUTS, detect, export_fields, production_file
from .metadata import AdminTable, Metadata

# SYS_TASKS columns → connection keys (F_ALIAS is the database: name, file or DSN).
_CONNECTION_COLUMNS = {
    "f_db_type": "db_type", "f_alias": "database", "f_login": "user",
    "f_password": "password", "f_host": "host", "f_port": "port",
    "f_encoding": "encoding", "f_server": "server",
    "f_python_library": "python_library", "f_dsn": "dsn",
    "f_name": "name", "f_item_name": "item_name", "f_manual_update": "manual_update",
}


class Connection(dict):
    """The project database connection; ``repr`` and ``public()`` never show the password
    (nor a 7.0 DSN, which can hold one)."""

    SECRETS = ("password", "dsn")

    def __repr__(self):
        return f"Connection({self.public()!r})"

    def public(self):
        """The connection without its secrets, each replaced by whether it is set."""
        shown = {k: v for k, v in self.items() if k not in self.SECRETS}
        shown.update({f"{k}_set": bool(self.get(k)) for k in self.SECRETS})
        return shown


class Project:
    """Read-only view of a project folder; every read opens admin.sqlite read-only.

    NotAProjectError when the folder holds no readable Jam.py admin.sqlite.
    """

    def __init__(self, path):
        self.path = Path(path).expanduser().resolve()
        if not self.path.is_dir():
            raise NotAProjectError(
                f"project_path {self.path} does not exist or is not a directory")
        self.admin_path = self.path / "admin.sqlite"
        if not self.admin_path.is_file():
            raise NotAProjectError(
                f"{self.path} is not a Jam.py project: it has no admin.sqlite "
                "(create a project there with jam-project.py)")
        with self._connect() as con:
            self.columns = admin_db.table_columns(con)
        admin_db.check_layout(self.admin_path, self.columns)

    def _connect(self):
        return closing(admin_db.connect_readonly(self.admin_path))

    @property
    def layout(self):
        """The Jam.py version of admin.sqlite's tables and columns ('5.4', '7.0')."""
        return detect(self.columns, self.columns["SYS_ITEMS"])

    def _single_row(self, table, wanted):
        with self._connect() as con:
            rows = admin_db.select_rows(con, table, self.columns[table], wanted)
        return rows[0] if rows else dict.fromkeys(wanted)

    def connection(self):
        """The database connection the Builder's Database dialog stored (SYS_TASKS)."""
        row = self._single_row("SYS_TASKS", list(_CONNECTION_COLUMNS))
        conn = Connection((key, row.get(col)) for col, key in _CONNECTION_COLUMNS.items())
        conn["db_type_name"] = defs.DB_TYPE_NAMES.get(conn["db_type"])
        if conn["db_type"] in DIALECTS:
            DIALECTS[conn["db_type"]].locate(conn, self.path)
        return conn

    @property
    def completed(self):
        """Jam.py counts a project as created once SYS_TASKS.F_DB_TYPE is set."""
        return self.connection()["db_type"] is not None

    def raw_params(self):
        """The SYS_PARAMS row as stored, by lower-case column name."""
        wanted = [c.lower() for c in self.columns["SYS_PARAMS"]]
        return self._single_row("SYS_PARAMS", wanted)

    def parameters(self):
        """The parameters by readable name, typed the way Jam.py reads them."""
        values = params.read_parameters(self.raw_params(), self.layout)
        marker = self.production_file()
        if marker:
            values["production"] = (self.path / marker).exists()
        return values

    def production_file(self):
        """The file whose presence is production mode (7.0; None: 5.4's F_PRODUCTION),
        named as the installed Jam.py names it (see ``layouts.production_file``)."""
        return production_file(self.layout)

    def metadata(self, for_import=False):
        """The metadata rows; Jam.py's Export takes DELETED = 0 rows, its import every row
        not marked DELETED = 1 (those it removes first, see ``soft_deleted_counts``)."""
        where = ' WHERE "DELETED" IS NOT 1' if for_import else ' WHERE "DELETED" = 0'
        layout = LAYOUTS[self.layout]
        exported = export_fields(layout.name)
        tables = {}
        with self._connect() as con:
            for name in layout.metadata_tables:
                fields = exported[name]
                table = name.upper()
                rows = []
                if table in self.columns:
                    rows = admin_db.select_rows(con, table, self.columns[table], fields,
                                                where=where)
                if name == "sys_params":
                    self._default_missing_settings(rows)
                tables[name] = AdminTable(name, fields, {row["id"]: row for row in rows})
        return Metadata(self.connection()["db_type"], layout.name, tables)

    def _default_missing_settings(self, rows):
        """Settings whose column this admin.sqlite lacks (made by an earlier release) get
        the value the Jam.py that opens the project writes there, not NULL."""
        present = {c.upper() for c in self.columns.get("SYS_PARAMS", ())}
        for field_name, value in params.setting_defaults(self.layout).items():
            if field_name.upper() not in present:
                for row in rows:
                    if field_name in row:
                        row[field_name] = value

    def soft_deleted_counts(self):
        """{metadata item: rows marked DELETED = 1} (Jam.py's import removes them)."""
        counts = {}
        with self._connect() as con:
            for name in LAYOUTS[self.layout].metadata_tables:
                table = name.upper()
                if table in self.columns and "DELETED" in map(str.upper, self.columns[table]):
                    counts[name] = con.execute(
                        f'SELECT COUNT(*) FROM "{table}" WHERE "DELETED" = 1').fetchone()[0]
        return counts

    def migration_files(self):
        """Files waiting in the project's ``migration/`` folder, sorted."""
        folder = self.path / "migration"
        return sorted(os.listdir(folder)) if folder.is_dir() else []
