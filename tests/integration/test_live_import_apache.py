"""Jam.py 7.0.120 served as production runs it - Apache mod_wsgi, two daemon processes,
from a private Apache instance the apache role makes - while the migrate role imports
live: a logged-in client sending /api requests continuously gets no HTTP 5xx before,
during or after an import that adds a field and an item (privileges change: the role
restarts the application, and says why) and one that removes them; the new field is
served afterwards. The same through the role's ``migration_folder`` method (Jam.py's own
import at the restart)."""
import contextlib
import json
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.harness import apache_instance, hosting, jamenv, services
from tests.harness import demo_variants as variants
from tests.harness.ansible_run import run_playbook
from tests.harness.api_loop import ApiLoop, logged_in
from tests.harness.server import free_port

J70 = jamenv.ALL[2]

pytestmark = [
    pytest.mark.apache,
    pytest.mark.xdist_group("apache"),
    pytest.mark.skipif(os.geteuid() != 0 or not hosting.web_user_exists(),
                       reason="Apache is configured as root, the site runs as www-data"),
]


def playbook(folder, hosts_vars, role):
    book = folder / f"{role.split('.')[-1]}-{secrets.token_hex(3)}.yml"
    book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                 "vars": hosts_vars, "roles": [role]}]))
    inventory = folder / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    return run_playbook(book, "-i", str(inventory), "-v")


def migrate_while_serving(url, folder, site_vars, zip_path, **role_vars):
    """The migrate role run while ApiLoop works; returns (its output, the loop, seconds)."""
    loop = ApiLoop(url, form_login=True)
    loop.start()
    time.sleep(3)
    loop.during()
    started = time.monotonic()
    result = playbook(folder, {**site_vars, "jampy_migrate_zip": str(zip_path),
                               "jampy_migrate_staging_path": str(folder / "staging"),
                               **role_vars}, "jampy.deploy.migrate")
    seconds = time.monotonic() - started
    loop.after(10)  # mod_wsgi restarts a daemon at its next request after wsgi.py changed
    print(f"mod_wsgi: migrate role {seconds:.1f} s, requests {loop.figures()}")
    return result.stdout, loop, seconds


@contextlib.contextmanager
def mod_wsgi_site(database, tmp_path):
    """(url, the role variables of the site, (demo zip, zip with the field and the item)):
    the 7.0.120 demo on ``database`` served by two mod_wsgi daemon processes of a private
    Apache instance, removed afterwards."""
    services.apache()
    zips = variants.demo_zips(tmp_path / "zips", J70)
    site = hosting.new_site("live7")
    name = f"t{secrets.token_hex(2)[:3]}"
    instance = apache_instance.Instance(f"jampy-{name}")
    try:
        project = variants.serving_project(site / "demo", J70, database, zips[0])
        for path in [project, *project.rglob("*")]:
            shutil.chown(path, "www-data", "www-data")
        port = free_port()
        site_vars = {"jampy_project_name": name, "jampy_project_path": str(project),
                     "jampy_venv_path": str(J70.venv)}
        playbook(tmp_path, {**site_vars, "jampy_apache_port": port,
                            "jampy_apache_server_name": "localhost",
                            "jampy_apache_instance": instance.name,
                            "jampy_apache_wsgi_processes": 2}, "jampy.deploy.apache")
        yield f"http://127.0.0.1:{port}", site_vars, zips
    finally:
        instance.remove()
        hosting.remove_site(site)


def test_jam_70_under_mod_wsgi_serves_through_live_imports(pg_database, tmp_path):
    with mod_wsgi_site(pg_database, tmp_path) as (url, site_vars, (base, more)):
        output, loop, seconds = migrate_while_serving(url, tmp_path, site_vars, more)
        figures = f"migrate role {seconds:.1f} s; requests {loop.figures()}"
        assert "Jam.py 7.x: no maintenance flag" in output, output
        assert "Restarting the application: privileges or roles changed" in output, output
        assert loop.outcomes("during").get("served") and loop.outcomes("after").get("served"), \
            figures
        assert not loop.failures(), f"HTTP 5xx or failed requests: {figures}"
        client = logged_in(url, form_login=True)
        assert variants.NEW_FIELD in client.item("customers").field_names, figures
        assert client.open(variants.NEW_ITEM) == [], figures

        output, loop, seconds = migrate_while_serving(url, tmp_path, site_vars, base)
        figures = f"migrate role {seconds:.1f} s; requests {loop.figures()}"
        assert "drop column demo_customers.loyalty after they reloaded" in output, output
        assert not loop.failures(), f"HTTP 5xx or failed requests: {figures}"
        client = logged_in(url, form_login=True)
        assert variants.NEW_FIELD not in client.item("customers").field_names, figures


def test_jam_70_under_mod_wsgi_migration_folder(pg_database, tmp_path):
    """The migrate role's ``migration_folder`` method on 7.0.120: Jam.py's own import at
    the start of the daemon process that takes the first request after the restart, while
    the client's requests go to both daemon processes."""
    with mod_wsgi_site(pg_database, tmp_path) as (url, site_vars, (base, more)):
        migration = Path(site_vars["jampy_project_path"]) / "migration"
        assert not migration.exists()  # the role makes it
        output, loop, seconds = migrate_while_serving(
            url, tmp_path, site_vars, more, jampy_migrate_method="migration_folder",
            jampy_migrate_url=url)
        figures = f"migrate role {seconds:.1f} s; requests {loop.figures()}"
        assert "Fail with Jam.py's log unless the import succeeded" in output, output
        assert not list(migration.iterdir()), figures  # Jam.py imported and removed it
        client = logged_in(url, form_login=True)
        assert variants.NEW_FIELD in client.item("customers").field_names, figures
        # The restart reaches every daemon process before its next request, and a process
        # starting meanwhile waits for the one that imports: none answers from the
        # maintenance flag Jam.py's import sets (test_live_import_releases.py: a process
        # that is not restarted answers HTTP 500 until it is).
        assert loop.outcomes("during").get("served") and loop.outcomes("after").get("served"), \
            figures
        assert not loop.failures(), f"HTTP 5xx or failed requests: {figures}"
