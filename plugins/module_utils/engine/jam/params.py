"""Project parameters (SYS_PARAMS) by readable name, typed the way Jam.py reads them,
and written the way running Jam.py processes notice.

Jam.py casts each stored value to the type of its default and falls back to the default
when the column is NULL or unconvertible (facts §8); production is not one of Jam.py's
settings in 5.4 (the Builder reads F_PRODUCTION) and is a file in 7.0 (``builder.html``).
"""

from ..errors import JamDeployError

# name: (default, settable by users)
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
    # State and counters: read-only for users, driven by the import protocol.
    "maintenance": (False, False),
    "modification": (0, False),
    "build_version": (0, False),
    "params_version": (0, False),
    "client_modified": (False, False),
    "server_modified": (False, False),
    "jam_version": ("", False),
}


def column(name):
    """The SYS_PARAMS column of a parameter (lower case)."""
    return "f_" + name


def coerce(name, value):
    """Jam.py's reading of a stored value: NULL or unconvertible → the default."""
    default = PARAMETERS[name][0]
    if value is None:
        return default
    try:
        if isinstance(default, bool):
            return bool(int(value))
        if isinstance(default, int):
            return int(value)
        return str(value)
    except (TypeError, ValueError):
        return default


def read_parameters(row):
    """Typed parameters from a SYS_PARAMS row dict (lower-case column names)."""
    return {name: coerce(name, row.get(column(name))) for name in PARAMETERS}


def settable():
    """Names of the parameters users may set, sorted."""
    return sorted(name for name, (default, user) in PARAMETERS.items() if user)


def check_values(desired):
    """Refuse unknown names and values of the wrong type, naming what is accepted."""
    for name, value in desired.items():
        if name not in PARAMETERS or not PARAMETERS[name][1]:
            raise JamDeployError(f"unknown parameter {name!r}; the parameters are "
                                 f"{', '.join(settable())}")
        default = PARAMETERS[name][0]
        kind = type(default)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise JamDeployError(f"parameter {name} must be a {kind.__name__}, "
                                 f"not {value!r}")
        if kind is int and value < 0:
            raise JamDeployError(f"parameter {name} must be 0 or more, not {value}")


def parameter_changes(current, desired):
    """{name: (current, desired)} for the values that differ."""
    check_values(desired)
    return {name: (current[name], value) for name, value in desired.items()
            if current[name] != value}


def stored(value):
    """Jam.py stores booleans as 1/0."""
    return int(value) if isinstance(value, bool) else value
