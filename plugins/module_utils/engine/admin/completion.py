"""Completing a project headlessly: what the Builder's new-project dialogs store (facts §9).

Jam.py's project script leaves SYS_TASKS empty and the language unset; the Builder then
asks for the language (SYS_PARAMS.F_LANGUAGE, item captions and the labels of the layout's
page - 5.4's index.html, 7.0's templates.html - in that language, English where its text is
empty), the project's name and item name (the TASK_TYPE item) and the database
connection (SYS_TASKS), and rewrites every field's column name in the database's
identifier case. A project counts as complete once SYS_TASKS.F_DB_TYPE is set.
"""
import keyword
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field

from ..db.registry import supported_dialect
from ..errors import JamDeployError
from ..files import write_text
from ..jam import defs as j
from ..jam.langs import translations
from ..jam.layouts import LAYOUTS, TASK_COLUMNS_70
from ..jam.project import Connection

# connection key → SYS_TASKS column (a layout may add more, see layouts.Layout.task_columns)
TASK_COLUMNS = {"db_type": "F_DB_TYPE", "database": "F_ALIAS", "user": "F_LOGIN",
                "password": "F_PASSWORD", "host": "F_HOST", "port": "F_PORT",
                "encoding": "F_ENCODING", "server": "F_SERVER", "name": "F_NAME",
                "item_name": "F_ITEM_NAME", "manual_update": "F_MANUAL_UPDATE"}
_INTEGERS = ("db_type", "manual_update", "python_library")
_LABEL = re.compile(r"__\$_([A-Za-z0-9_]+)_\$__")
SECRET = "password"


@dataclass
class Completion:
    """What completing a project changes, each as (old, new)."""
    tasks: dict = field(default_factory=dict)        # SYS_TASKS column: (old, new)
    task_item: dict = field(default_factory=dict)    # TASK_TYPE item column: (old, new)
    language: tuple = None                           # (old, new) of SYS_PARAMS.F_LANGUAGE
    captions: dict = field(default_factory=dict)     # SYS_ITEMS id: (old, new) F_NAME
    field_names: dict = field(default_factory=dict)  # SYS_FIELDS id: (old, new) column name
    page: tuple = None                               # (labelled page, new text) if it changes
    warnings: list = field(default_factory=list)

    @property
    def empty(self):
        """Nothing to change: the project is complete as desired."""
        return not (self.tasks or self.task_item or self.language or self.captions
                    or self.field_names or self.page is not None)

    def describe(self):
        """Readable lines; the password shows only as changed, never its value."""
        lines = []
        for column, (old, new) in self.tasks.items():
            if column == TASK_COLUMNS[SECRET]:
                lines.append(f"SYS_TASKS.{column}: {'(set)' if old else '(empty)'} → "
                             f"{'(set)' if new else '(empty)'}")
            else:
                lines.append(f"SYS_TASKS.{column}: {old!r} → {new!r}")
        lines += [f"project {column}: {old!r} → {new!r}"
                  for column, (old, new) in self.task_item.items()]
        if self.language:
            lines.append(f"language: {self.language[0]!r} → {self.language[1]!r}")
        if self.captions:
            lines.append(f"{len(self.captions)} item captions translated")
        if self.field_names:
            lines.append(f"{len(self.field_names)} field column names in the database's case")
        if self.page is not None:
            lines.append(f"{self.page[0]} labels translated")
        return lines


def _text(value):
    """The Builder stores empty inputs as NULL."""
    return None if value in (None, "") else str(value)


def check_names(name, item_name):
    """Refuse a missing project name or an item name Jam.py cannot use."""
    if not name or not str(name).strip():
        raise JamDeployError("the project needs a name (its caption)")
    if not (item_name and item_name.isidentifier() and not keyword.iskeyword(item_name)
            and item_name == item_name.lower()):
        raise JamDeployError(f"item_name {item_name!r} must be a lower-case Python identifier "
                             "(letters, digits and underscores, not starting with a digit)")


def _has_tables(metadata):
    return bool(metadata.table_items())


def _python_library(dialect, chosen):
    """The F_PYTHON_LIBRARY a 7.0 project stores for ``dialect``: ``chosen`` (1-based), else
    1 where the dialog offers several libraries; None where it offers fewer."""
    offered = dialect.python_libraries
    if chosen is None:
        return 1 if len(offered) >= 2 else None
    if not 1 <= chosen <= len(offered):
        raise JamDeployError(
            f"python_library {chosen} is not one of the libraries Jam.py 7.0 offers for "
            f"{j.DB_TYPE_NAMES[dialect.code]}: "
            + (", ".join(f"{n} = {lib}" for n, lib in enumerate(offered, 1)) or "none"))
    return chosen


def plan_completion(project, desired, force_db_type=False, update_names=False):
    """What completing ``project`` with ``desired`` (connection keys, name, item_name,
    language) changes; nothing is written. The names are the task item's, which imports
    bring from development: once the project is completed they change with
    ``update_names`` only."""
    check_names(desired["name"], desired["item_name"])
    dialect = supported_dialect(desired["db_type"], "completing a project for")
    metadata = project.metadata()
    connection = project.connection()
    plan = Completion()
    columns = dict(TASK_COLUMNS, **LAYOUTS[project.layout].task_columns)
    if any(desired.get(k) not in (None, "") for k in TASK_COLUMNS_70 if k not in columns):
        raise JamDeployError("python_library and dsn exist in Jam.py 7.0 projects only")
    # The dialog saves "DB manual mode" unticked, and on 7.0 makes the user choose one of
    # several Python libraries (Jam.py 7.0 cannot connect without): the first one unless told.
    desired = dict(desired, manual_update=0)
    if "python_library" in columns:
        desired["python_library"] = _python_library(dialect, desired.get("python_library"))
    for key, column in columns.items():
        old, new = connection.get(key), desired.get(key)
        if key not in _INTEGERS:
            old, new = _text(old), _text(new)
        if old != new:
            plan.tasks[column] = (connection.get(key), new)

    old_type, new_type = connection["db_type"], desired["db_type"]
    if old_type != new_type:
        if old_type is not None and _has_tables(metadata) and not force_db_type:
            raise JamDeployError(
                f"the project's database type is {j.DB_TYPE_NAMES.get(old_type)} and its "
                "metadata already has tables; changing it to "
                f"{j.DB_TYPE_NAMES[new_type]} would leave them behind. Set force_db_type to "
                "change it anyway")
        for field_id, row in metadata.fields.items():
            name = row.get("f_db_field_name")
            if name and dialect.identifier_case(name) != name:
                plan.field_names[field_id] = (name, dialect.identifier_case(name))

    task = metadata.task_item() or {}
    for column, key in (("f_name", "name"), ("f_item_name", "item_name")):
        if (update_names or connection["db_type"] is None) and task.get(column) != desired[key]:
            plan.task_item[column.upper()] = (task.get(column), desired[key])

    language = desired.get("language") or 1
    current_language = project.raw_params().get("f_language")
    if current_language != language:
        plan.language = (current_language, language)
        names = {row.get("f_item_name"): item_id for item_id, row in metadata.items.items()
                 if row.get("type_id") != j.TASK_TYPE}
        texts = translations(project.path, [n for n in names if n], language)
        if not texts:
            plan.warnings.append("no translations found (no langs.sqlite in the project or "
                                 "in an installed Jam.py): captions and labels stay as they are")
        for item_name, text in texts.items():
            row = metadata.items[names[item_name]]
            if row.get("f_name") != text:
                plan.captions[names[item_name]] = (row.get("f_name"), text)
        plan.page = _translated_page(project, language)
    return plan


def completed_connection(project, desired):
    """The project's connection once ``desired`` (as for ``plan_completion``) is stored,
    ready to connect with."""
    before = project.connection()
    after = Connection(before, **{k: v for k, v in desired.items() if k in before})
    after["db_type_name"] = j.DB_TYPE_NAMES[desired["db_type"]]
    supported_dialect(desired["db_type"], "completing a project for").locate(after, project.path)
    return after


def _translated_page(project, language):
    """(name, text) of the layout's labelled page with its __$_key_$__ labels translated,
    or None when that changes nothing."""
    name = LAYOUTS[project.layout].labelled_page
    path = project.path / name
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    keys = set(_LABEL.findall(text))
    if not keys:
        return None
    texts = translations(project.path, keys, language)
    new = _LABEL.sub(lambda m: texts.get(m.group(1), m.group(0)), text)
    return (name, new) if new != text else None


def apply_completion(project, plan):
    """Write the planned changes: admin.sqlite in one transaction, then the labelled page."""
    with closing(sqlite3.connect(str(project.admin_path), timeout=30)) as con:
        with con:
            if plan.tasks:
                assignments = ", ".join(f'"{c}" = ?' for c in plan.tasks)
                con.execute(f"UPDATE SYS_TASKS SET {assignments}",
                            [new for old, new in plan.tasks.values()])
            if plan.task_item:
                assignments = ", ".join(f'"{c}" = ?' for c in plan.task_item)
                con.execute(f"UPDATE SYS_ITEMS SET {assignments} WHERE TYPE_ID = ?",
                            [new for old, new in plan.task_item.values()] + [j.TASK_TYPE])
            if plan.language:
                con.execute("UPDATE SYS_PARAMS SET F_LANGUAGE = ?", (plan.language[1],))
            con.executemany("UPDATE SYS_ITEMS SET F_NAME = ? WHERE ID = ?",
                            [(new, item_id) for item_id, (old, new) in plan.captions.items()])
            con.executemany("UPDATE SYS_FIELDS SET F_DB_FIELD_NAME = ? WHERE ID = ?",
                            [(new, fid) for fid, (old, new) in plan.field_names.items()])
    if plan.page is not None:
        name, text = plan.page
        write_text(project.path / name, text, project.path)
