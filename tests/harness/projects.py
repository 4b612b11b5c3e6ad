"""Jam.py project folders made the way users make them, and Jam.py's own import into them."""
import json
import shutil
from pathlib import Path

from . import jamenv


def create_project(path):
    """Run Jam.py's own project script in an empty folder (what `jam-project.py` users do)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    script = Path(jamenv.jam_python()).parent / "jam-project.py"
    jamenv.run_jamside_script(script, cwd=path)
    return path


def copy_demo(path):
    """A copy of the demo application shipped in the Jam.py sdist (a complete SQLite project)."""
    path = Path(path)
    shutil.copytree(jamenv.sdist_root() / "demo", path)
    return path


def jam_import(project, zip_path):
    """Jam.py's own import, in-process (the Builder's Import without the HTTP upload), of a
    private copy of the zip (Jam.py deletes what it imports); returns its result."""
    project = Path(project)
    copy = project.parent / f"{project.name}-{Path(zip_path).name}"
    shutil.copy(zip_path, copy)
    return json.loads(jamenv.run_jamside("jam_import.py", project, copy).stdout)
