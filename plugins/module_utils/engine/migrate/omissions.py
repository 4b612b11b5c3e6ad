"""Jam.py's known omissions: differences between a project database and its metadata that
Jam.py's own import always leaves, so that every project deployed the Jam.py way has them.

Measured by comparing projects imported by Jam.py 5.4.136, 5.5.4 and 7.0.120 with the
schema model on SQLite, PostgreSQL and MariaDB (tests/integration/test_adopt.py): 5.x
and 7.0 never create foreign keys in SQLite, 7.0 creates a column for each calculated field
of a new item and, for a new item copy, the indexes defined on the copy on the table it
shares with its source (tests/integration/test_features_70.py), and when it deletes the
copy it leaves that index behind (its import looks the owner of a deleted index up among
the new items, where the copy no longer is). Index, sequence and key names matched
everywhere. They are recognised here so that an import neither refuses them as drift nor
hides them: each is reported, and repaired where a repair is clean (``Kind.rebuild_repairs``:
a SQLite table rebuild creates the foreign keys; ``Kind.drop_repairs``: an index no metadata
defines is dropped). A new kind is one more ``Kind`` and rule registered with ``@omission``.
"""
from dataclasses import dataclass

from ..jam.import_log import logged_indexes
from ..schema.compare import Missing, Unexpected
from ..schema.derive import calculated_columns, copy_indexes
from ..schema.model import Index


@dataclass(frozen=True)
class Kind:
    """What Jam.py leaves (``cause``) and what jam_import does about it (``handling``)."""
    name: str
    cause: str
    handling: str
    rebuild_repairs: bool = False  # a rebuild of the table from the metadata repairs it
    drop_repairs: bool = False  # dropping what was left (or a rebuild) repairs it


@dataclass(frozen=True)
class Context:
    """What the rules need to know about the project: its database's dialect, the
    (table, column) names of its calculated fields, the (table, index) names of the
    indexes of its item copies and of the indexes its import logs show created and never
    dropped, upper-cased."""
    dialect: object
    calculated_columns: frozenset = frozenset()
    copy_indexes: frozenset = frozenset()
    logged_indexes: frozenset = frozenset()

    @classmethod
    def of(cls, metadata, dialect, project_path=None):
        """The context of a project database described by ``metadata``; the import logs
        of the project at ``project_path``, when given."""
        return cls(dialect, calculated_columns(metadata), copy_indexes(metadata),
                   logged_indexes(project_path) if project_path else frozenset())


@dataclass(frozen=True)
class Omission:
    """One difference recognised as Jam.py's omission of ``kind``."""
    kind: Kind
    difference: object  # schema.compare.Difference

    @property
    def table(self):
        """The table it belongs to."""
        return self.difference.table

    def __str__(self):
        return f"{self.difference} ({self.kind.cause}; {self.kind.handling})"


_RULES = []


def omission(kind):
    """Register the decorated predicate ``(difference, context) -> bool`` for ``kind``."""
    def register(rule):
        _RULES.append((kind, rule))
        return rule
    return register


SQLITE_FOREIGN_KEY = Kind(
    "SQLite foreign key", "Jam.py's import never creates foreign keys in SQLite",
    "created when jam_import next rebuilds the table, or now with repair_omissions",
    rebuild_repairs=True)
CALCULATED_COLUMN = Kind(
    "calculated field column",
    "Jam.py 7's import creates a column for a calculated field, which Jam.py never writes",
    "kept as it is; a SQLite rebuild of the table leaves it out")
COPY_INDEX = Kind(
    "item copy index",
    "Jam.py 7's import creates the indexes of a new item copy on its source's table, where "
    "its Builder creates none",
    "kept as it is; a SQLite rebuild of the table leaves it out")


LEFTOVER_INDEX = Kind(
    "index left by an import",
    "an import created it (the project's import logs show it) and the metadata no longer "
    "defines it: Jam.py 7's import leaves the index of an item copy it deletes",
    "dropped when jam_import next changes the table, or now with repair_omissions",
    drop_repairs=True)


@omission(SQLITE_FOREIGN_KEY)
def _sqlite_foreign_key(difference, context):
    return (isinstance(difference, Missing) and difference.what == "foreign key"
            and context.dialect.inline_foreign_keys)


@omission(CALCULATED_COLUMN)
def _calculated_column(difference, context):
    return (isinstance(difference, Unexpected) and difference.what == "column"
            and (difference.table.upper(), difference.name.upper())
            in context.calculated_columns)


@omission(COPY_INDEX)
def _copy_index(difference, context):
    return (isinstance(difference, Unexpected) and difference.what == "index"
            and (difference.table.upper(), difference.name.upper()) in context.copy_indexes)


@omission(LEFTOVER_INDEX)
def _leftover_index(difference, context):
    return (isinstance(difference, Unexpected) and difference.what == "index"
            and (difference.table.upper(), difference.name.upper()) in context.logged_indexes)


def recognise(found, context):
    """(omissions, drift): the differences ``found`` split into Jam.py's known omissions
    and the rest, which is drift."""
    omissions, drift = [], []
    for difference in found:
        kind = next((k for k, rule in _RULES if rule(difference, context)), None)
        if kind is None:
            drift.append(difference)
        else:
            omissions.append(Omission(kind, difference))
    return omissions, drift


def tables_to_repair(omissions):
    """Names of the tables whose omissions a rebuild from the metadata (or, for an index
    left behind, a drop) repairs."""
    return {o.table for o in omissions if o.kind.rebuild_repairs or o.kind.drop_repairs}


def leftover_indexes(omissions):
    """{table name: indexes to drop}: the indexes of ``omissions`` a drop repairs."""
    found = {}
    for o in omissions:
        if o.kind.drop_repairs:
            found.setdefault(o.table, []).append(Index(o.difference.name, ()))
    return found
