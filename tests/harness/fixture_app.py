"""Development versions of the shop app as metadata zips, for scenarios and demos.

    python -m tests.harness.fixture_app <folder> [Jam.py release]

makes <folder>/dev (a SQLite development project of that release, 5.4.136 unless given,
built with the release's own Builder functions), <folder>/shop-v1.zip and
<folder>/shop-v2.zip (plus a suppliers catalog; on 5.x also a phone field); existing files
are kept.
"""
import sys
from pathlib import Path

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.export import (
    export_project)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

from . import apps, jamenv, projects

SUPPLIERS = [apps.field("name", "Name", size=60, required=True)]
VERSIONS_5 = (
    [apps.complete(apps.sqlite_database()), *apps.SHOP_APP],
    [apps.add_item("catalogs", "suppliers", "Suppliers", soft_delete=False, fields=SUPPLIERS),
     apps.add_field("customers", "phone", "Phone", size=30)],
)
# Jam.py 7.0's Builder script (jamside/builder70.py) has operations of its own.
VERSIONS_7 = (
    [{"op": "complete", **apps.sqlite_database().as_connection()},
     {"op": "add_item", "group": "catalogs", "name": "customers", "fields": [
         {"name": "name", "size": 80}, {"name": "email", "size": 120},
         {"name": "notes", "type": "longtext"}]}],
    [{"op": "add_item", "group": "catalogs", "name": "suppliers", "fields": [
        {"name": "name", "size": 60}]}],
)


def make(folder, version=jamenv.JAM_VERSION):
    folder, jam = Path(folder), jamenv.JamEnv(version)
    dev = folder / "dev"
    v1, v2 = folder / "shop-v1.zip", folder / "shop-v2.zip"
    if not v2.exists():
        if dev.exists():
            raise SystemExit(f"{dev} exists without {v2}: remove it and run again")
        first, second = VERSIONS_7 if jam.major >= 7 else VERSIONS_5
        projects.create_project(dev, jam)
        apps.build(dev, first, jam=jam)
        export_project(Project(dev), v1)
        apps.build(dev, second, jam=jam)
        export_project(Project(dev), v2)
    return dev, v1, v2


if __name__ == "__main__":
    for path in make(*sys.argv[1:3]):
        print(path)
