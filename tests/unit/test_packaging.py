"""What the collection ships: the tarball `ansible-galaxy collection build` makes from a
checkout that ran the tests, the execution environment ansible-builder makes from it, the
licence and the declared dependencies."""
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"

# What tools leave in a checkout (tests, linters, builds): none of it may ship.
LEFTOVERS = (".cache/collections/x.yml", ".venv/bin/python", ".hypothesis/examples/x",
             ".pytest_cache/v/cache/nodeids", "tests/.pytest_cache/README.md",
             "tests/unit/__pycache__/test_x.cpython-311.pyc", "plugins/modules/x.pyc",
             "tests/output/junit.xml", "artifacts/shop.zip", "context/Containerfile",
             ".ansible/collections/x", "extensions/molecule/shared/.ansible/x",
             "jampy-deploy-0.0.1.tar.gz", ".ci/run", "scripts/lock.sh",
             "requirements/dev.lock", ".mypy_cache/x", ".ruff_cache/x", ".tox/x",
             "benchmarks/results/x.json")
UNWANTED = re.compile(r"(^|/)(\.cache|\.venv|\.hypothesis|\.pytest_cache|__pycache__|\.ansible"
                      r"|\.mypy_cache|\.ruff_cache|\.tox|\.ci|\.git|scripts|requirements"
                      r"|artifacts|context)(/|$)|\.pyc$|\.tar\.gz$|^tests/output/"
                      r"|^benchmarks/results/|^(Makefile|pytest\.ini|ansible\.cfg)$")
WANTED = ("README.md", "LICENSE", "CHANGELOG.rst", "meta/runtime.yml",
          "meta/execution-environment.yml", "meta/ee-requirements.txt", "bindep.txt",
          "plugins/modules/jam_import.py", "plugins/module_utils/engine/migrate/run.py",
          "roles/migrate/tasks/main.yml", "roles/project/files/locks/jam-5.4.136-sqlite.txt",
          "playbooks/deploy_new.yml", "docs/roles.md", "docs/execution-environment.yml",
          "changelogs/changelog.yaml")


def build(source, output):
    """The collection's tarball built from source into output."""
    subprocess.run([BIN / "ansible-galaxy", "collection", "build", "--output-path", output,
                    source], check=True, capture_output=True, text=True)
    return Path(output) / TARBALL


def members(tarball):
    with tarfile.open(tarball) as archive:
        return {member.name for member in archive.getmembers() if member.isfile()}


def copy_with_leftovers(destination):
    """The checkout's tracked files, plus every kind of leftover planted."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, destination / name)
    for name in LEFTOVERS:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        (destination / name).write_text("left over\n")
    return destination


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The tarball of this checkout as it is (after whatever tests ran in it)."""
    return build(REPO, tmp_path_factory.mktemp("build"))


def test_a_checkout_with_leftovers_builds_without_them(tmp_path):
    source = copy_with_leftovers(tmp_path / "checkout")
    shipped = members(build(source, tmp_path / "build"))
    assert not sorted(name for name in shipped if UNWANTED.search(name))
    assert set(WANTED) <= shipped, sorted(set(WANTED) - shipped)


def test_this_checkout_builds_what_a_collection_needs_and_nothing_else(tarball):
    shipped = members(tarball)
    assert not sorted(name for name in shipped if UNWANTED.search(name))
    assert set(WANTED) <= shipped, sorted(set(WANTED) - shipped)


def test_the_licence_is_the_gpl_galaxy_declares():
    assert GALAXY["license"] == ["GPL-3.0-or-later"] and "license_file" not in GALAXY
    text = (REPO / "LICENSE").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "any later version" in text


def test_dependencies_are_the_collections_the_content_uses():
    """Every collection a role, playbook or scenario names by FQCN (or a plugin imports),
    and no other, is declared - in galaxy.yml and in requirements.yml."""
    fqcn = re.compile(r"\b((?:community|ansible)\.[a-z0-9_]+)\.[a-z0-9_]+\b")
    used = set()
    for path in [*(REPO / "roles").rglob("*.yml"), *(REPO / "playbooks").rglob("*.yml"),
                 *(REPO / "extensions").rglob("*.yml")]:
        used |= set(fqcn.findall(path.read_text()))
    for path in (REPO / "plugins").rglob("*.py"):
        used |= set(re.findall(r"ansible_collections\.([a-z0-9_]+\.[a-z0-9_]+)",
                               path.read_text()))
    used -= {"ansible.builtin", "jampy.deploy"}
    assert set(GALAXY["dependencies"]) == used
    requirements = yaml.safe_load((REPO / "requirements.yml").read_text())
    assert {entry["name"] for entry in requirements["collections"]} == used


def pins(path):
    """{package: version} of a requirements file's == lines."""
    found = {}
    for line in Path(path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            found[match[1].lower()] = match[2]
    return found


def test_execution_environment_pins_are_the_project_locks():
    """The image runs the modules with the packages the project role's venvs get."""
    ee = pins(REPO / "meta" / "ee-requirements.txt")
    project = REPO / "requirements" / "project"
    locked = {**pins(project / "modules.in"), **pins(project / "postgresql.in"),
              **pins(project / "mysql.in")}
    assert ee == locked


def test_ansible_builder_makes_a_context_that_installs_the_collection_and_its_needs(
        tarball, tmp_path):
    """docs/execution-environment.yml beside the tarball: `ansible-builder create` makes the
    build context; the build's own introspection (the context's script, run as the image's
    builder stage runs it, on the collection installed from the context) yields the
    collection's Python requirements and system packages."""
    shutil.copy(REPO / "docs" / "execution-environment.yml", tmp_path)
    shutil.copy(tarball, tmp_path)
    subprocess.run([BIN / "ansible-builder", "create", "--file", "execution-environment.yml",
                    "--context", "context", "--output-filename", "Containerfile"],
                   cwd=tmp_path, check=True, capture_output=True, text=True)
    build_dir = tmp_path / "context" / "_build"
    shipped = build_dir / "collections" / TARBALL
    assert shipped.is_file(), (f"docs/execution-environment.yml must name {TARBALL} "
                               f"(galaxy.yml's version)")
    assert {"meta/execution-environment.yml", "meta/ee-requirements.txt",
            "bindep.txt"} <= members(shipped)
    galaxy = yaml.safe_load((build_dir / "requirements.yml").read_text())
    assert galaxy["collections"] == [{"name": f"collections/{TARBALL}", "type": "file"}]
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "-r requirements.yml" in containerfile
    assert "introspect.py introspect --write-bindep=" in containerfile
    assert "install-from-bindep" in containerfile

    collections = tmp_path / "collections"
    subprocess.run([BIN / "ansible-galaxy", "collection", "install", "--force", "--no-deps",
                    "-p", collections, shipped], check=True, capture_output=True, text=True)
    pip_out, bindep_out = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    subprocess.run([sys.executable, build_dir / "scripts" / "introspect.py", "introspect",
                    f"--write-pip={pip_out}", f"--write-bindep={bindep_out}", collections],
                   check=True, capture_output=True, text=True)
    assert pins(pip_out) == pins(REPO / "meta" / "ee-requirements.txt")
    assert {name.lower() for name in pins(pip_out)} == {
        "sqlalchemy", "alembic", "psycopg2-binary", "mysqlclient"}
    wanted = [line for line in (REPO / "bindep.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert [line.partition("  #")[0] for line in bindep_out.read_text().splitlines()
            if line] == wanted


def test_bindep_names_what_each_platform_installs():
    """bindep's own parser: the build stage compiles mysqlclient, the image keeps the
    client library and mysqldump - on Debian and on the RPM family (the default images)."""
    from bindep.depends import Depends  # pylint: disable=import-outside-toplevel
    rules = Depends((REPO / "bindep.txt").read_text())

    def packages(*profiles):
        return {rule[0] for rule in rules.active_rules(list(profiles))}

    assert packages("platform:dpkg") == {"libmariadb3", "mariadb-client"}
    assert packages("platform:dpkg", "compile") >= {"gcc", "pkg-config", "libmariadb-dev",
                                                    "python3-dev"}
    assert packages("platform:rpm") == {"mariadb-connector-c", "mariadb"}
    assert packages("platform:rpm", "compile") >= {"gcc", "mariadb-connector-c-devel",
                                                   "pkgconf-pkg-config"}
