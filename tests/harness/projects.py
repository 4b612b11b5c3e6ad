"""Jam.py project folders made the way users make them, and Jam.py's own import into them.

``jam`` is the release (a `jamenv.JamEnv`) whose project script, demo or import is used;
the reference release 5.4.136 when not given."""
import json
import shutil
from pathlib import Path

import jinja2

from . import jamenv

ROLE_FILES = Path(__file__).resolve().parents[2] / "roles" / "project"


def create_project(path, jam=None):
    """Run Jam.py's own project script in an empty folder (what `jam-project.py` users do)."""
    jam = jam or jamenv.REFERENCE
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    jam.run_script(jam.project_script(), cwd=path)
    return path


def copy_demo(path, jam=None):
    """A copy of the demo application shipped in the Jam.py sdist (a complete SQLite project)."""
    path = Path(path)
    shutil.copytree((jam or jamenv.REFERENCE).demo(), path)
    return path


def jam_import(project, zip_path, jam=None):
    """Jam.py's own import, in-process (the Builder's Import without the HTTP upload), of a
    private copy of the zip (Jam.py deletes what it imports); returns its result."""
    project = Path(project)
    copy = project.parent / f"{project.name}-{Path(zip_path).name}"
    shutil.copy(zip_path, copy)
    return json.loads((jam or jamenv.REFERENCE).run_jamside("jam_import.py", project, copy).stdout)


def role_wsgi(project, modules_beside=False):
    """The project's wsgi.py as the project role writes it (Jam.py behind jampy_guard and
    the reload gate); ``modules_beside``: those two modules copied next to it (the role
    installs them into the venv; mod_wsgi's python-path holds the project folder)."""
    project = Path(project)
    template = jinja2.Template((ROLE_FILES / "templates" / "wsgi.py.j2").read_text())
    (project / "wsgi.py").write_text(template.render(
        ansible_managed="test", jampy_builder_access="none"))
    if modules_beside:
        for module in ("jampy_guard.py", "jampy_reload_gate.py"):
            shutil.copy(ROLE_FILES / "files" / module, project / module)
