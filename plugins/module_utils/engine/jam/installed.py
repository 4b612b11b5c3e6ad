"""The Jam.py installed for the Python that runs the engine, read from its files.

Nothing of it is imported: ``jam.wsgi`` of 5.x puts its bundled libraries first on
``sys.path``, and the release and the admin structure are plain data in the package -
``jam/__init__.py`` holds ``__version__ = (7, 0, 120)``, ``jam/admin/builder_structure.info``
the admin items (``sys_params``, ``sys_fields``, ...) with their fields in the order
Jam.py's Export writes them, ``jam/common.py`` the settings' defaults (DEFAULT_SETTINGS),
and 7.0's ``jam/wsgi.py`` the name of the production-mode file (``App.production``),
which Jam.py's ``jam-secure-project.py`` rewrites in place.
"""
import ast
import functools
import json
import os
from dataclasses import dataclass
from importlib.machinery import PathFinder

# A field of the admin structure is a list whose value 1 is the field's name (FIELD_DEF).
_FIELD_NAME = 1


@dataclass(frozen=True)
class InstalledJam:
    """One installed Jam.py package: its release ("7.0.120") and folder."""

    version: str
    path: str

    def admin_fields(self):
        """{admin item name: field names in the structure's order} of every admin item that
        has a table; {} when the package has no readable admin structure."""
        return dict(_admin_fields(os.path.join(self.path, "admin", "builder_structure.info")))

    def default_settings(self):
        """{SETTING: value} of ``Consts.DEFAULT_SETTINGS`` in ``jam/common.py``: what Jam.py
        reads for a NULL setting and writes at a project's first task load; {} when the file
        has no such literal."""
        return dict(_default_settings(os.path.join(self.path, "common.py")))

    def production_file(self):
        """The file in a project folder whose presence means production mode to this
        Jam.py (7.0: ``builder.html`` unless ``jam-secure-project.py`` renamed it); None
        when its ``wsgi.py`` has no ``App.production`` (5.x) or cannot be read."""
        return _production_file(os.path.join(self.path, "wsgi.py"))

    def keywords(self):
        """The names its Builder refuses for items and fields (``jam/keywords.py``, 7.0),
        upper-cased; empty when the release has none."""
        return _keywords(os.path.join(self.path, "keywords.py"))


@functools.lru_cache(maxsize=None)
def _production_file(wsgi):
    # App.production is os.path.exists(os.path.join(self.work_dir, '<name>')).
    for app in _parsed(wsgi).body:
        if isinstance(app, ast.ClassDef) and app.name == "App":
            for method in app.body:
                if isinstance(method, ast.FunctionDef) and method.name == "production":
                    names = [n.value for n in ast.walk(method) if isinstance(n, ast.Constant)
                             and isinstance(n.value, str) and n.value.endswith(".html")]
                    return names[0] if len(names) == 1 else None
    return None


@functools.lru_cache(maxsize=None)
def _admin_fields(structure):
    try:
        with open(structure, encoding="utf-8") as f:
            tree = json.load(f)
    except (OSError, ValueError):
        return {}
    found = {}
    _collect(tree, found)
    return found


@functools.lru_cache(maxsize=None)
def _keywords(module):
    value = _assigned_literal(module, "keywords")
    if not isinstance(value, (list, tuple)):
        return frozenset()
    return frozenset(v.upper() for v in value if isinstance(v, str))


def _collect(node, found):
    # An item appears once as a table and again as a detail of another: same fields.
    items = node.get("items") if isinstance(node, dict) else None
    for entry in items if isinstance(items, list) else ():
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)):
            continue
        item = entry[1]
        fields = item.get("fields")
        if item.get("table_name") and isinstance(fields, list) and item.get("name") not in found:
            names = [f[_FIELD_NAME] for f in fields if isinstance(f, list) and len(f) > _FIELD_NAME]
            if all(isinstance(n, str) for n in names):
                found[item["name"]] = tuple(n.lower() for n in names)
        _collect(item, found)


@functools.lru_cache(maxsize=None)
def _default_settings(common_file):
    # Consts.DEFAULT_SETTINGS is a class attribute: searched in the whole module.
    value = _literal(_parsed(common_file), "DEFAULT_SETTINGS", ast.walk)
    return value if isinstance(value, dict) else {}


def _release(init_file):
    """The ``__version__`` tuple of ``jam/__init__.py`` as "x.y.z", or None."""
    value = _assigned_literal(init_file, "__version__")
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return ".".join(map(str, value))
    return None


def _assigned_literal(module, name):
    """The literal a top-level ``name = ...`` of the Python file ``module`` assigns, or
    None (no such file, assignment or literal)."""
    return _literal(_parsed(module), name, lambda tree: tree.body)


def _parsed(module):
    """The syntax tree of the Python file ``module``; an empty module when it cannot be
    read or parsed."""
    try:
        with open(module, encoding="utf-8") as f:
            return ast.parse(f.read(), module)
    except (OSError, ValueError, SyntaxError):
        return ast.Module(body=[], type_ignores=[])


def _literal(tree, name, statements):
    """The literal the first ``name = ...`` among ``statements(tree)`` assigns, or None."""
    for statement in statements(tree):
        if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            try:
                return ast.literal_eval(statement.value)
            except ValueError:
                return None
    return None


def find(search_path=None):
    """The Jam.py package the import system would load (``search_path``: folders to look
    in, ``sys.path`` when None), as an ``InstalledJam``; None when there is none or the
    package found is not Jam.py (no release in its ``__init__.py``)."""
    spec = PathFinder.find_spec("jam", search_path)
    locations = list(spec.submodule_search_locations or ()) if spec else []
    if not locations:
        return None
    version = _release(os.path.join(locations[0], "__init__.py"))
    return InstalledJam(version, locations[0]) if version else None


_FOUND = {}
# Where a function takes an InstalledJam: the Jam.py this Python would import.
THIS_PYTHON = object()


def installed():
    """``find()`` on ``sys.path``, looked up once per process."""
    if "jam" not in _FOUND:
        _FOUND["jam"] = find()
    return _FOUND["jam"]


def resolve(jam):
    """``jam`` as given (an ``InstalledJam`` or None), ``installed()`` for THIS_PYTHON."""
    return installed() if jam is THIS_PYTHON else jam
