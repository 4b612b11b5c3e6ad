"""The Metadata model: Jam.py's admin rows that make up an application, keyed by ID.

Both sources produce it: a project's admin.sqlite (``project.Project.metadata``) and an
archive's ``task.dat`` (``archive.read.read_archive``). Fields are matched by name, never by
position, so Jam.py 5.4 and 7.0 data load alike.
"""
import hashlib
import json

from . import defs


# Values a running Jam.py rewrites by itself - F_FIELD_ID_GEN is reset to MAX(SYS_FIELDS.ID)
# and F_JAM_VERSION to its own version at every start - so they say nothing about the
# application.
_COUNTERS = {"sys_params": frozenset({"f_field_id_gen", "f_jam_version"})}


class AdminTable:
    """One admin item (e.g. ``sys_fields``): its field names and its rows by ID."""

    def __init__(self, name, fields, rows):
        self.name = name
        self.fields = tuple(fields)
        # {id: {field: value}} in ascending ID order (the order Jam.py's export reads them).
        self.rows = dict(sorted(rows.items()))

    def __len__(self):
        return len(self.rows)

    def get(self, row_id):
        """The row with ID ``row_id`` (None when there is none)."""
        return self.rows.get(row_id)

    def records(self):
        """Rows as lists in ``fields`` order (the ``records`` of task.dat)."""
        return [[row.get(field) for field in self.fields] for row in self.rows.values()]


class Metadata:
    """All metadata items of one project or archive, plus the database type they target."""

    def __init__(self, db_type, layout, tables):
        self.db_type = db_type
        self.layout = layout
        self.tables = tables  # {name: AdminTable} in Jam.py's item order

    def __getitem__(self, name):
        return self.tables[name]

    @property
    def items(self):
        """SYS_ITEMS rows by ID."""
        return self.tables["sys_items"].rows

    @property
    def fields(self):
        """SYS_FIELDS rows by ID."""
        return self.tables["sys_fields"].rows

    @property
    def indices(self):
        """SYS_INDICES rows by ID."""
        return self.tables["sys_indices"].rows

    def task_item(self):
        """The TASK_TYPE row (the application's name and item name), or None."""
        for row in self.items.values():
            if row.get("type_id") == defs.TASK_TYPE:
                return row
        return None

    def history_item(self):
        """The item Jam.py records changes in (created from the Parameters dialog), or None."""
        return next((row for row in self.items.values()
                     if row.get("sys_id") == defs.HISTORY_SYS_ID), None)

    def table_items(self):
        """Items that own a table in the project database, in ID order."""
        return [row for row in self.items.values()
                if row.get("type_id") in defs.TABLE_ITEM_TYPES
                and row.get("f_table_name") and not row.get("f_virtual_table")]

    def expected_tables(self):
        """Names of the tables the items own, sorted."""
        return sorted(row["f_table_name"] for row in self.table_items())

    def counts(self):
        """Rows per metadata item."""
        return {name: len(table) for name, table in self.tables.items()}

    def to_task_data(self):
        """The task.dat document: ``db_type`` then one entry per metadata item."""
        data = {"db_type": self.db_type}
        for name, table in self.tables.items():
            data[name] = {"fields": list(table.fields), "records": table.records()}
        return data

    def fingerprint(self):
        """A stable hash of what an import would copy.

        Hidden fields (kept by the target) and counters are left out and identifiers are
        compared case-insensitively, as Jam.py rewrites their case per database; so a
        development project and the production project it was imported into share a
        fingerprint.
        """
        digest = hashlib.sha256()
        for name in sorted(self.tables):
            table = self.tables[name]
            hidden = defs.HIDDEN_FIELDS.get(name, frozenset()) | _COUNTERS.get(name, frozenset())
            idents = defs.IDENTIFIER_FIELDS.get(name, ())
            fields = sorted(f for f in table.fields if f not in hidden)
            rows = []
            for row_id, row in table.rows.items():
                values = []
                for field in fields:
                    value = row.get(field)
                    if field in idents:
                        value = (value or "").upper()
                    elif isinstance(value, bool):
                        value = int(value)
                    values.append(value)
                rows.append([row_id, values])
            digest.update(json.dumps([name, fields, rows], sort_keys=True,
                                     separators=(",", ":")).encode())
        return digest.hexdigest()
