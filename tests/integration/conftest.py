"""Fixtures for import tests: development versions of apps, and fresh target projects."""
import shutil

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from tests.harness import apps, databases, jamenv, projects, services


def export_zip(project_dir, dest):
    return export.export_project(Project(project_dir), dest).dest


@pytest.fixture(scope="session")
def demo_zip(tmp_path_factory):
    """Our export of the pristine sdist demo (a SQLite development project)."""
    root = tmp_path_factory.mktemp("demo-dev")
    dev = projects.copy_demo(root / "demo")
    return export_zip(dev, root / "demo.zip")


@pytest.fixture(scope="session")
def shop_versions_of(tmp_path_factory):
    """``versions(jam)``: [(label, zip)] of a release (5.x): SHOP_APP, then one more
    version per SHOP_EVOLUTION step, each made with that release's own Builder functions
    in a SQLite development project; made once per release."""
    made = {}

    def versions(jam):
        if jam.version not in made:
            root = tmp_path_factory.mktemp(f"shop-dev-{jam.version}")
            dev = projects.create_project(root / "shop", jam)
            apps.build(dev, [apps.complete(apps.sqlite_database()), *apps.SHOP_APP], jam=jam)
            made[jam.version] = [("shop", export_zip(dev, root / "v00.zip"))]
            for n, op in enumerate(apps.SHOP_EVOLUTION, 1):
                apps.build(dev, [op], jam=jam)
                label = f"{op['op']} {op.get('item', '')} " \
                        f"{op.get('field', op.get('name', ''))}".strip()
                made[jam.version].append((label, export_zip(dev, root / f"v{n:02d}.zip")))
        return made[jam.version]
    return versions


@pytest.fixture(scope="session")
def shop_versions(shop_versions_of):
    """The shop's versions made with the reference release, 5.4.136."""
    return shop_versions_of(jamenv.REFERENCE)


@pytest.fixture
def target_project(tmp_path):
    """``make(kind, name)``: a fresh project (of the release ``jam``, the reference one when
    not given) completed for a new, empty database."""
    made = []

    def make(kind, name="target", item_name="shop", jam=None):
        if kind == "sqlite":
            db = databases.ProjectDatabase(databases.SQLITE, str(tmp_path / f"{name}.sqlite"))
        else:
            server = services.database_server(kind)
            db = server.create()
            made.append((server, db))
        project = projects.create_project(tmp_path / name, jam)
        apps.build(project, [apps.complete(db, name=item_name.capitalize(), item_name=item_name)],
                   jam=jam)
        return project

    yield make
    for server, db in made:
        server.drop(db)


def copy_zip(zip_path, folder):
    """A private copy (Jam.py deletes the zips it imports)."""
    dest = folder / f"copy-{len(list(folder.glob('copy-*')))}.zip"
    shutil.copy(zip_path, dest)
    return dest
