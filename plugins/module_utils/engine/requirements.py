"""Python libraries the write side needs on the target (reading and exporting need none)."""
import importlib.util
import sys

from .errors import JamDeployError

IMPORT_LIBRARIES = {"sqlalchemy": "SQLAlchemy>=2.0", "alembic": "alembic"}


def missing(*modules):
    """pip requirement texts of the libraries (all by default, else the named modules) that
    cannot be imported."""
    return [wanted for module, wanted in IMPORT_LIBRARIES.items()
            if (not modules or module in modules) and importlib.util.find_spec(module) is None]


def require():
    """JamDeployError naming the missing libraries, the interpreter and how to install."""
    absent = missing()
    if absent:
        raise JamDeployError(
            f"{' and '.join(absent)} must be installed for the Python that runs this "
            f"({sys.executable}): `{sys.executable} -m pip install {' '.join(absent)}` "
            "(the project role puts them into the project's venv)")
