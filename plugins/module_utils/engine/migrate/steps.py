"""The typed steps of an import plan (like Alembic's operations), each describing itself in
one line; ``render`` turns them into SQL, ``guards`` inspects the destructive ones."""
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..schema.defaults import describe as describe_default
from ..schema.model import Column, ForeignKey, Index, Table


class Step(ABC):
    """One change of the project database's schema."""

    @abstractmethod
    def describe(self):
        """The step in one line, for progress reports and the import log."""


@dataclass(frozen=True)
class CreateSequence(Step):
    """A stand-alone sequence."""
    name: str

    def describe(self):
        return f"create sequence {self.name}"


@dataclass(frozen=True)
class DropSequence(Step):
    """A sequence dropped (if it exists)."""
    name: str

    def describe(self):
        return f"drop sequence {self.name}"


@dataclass(frozen=True)
class SequenceOwnedBy(Step):
    """A sequence dropped with the table whose key draws from it."""
    name: str
    table: str
    column: str

    def describe(self):
        return f"sequence {self.name} owned by {self.table}.{self.column}"


@dataclass(frozen=True)
class CreateTable(Step):
    """A new table (with its foreign keys where they are declared inline)."""
    table: Table
    inline_foreign_keys: bool = False  # foreign keys declared in CREATE TABLE

    def describe(self):
        return f"create table {self.table.name}"


@dataclass(frozen=True)
class DropTable(Step):
    """A table dropped with its rows."""
    table: Table

    def describe(self):
        return f"drop table {self.table.name}"


@dataclass(frozen=True)
class AddColumn(Step):
    """A new column."""
    table: str
    column: Column

    def describe(self):
        return f"add column {self.table}.{self.column.name} {self.column.type}"


@dataclass(frozen=True)
class DropColumn(Step):
    """A column dropped with its values."""
    table: str
    column: Column

    def describe(self):
        return f"drop column {self.table}.{self.column.name}"


@dataclass(frozen=True)
class RenameColumn(Step):
    """A column renamed (same field ID)."""
    table: str
    old: Column
    new: Column

    def describe(self):
        return f"rename column {self.table}.{self.old.name} to {self.new.name}"


@dataclass(frozen=True)
class AlterColumnType(Step):
    """A column of another type or size."""
    table: str
    old: Column
    new: Column

    def describe(self):
        return f"alter column {self.table}.{self.new.name} {self.old.type} → {self.new.type}"


@dataclass(frozen=True)
class AlterColumnDefault(Step):
    """A column with another default (Jam.py 7.0's F_DEFAULT_VALUE)."""
    table: str
    old: Column
    new: Column

    def describe(self):
        return (f"alter column {self.table}.{self.new.name} "
                f"{describe_default(self.old.default, self.old.type)} → "
                f"{describe_default(self.new.default, self.new.type)}")


@dataclass(frozen=True)
class RebuildTable(Step):
    """"Move and copy": a new table, rows copied by field ID, the old one replaced."""
    old: Table
    new: Table
    copy_columns: tuple  # ((new column, old column), ...) for the kept columns

    def describe(self):
        return f"rebuild table {self.new.name} (move and copy)"


@dataclass(frozen=True)
class CreateIndex(Step):
    """A new index."""
    table: str
    index: Index

    def describe(self):
        return f"create index {self.index.name} on {self.table}"


@dataclass(frozen=True)
class DropIndex(Step):
    """An index dropped."""
    table: str
    index: Index

    def describe(self):
        return f"drop index {self.index.name} on {self.table}"


@dataclass(frozen=True)
class AddForeignKey(Step):
    """A foreign key added to an existing table."""
    table: str
    foreign_key: ForeignKey

    def describe(self):
        return f"add foreign key {self.foreign_key.name} on {self.table}"


@dataclass(frozen=True)
class DropForeignKey(Step):
    """A foreign key dropped."""
    table: str
    foreign_key: ForeignKey

    def describe(self):
        return f"drop foreign key {self.foreign_key.name} on {self.table}"
