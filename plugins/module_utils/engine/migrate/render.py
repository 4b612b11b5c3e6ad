"""Render plan steps as SQL for the target database, with SQLAlchemy 2 and Alembic.

Every statement is produced by SQLAlchemy DDL constructs or Alembic operations compiled
for the dialect (Alembic's offline "as SQL" mode), never by per-database string
templates. The rendered text is also what the importer executes, so check mode shows
exactly the statements a real run sends. Each step type has one renderer, registered with
``renders`` (the way Alembic registers an implementation per operation).
"""
import functools
import re

from ..db.quoting import q
from ..db.registry import dialect_for
from ..errors import JamDeployError
from ..jam.defs import DB_TYPE_NAMES
from ..requirements import require
from ..schema.defaults import sql_literal
from . import steps

try:
    from sqlalchemy import (Column, Date, DateTime, Double, ForeignKeyConstraint, Index,
                            Integer, MetaData, Numeric, REAL, String, Table, Text, select)
    from sqlalchemy.dialects import mysql
    from sqlalchemy.schema import (AddConstraint, CreateIndex, CreateSequence, CreateTable,
                                   DropConstraint, DropIndex, DropSequence, DropTable,
                                   Sequence)
    from sqlalchemy.types import TIMESTAMP, UserDefinedType
except ImportError:  # reported by requirements.require() when rendering is asked for
    UserDefinedType = object

REBUILD_PREFIX = "_jampy_new_"
_RENDERERS = {}


def renders(step_type):
    """Register the decorated function as the renderer of ``step_type`` steps: it takes the
    ``Renderer`` and the step and emits the step's statements."""
    def register(function):
        _RENDERERS[step_type] = function
        return function
    return register


class LiteralType(UserDefinedType):
    """A column type written exactly as Jam.py writes it (e.g. Oracle's VARCHAR2(50))."""

    cache_ok = True

    def __init__(self, text):
        self.text = text

    def get_col_spec(self, **kw):
        """The type's text in DDL."""
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
    """The SQLAlchemy Table of a ``model.Table`` under ``name``, with its foreign keys."""
    sa = Table(q(name), metadata, *[sa_column(c) for c in table.columns])
    for fk in table.foreign_keys:
        sa.append_constraint(ForeignKeyConstraint(
            [sa.c[c] for c in fk.columns], tables.reference(fk),
            name=q(fk.name) if fk.name else None))
    return sa


def sa_column(column):
    """The SQLAlchemy Column of a ``model.Column``."""
    kwargs = {"primary_key": column.primary_key, "nullable": column.nullable,
              "autoincrement": column.autoincrement}
    if column.sequence:
        kwargs["server_default"] = Sequence(q(column.sequence)).next_value()
    elif column.default is not None:
        kwargs["server_default"] = sql_literal(column.default, column.type)
    return Column(q(column.name), sa_type(column.type), **kwargs)


def _keep_default(column):
    """``alter_column`` arguments that keep a column's default where the database
    restates the whole column (MySQL's CHANGE/MODIFY would drop it)."""
    if column.default is None:
        return {}
    return {"existing_server_default": sql_literal(column.default, column.type)}


def sa_index(sa, index):
    """The SQLAlchemy Index of a ``model.Index`` on the table ``sa``."""
    cols = [sa.c[name].desc() if desc else sa.c[name] for name, desc in index.columns]
    return Index(q(index.name), *cols, unique=index.unique, _table=sa)


def sa_foreign_key(sa, fk):
    """The constraint of the table ``sa`` that is the ``model.ForeignKey`` ``fk``."""
    return next(c for c in sa.foreign_key_constraints if c.name == fk.name)


class Renderer:
    """Renders the steps of one plan for one database (``render``)."""

    def __init__(self, db_type, current=None, desired=None):
        require()
        from alembic.migration import MigrationContext
        from alembic.operations import Operations

        self.dialect = dialect_for(db_type)
        if self.dialect.sqlalchemy_name is None:
            raise JamDeployError(f"importing into a {DB_TYPE_NAMES[db_type]} database is not "
                                 "supported yet")
        self.buffer = _Statements()
        context = MigrationContext.configure(
            dialect_name=self.dialect.sqlalchemy_name,
            opts={"as_sql": True, "output_buffer": self.buffer, "literal_binds": True})
        self.op = Operations(context)
        self.sa_dialect = context.dialect
        self.dialect.prepare_rendering(self.sa_dialect)
        self.current = _Tables(current)
        self.desired = _Tables(desired)

    def emit(self, construct):
        """A SQLAlchemy DDL construct compiled for the dialect (what Alembic's execute
        would write, without its per-call overhead)."""
        self.buffer.write(str(construct.compile(dialect=self.sa_dialect)))

    def render(self, step):
        """SQL statements (text) for one plan step."""
        start = len(self.buffer.items)
        _RENDERERS[type(step)](self, step)
        return self.buffer.items[start:]


@renders(steps.CreateSequence)
def _create_sequence(renderer, step):
    renderer.emit(CreateSequence(Sequence(q(step.name))))


@renders(steps.DropSequence)
def _drop_sequence(renderer, step):
    renderer.emit(DropSequence(Sequence(q(step.name)), if_exists=True))


@renders(steps.SequenceOwnedBy)
def _sequence_owned_by(renderer, step):
    # Only databases whose key columns draw from a sequence plan this step.
    renderer.buffer.write(renderer.dialect.sequence_owned_by(
        renderer.sa_dialect.identifier_preparer.quote_identifier,
        step.name, step.table, step.column))


@renders(steps.CreateTable)
def _create_table(renderer, step):
    sa = renderer.desired.get(step.table.name)
    inline = None if step.inline_foreign_keys else []
    renderer.emit(CreateTable(sa, include_foreign_key_constraints=inline))


@renders(steps.DropTable)
def _drop_table(renderer, step):
    renderer.emit(DropTable(renderer.current.get(step.table.name)))


@renders(steps.AddColumn)
def _add_column(renderer, step):
    renderer.op.add_column(q(step.table), sa_column(step.column))


@renders(steps.DropColumn)
def _drop_column(renderer, step):
    renderer.op.drop_column(q(step.table), q(step.column.name))


@renders(steps.RenameColumn)
def _rename_column(renderer, step):
    renderer.op.alter_column(q(step.table), q(step.old.name), new_column_name=q(step.new.name),
                             existing_type=sa_type(step.old.type),
                             existing_nullable=step.old.nullable, **_keep_default(step.old))


@renders(steps.AlterColumnType)
def _alter_column_type(renderer, step):
    new_type = sa_type(step.new.type)
    options = renderer.dialect.alter_type_options(
        step.new.name, new_type.compile(dialect=renderer.sa_dialect))
    renderer.op.alter_column(q(step.table), q(step.new.name), type_=new_type,
                             existing_type=sa_type(step.old.type),
                             existing_nullable=step.old.nullable, **_keep_default(step.old),
                             **options)


@renders(steps.AlterColumnDefault)
def _alter_column_default(renderer, step):
    new = step.new
    renderer.op.alter_column(
        q(step.table), q(new.name), existing_type=sa_type(new.type),
        existing_nullable=new.nullable,
        server_default=None if new.default is None else sql_literal(new.default, new.type))


@renders(steps.CreateIndex)
def _create_index(renderer, step):
    renderer.emit(CreateIndex(sa_index(renderer.desired.get(step.table), step.index)))


@renders(steps.DropIndex)
def _drop_index(renderer, step):
    renderer.emit(DropIndex(sa_index(renderer.current.get(step.table), step.index)))


@renders(steps.AddForeignKey)
def _add_foreign_key(renderer, step):
    sa = renderer.desired.get(step.table)
    renderer.emit(AddConstraint(sa_foreign_key(sa, step.foreign_key)))


@renders(steps.DropForeignKey)
def _drop_foreign_key(renderer, step):
    sa = renderer.current.get(step.table)
    renderer.emit(DropConstraint(sa_foreign_key(sa, step.foreign_key)))


@renders(steps.RebuildTable)
def _rebuild_table(renderer, step):
    """Move and copy: the new table under a temporary name, rows copied by field, the old
    table dropped, the new one renamed, its indexes re-created."""
    temp = build_table(MetaData(), step.new, REBUILD_PREFIX + step.new.name, renderer.desired)
    old = renderer.current.get(step.old.name)
    renderer.emit(CreateTable(temp))
    if step.copy_columns:
        targets = [temp.c[new] for new, old_name in step.copy_columns]
        sources = [old.c[old_name] for new, old_name in step.copy_columns]
        renderer.emit(temp.insert().from_select(targets, select(*sources)))
    renderer.emit(DropTable(old))
    renderer.op.rename_table(q(temp.name), q(step.new.name))
    final = renderer.desired.get(step.new.name)
    for index in step.new.indexes:
        renderer.emit(CreateIndex(sa_index(final, index)))


def render_plan(plan, db_type):
    """[(step, [sql, ...]), ...] for the plan's schema steps."""
    renderer = Renderer(db_type, plan.current_schema, plan.desired_schema)
    return [(step, renderer.render(step)) for step in plan.steps]
