"""Development versions of the shop app as metadata zips, for scenarios and demos.

    python -m tests.harness.fixture_app <folder>

makes <folder>/dev (a SQLite development project built with Jam.py's own Builder
functions), <folder>/shop-v1.zip (SHOP_APP) and <folder>/shop-v2.zip (plus a suppliers
catalog and a phone field); existing files are kept.
"""
import sys
from pathlib import Path

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive.export import (
    export_project)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project

from . import apps, projects

VERSION_2 = [
    apps.add_item("catalogs", "suppliers", "Suppliers", soft_delete=False,
                  fields=[apps.field("name", "Name", size=60, required=True)]),
    apps.add_field("customers", "phone", "Phone", size=30),
]


def make(folder):
    folder = Path(folder)
    dev = folder / "dev"
    v1, v2 = folder / "shop-v1.zip", folder / "shop-v2.zip"
    if not v2.exists():
        if dev.exists():
            raise SystemExit(f"{dev} exists without {v2}: remove it and run again")
        projects.create_project(dev)
        apps.build(dev, [apps.complete(apps.sqlite_database()), *apps.SHOP_APP])
        export_project(Project(dev), v1)
        apps.build(dev, VERSION_2)
        export_project(Project(dev), v2)
    return dev, v1, v2


if __name__ == "__main__":
    for path in make(sys.argv[1]):
        print(path)
