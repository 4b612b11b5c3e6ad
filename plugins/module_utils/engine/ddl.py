"""Render plan steps as SQL for the target database, with SQLAlchemy 2 and Alembic.

Every statement is produced by SQLAlchemy DDL constructs or Alembic operations compiled
for the dialect (Alembic's offline "as SQL" mode), never by per-database string
templates. The rendered text is also what ``apply`` executes, so check mode shows
exactly the statements a real run sends.
"""
import functools
import re

from . import jamdefs as j
from .errors import JamDeployError
from .requirements import require

try:
    from sqlalchemy import (Column, Date, DateTime, Double, ForeignKeyConstraint, Index,
                            Integer, MetaData, Numeric, REAL, String, Table, Text, select)
    from sqlalchemy.dialects import mysql
    from sqlalchemy.ext.compiler import compiles
    from sqlalchemy.schema import (AddConstraint, CreateIndex, CreateSequence, CreateTable,
                                   DropConstraint, DropIndex, DropSequence, DropTable,
                                   ExecutableDDLElement, Sequence)
    from sqlalchemy.sql.elements import quoted_name
    from sqlalchemy.types import TIMESTAMP, UserDefinedType
except ImportError:  # reported by requirements.require() when rendering is asked for
    UserDefinedType = ExecutableDDLElement = object

    def compiles(*args, **kwargs):
        return lambda function: function

DIALECTS = {j.SQLITE: "sqlite", j.POSTGRESQL: "postgresql", j.MYSQL: "mysql",
            j.MSSQL: "mssql", j.ORACLE: "oracle"}
REBUILD_PREFIX = "_jampy_new_"


class LiteralType(UserDefinedType):
    """A column type written exactly as Jam.py writes it (e.g. Oracle's VARCHAR2(50))."""

    cache_ok = True

    def __init__(self, text):
        self.text = text

    def get_col_spec(self, **kw):
        return self.text


_SIZED = re.compile(r"^(N?VARCHAR2?)\((\d+)\)$")


@functools.lru_cache(maxsize=None)
def _simple_types():
    return {
        "INTEGER": Integer, "TEXT": Text, "NUMERIC": Numeric, "DATE": Date, "REAL": REAL,
        "TIMESTAMP": TIMESTAMP, "DATETIME": DateTime, "DOUBLE": Double, "VARCHAR": String,
        "LONGTEXT": mysql.LONGTEXT,
    }


def sa_type(canonical):
    """SQLAlchemy type for a canonical type text (real types where the dialect needs them,
    e.g. INTEGER for AUTO_INCREMENT; the literal text otherwise)."""
    sized = _SIZED.match(canonical)
    if sized and sized.group(1) == "VARCHAR":
        return String(int(sized.group(2)))
    simple = _simple_types().get(canonical)
    return simple() if simple else LiteralType(canonical)


def q(name):
    """Always quoted, as Jam.py quotes: names keep their exact case on every database."""
    return quoted_name(name, True)


class SequenceOwnedByDDL(ExecutableDDLElement):
    inherit_cache = False

    def __init__(self, sequence, table, column):
        self.sequence, self.table, self.column = sequence, table, column


@compiles(SequenceOwnedByDDL, "postgresql")
def _owned_by(element, compiler, **kw):
    quote = compiler.preparer.quote_identifier
    return (f"ALTER SEQUENCE {quote(element.sequence)} OWNED BY "
            f"{quote(element.table)}.{quote(element.column)}")


class _Statements:
    """Alembic's offline output buffer, kept one statement per write."""

    def __init__(self):
        self.items = []

    def write(self, text):
        text = text.strip()
        if text:
            self.items.append(text[:-1].rstrip() if text.endswith(";") else text)

    def flush(self):
        pass


class _Tables:
    """SQLAlchemy tables of one schema (current or desired), built on first use."""

    def __init__(self, schema):
        self.schema = schema
        self.metadata = MetaData()

    def get(self, name):
        sa = self.metadata.tables.get(name)
        if sa is None:
            table = self.schema.tables.get(name) if self.schema else None
            if table is None:
                raise JamDeployError(f"table {name} is not described by the project metadata")
            sa = build_table(self.metadata, table, name, self)
        return sa

    def reference(self, fk):
        if self.schema and fk.ref_table in self.schema.tables:
            ref = self.get(fk.ref_table)
        else:  # a table outside the metadata: only its key column matters here
            ref = self.metadata.tables.get(fk.ref_table) or Table(
                q(fk.ref_table), self.metadata, *[Column(q(c), Integer) for c in fk.ref_columns])
        return [ref.c[c] for c in fk.ref_columns]


def build_table(metadata, table, name, tables):
    sa = Table(q(name), metadata, *[sa_column(c) for c in table.columns])
    for fk in table.foreign_keys:
        sa.append_constraint(ForeignKeyConstraint(
            [sa.c[c] for c in fk.columns], tables.reference(fk),
            name=q(fk.name) if fk.name else None))
    return sa


def sa_column(column):
    kwargs = {"primary_key": column.primary_key, "nullable": column.nullable,
              "autoincrement": column.autoincrement}
    if column.sequence:
        kwargs["server_default"] = Sequence(q(column.sequence)).next_value()
    return Column(q(column.name), sa_type(column.type), **kwargs)


def sa_index(sa, index):
    cols = [sa.c[name].desc() if desc else sa.c[name] for name, desc in index.columns]
    return Index(q(index.name), *cols, unique=index.unique, _table=sa)


def sa_foreign_key(sa, fk):
    return next(c for c in sa.foreign_key_constraints if c.name == fk.name)


class Renderer:
    def __init__(self, db_type, current=None, desired=None):
        require()
        from alembic.migration import MigrationContext
        from alembic.operations import Operations

        if db_type not in DIALECTS:
            raise JamDeployError(f"importing into a {j.DB_TYPE_NAMES.get(db_type, db_type)} "
                                 "database is not supported yet")
        self.db_type = db_type
        self.buffer = _Statements()
        context = MigrationContext.configure(
            dialect_name=DIALECTS[db_type],
            opts={"as_sql": True, "output_buffer": self.buffer, "literal_binds": True})
        self.op = Operations(context)
        self.dialect = context.dialect
        self.current = _Tables(current)
        self.desired = _Tables(desired)

    # -- rendering ---------------------------------------------------------------------
    def emit(self, construct):
        """A SQLAlchemy DDL construct compiled for the dialect (what Alembic's execute
        would write, without its per-call overhead)."""
        self.buffer.write(str(construct.compile(dialect=self.dialect)))

    def render(self, step):
        """SQL statements (text) for one plan step."""
        start = len(self.buffer.items)
        getattr(self, "_" + type(step).__name__)(step)
        return self.buffer.items[start:]

    def _CreateSequence(self, step):
        self.emit(CreateSequence(Sequence(q(step.name))))

    def _DropSequence(self, step):
        self.emit(DropSequence(Sequence(q(step.name)), if_exists=True))

    def _SequenceOwnedBy(self, step):
        self.emit(SequenceOwnedByDDL(step.name, step.table, step.column))

    def _CreateTable(self, step):
        sa = self.desired.get(step.table.name)
        inline = None if step.inline_foreign_keys else []
        self.emit(CreateTable(sa, include_foreign_key_constraints=inline))

    def _DropTable(self, step):
        self.emit(DropTable(self.current.get(step.table.name)))

    def _AddColumn(self, step):
        self.op.add_column(q(step.table), sa_column(step.column))

    def _DropColumn(self, step):
        self.op.drop_column(q(step.table), q(step.column.name))

    def _RenameColumn(self, step):
        self.op.alter_column(q(step.table), q(step.old.name), new_column_name=q(step.new.name),
                             existing_type=sa_type(step.old.type),
                             existing_nullable=step.old.nullable)

    def _AlterColumnType(self, step):
        kwargs = {}
        if self.db_type == j.POSTGRESQL:
            # An explicit cast lets PostgreSQL convert between unrelated types too.
            target = sa_type(step.new.type).compile(dialect=self.dialect)
            kwargs["postgresql_using"] = f'"{step.new.name}"::{target}'
        self.op.alter_column(q(step.table), q(step.new.name), type_=sa_type(step.new.type),
                             existing_type=sa_type(step.old.type),
                             existing_nullable=step.old.nullable, **kwargs)

    def _CreateIndex(self, step):
        self.emit(CreateIndex(sa_index(self.desired.get(step.table), step.index)))

    def _DropIndex(self, step):
        self.emit(DropIndex(sa_index(self.current.get(step.table), step.index)))

    def _AddForeignKey(self, step):
        sa = self.desired.get(step.table)
        self.emit(AddConstraint(sa_foreign_key(sa, step.foreign_key)))

    def _DropForeignKey(self, step):
        sa = self.current.get(step.table)
        self.emit(DropConstraint(sa_foreign_key(sa, step.foreign_key)))

    def _RebuildTable(self, step):
        """SQLite move and copy: the new table under a temporary name, rows copied by
        field, the old table dropped, the new one renamed, its indexes re-created."""
        temp = build_table(MetaData(), step.new,
                           REBUILD_PREFIX + step.new.name, self.desired)
        old = self.current.get(step.old.name)
        self.emit(CreateTable(temp))
        if step.copy_columns:
            targets = [temp.c[new] for new, old_name in step.copy_columns]
            sources = [old.c[old_name] for new, old_name in step.copy_columns]
            self.emit(temp.insert().from_select(targets, select(*sources)))
        self.emit(DropTable(old))
        self.op.rename_table(q(temp.name), q(step.new.name))
        final = self.desired.get(step.new.name)
        for index in step.new.indexes:
            self.emit(CreateIndex(sa_index(final, index)))


def render_plan(plan, db_type):
    """[(step, [sql, ...]), ...] for the plan's schema steps."""
    renderer = Renderer(db_type, plan.current_schema, plan.desired_schema)
    return [(step, renderer.render(step)) for step in plan.steps]
