"""Project parameters (SYS_PARAMS) by readable name, typed the way Jam.py reads them,
and written the way running Jam.py processes notice.

Jam.py casts each stored value to the type of its default and falls back to the default
when the column is NULL or unconvertible (facts §8); production is not one of Jam.py's
settings in 5.4 (the Builder reads F_PRODUCTION) and is a file in 7.0 (``builder.html``).
"""

from ..errors import JamDeployError
from . import installed
from .layouts import LAYOUT_70

# name: (default, settable by users); the defaults are Jam.py's DEFAULT_SETTINGS
# (common.py), the same in 5.4.136 and 7.0.120 (7.0 adds two settings).
PARAMETERS = {
    "production": (False, True),
    "safe_mode": (False, True),
    "debugging": (False, True),
    "import_delay": (0, True),
    "timeout": (0, True),
    "max_content_length": (0, True),
    "language": (1, True),
    "version": ("", True),
    "con_pool_size": (4, True),
    "persist_con": (False, True),
    "single_file_js": (False, True),
    "dynamic_js": (False, True),
    "compressed_js": (False, True),
    "delete_reports_after": (0, True),
    "ignore_change_ip": (True, True),
    "theme": (1, True),
    "small_font": (False, True),
    "full_width": (False, True),
    "forms_in_tabs": (True, True),
    "upload_file_ext": (".txt, .csv", True),
    # 7.0.120: log each SELECT, the client's newer input buttons, the Builder editor's
    # theme (no setting of Jam.py's: the Builder reads the column, 'vs' when empty).
    "show_select_sql": (False, True),
    "modern_input_btns": (False, True),
    "ace_theme": ("vs", True),
    # State and counters: read-only for users, driven by the import protocol.
    "maintenance": (False, False),
    "modification": (0, False),
    "build_version": (0, False),
    "params_version": (0, False),
    "client_modified": (False, False),
    "server_modified": (False, False),
    "jam_version": ("", False),
}


# Parameters that exist in one layout only.
LAYOUT_ONLY = {"show_select_sql": LAYOUT_70, "modern_input_btns": LAYOUT_70,
               "ace_theme": LAYOUT_70}
# Parameters stored as the 1-based key of a Builder lookup list (as text).
CHOICES = {"ace_theme": ("vs", "vs-dark", "hc-black", "hc-light")}
# Parameters that are not among Jam.py's settings (DEFAULT_SETTINGS).
_NOT_SETTINGS = ("production", "ace_theme")


def names(layout):
    """The parameters of a project of ``layout``."""
    return [name for name in PARAMETERS if LAYOUT_ONLY.get(name, layout) == layout]


def setting_defaults(layout, jam=installed.THIS_PYTHON):
    """{SYS_PARAMS column (lower case): value as stored} of Jam.py's settings: what a
    Jam.py opening a project whose SYS_PARAMS lacks a setting's column writes into it (at
    the first task load). From the installed Jam.py's DEFAULT_SETTINGS when it has them,
    else this module's defaults."""
    jam = installed.resolve(jam)
    found = jam.default_settings() if jam else {}
    result = {}
    for name in names(layout):
        if name in _NOT_SETTINGS:
            continue
        value = found.get(name.upper(), PARAMETERS[name][0])
        result[column(name)] = int(value) if isinstance(value, bool) else value
    return result


def column(name):
    """The SYS_PARAMS column of a parameter (lower case)."""
    return "f_" + name


def coerce(name, value):
    """Jam.py's reading of a stored value: NULL or unconvertible → the default."""
    default = PARAMETERS[name][0]
    if value is None:
        return default
    if name in CHOICES:
        keys = {str(n): choice for n, choice in enumerate(CHOICES[name], 1)}
        return keys.get(str(value).strip(), default)
    try:
        if isinstance(default, bool):
            return bool(int(value))
        if isinstance(default, int):
            return int(value)
        return str(value)
    except (TypeError, ValueError):
        return default


def read_parameters(row, layout):
    """Typed parameters of a ``layout`` project from a SYS_PARAMS row dict (lower-case
    column names)."""
    return {name: coerce(name, row.get(column(name))) for name in names(layout)}


def settable(layout=None):
    """Names of the parameters users may set (of a ``layout`` project), sorted."""
    return sorted(name for name, (default, user) in PARAMETERS.items()
                  if user and (layout is None or name in names(layout)))


def check_values(desired, layout):
    """Refuse unknown names, parameters the project's Jam.py version lacks and values of
    the wrong type, naming what is accepted."""
    for name, value in desired.items():
        if name not in PARAMETERS or not PARAMETERS[name][1]:
            raise JamDeployError(f"unknown parameter {name!r}; the parameters are "
                                 f"{', '.join(settable())}")
        if name not in names(layout):
            raise JamDeployError(
                f"parameter {name} exists in Jam.py {LAYOUT_ONLY[name]} projects only; this "
                f"is a Jam.py {layout} project (nothing was changed)")
        if name in CHOICES and value not in CHOICES[name]:
            raise JamDeployError(f"parameter {name} must be one of "
                                 f"{', '.join(CHOICES[name])}, not {value!r}")
        default = PARAMETERS[name][0]
        kind = type(default)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise JamDeployError(f"parameter {name} must be a {kind.__name__}, "
                                 f"not {value!r}")
        if kind is int and value < 0:
            raise JamDeployError(f"parameter {name} must be 0 or more, not {value}")


def parameter_changes(current, desired, layout):
    """{name: (current, desired)} for the values that differ."""
    check_values(desired, layout)
    return {name: (current[name], value) for name, value in desired.items()
            if current[name] != value}


def stored(name, value):
    """Jam.py stores booleans as 1/0, a lookup list's choice as its key (text)."""
    if name in CHOICES:
        return str(CHOICES[name].index(value) + 1)
    return int(value) if isinstance(value, bool) else value
