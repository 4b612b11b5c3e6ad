"""Users' writes under concurrent load while jam_import runs a live import.

The shop app (tests/harness/apps.py) deployed from its export into a production project
served by Apache/mod_wsgi (the role jampy.deploy.apache, an instance of this test's own,
several daemon processes and threads; the project role's wsgi.py, with its reload gate),
safe mode on. CLIENTS users, each logged in with an
account of their own, insert, update and read customers continuously (tests/harness/
load.py) while jam_import, through ansible-playbook, imports the next version of the app:
a new field of customers and a new item. Every write acknowledged before, during or after
the import must be there afterwards with its values; no request may get a server error or
a refused connection. On 5.x the import has a maintenance window: inside it the site
answers "under maintenance" (status 7). 7.x has none (jam.protocol, LIVE): the site serves
all along, and the new field once its processes see the new metadata. The figures (window
length from the users' view and from jam_import's result, requests per outcome) are
printed and go into docs/reliability.md.

Bounded: CLIENTS threads, at most MAX_REQUESTS requests each and LOAD_SECONDS in all,
loopback only. Parametrized over Jam.py releases (`jamenv.JamEnv`): 5.4.136 and 7.0.120 on
both databases, 5.5.4 (5.4's release line) on PostgreSQL; each release's app is built with
its own Builder functions.
"""
import json
import os
import secrets
import shutil
import sys
import threading
import time

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.admin import accounts, settings
from ansible_collections.jampy.deploy.plugins.module_utils.engine.archive import export
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.project import Project
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from tests.harness import apache_instance, apps, databases, hosting, jamenv, load, projects, \
    services
from tests.harness.ansible_run import run_module, run_playbook
from tests.harness.server import JamStatusError, free_port

pytestmark = [
    pytest.mark.apache,
    pytest.mark.xdist_group("apache"),
    pytest.mark.skipif(os.geteuid() != 0 or not hosting.web_user_exists(),
                       reason="the load test serves a project with Apache as root"),
]

CLIENTS = 20
IMPORT_DELAY = 3          # seconds the window stays open before anything changes
SETTLE = 3                # seconds of load before and after the import
LOAD_SECONDS = 240        # hard bound on the whole load
MAX_REQUESTS = 1500       # per user
WSGI_PROCESSES, WSGI_THREADS = 2, 5
NEW_FIELD, NEW_ITEM = "phone", "suppliers"
J54, J55, J70 = jamenv.ALL
# (the shop, its next version: a field of customers and an item more) per release line;
# Jam.py 7.0's Builder script has operations of its own (jamside/builder70.py).
VERSIONS = {
    5: ([apps.complete(apps.sqlite_database()), *apps.SHOP_APP],
        [apps.add_field("customers", NEW_FIELD, "Phone", size=40),
         apps.add_item("catalogs", NEW_ITEM, "Suppliers", soft_delete=False,
                       fields=[apps.field("name", "Name", size=60, required=True)])]),
    7: ([{"op": "complete", **apps.sqlite_database().as_connection()},
         {"op": "add_item", "group": "catalogs", "name": "customers", "fields": [
             {"name": "name", "size": 80}, {"name": "email", "size": 120}]}],
        [{"op": "add_field", "item": "customers", "name": NEW_FIELD, "size": 40},
         {"op": "add_item", "group": "catalogs", "name": NEW_ITEM, "fields": [
             {"name": "name", "size": 60}]}]),
}
# Phases of jam_import's result that run with the site under maintenance.
WINDOW_PHASES = ("maintenance", "import_delay", "database", "admin", "files")


def app_versions(jam, root):
    """Exports of the shop app (v1) and of its next version (v2), from a development project
    of the release on SQLite built with its own Builder code."""
    first, second = VERSIONS[jam.major]
    dev = projects.create_project(root / "dev", jam)
    apps.build(dev, first, jam=jam)
    v1 = export.export_project(Project(dev), root / "v1.zip").dest
    apps.build(dev, second, jam=jam)
    v2 = export.export_project(Project(dev), root / "v2.zip").dest
    return v1, v2


def _database(kind, folder):
    if kind == "sqlite":
        return databases.ProjectDatabase(databases.SQLITE, str(folder / "shop.sqlite")), None
    server = services.database_server(kind)
    return server.create(), server


def _accounts(project, count):
    """``count`` users of the project's administrators' role, each with a random password."""
    role = next(iter(accounts.roles(project).values()))
    users = []
    for number in range(count):
        login, password = f"load{number:02d}", secrets.token_urlsafe(12)
        accounts.apply_account(project, accounts.plan_account(
            project, accounts.AccountSpec(login=login, role=str(role), password=password)))
        users.append((login, password))
    return users


def _serve(project, jam, instance, port, workdir):
    """The role jampy.deploy.apache for the project, in the Apache instance ``instance``."""
    inventory = workdir / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    play = [{"name": "Serve the shop", "hosts": "localhost", "gather_facts": False,
             "vars": {"jampy_project_name": instance.name.removeprefix("jampy-"),
                      "jampy_project_path": str(project), "jampy_venv_path": str(jam.venv),
                      "jampy_apache_port": port, "jampy_apache_server_name": "localhost",
                      "jampy_apache_instance": instance.name,
                      "jampy_apache_wsgi_processes": WSGI_PROCESSES,
                      "jampy_apache_wsgi_threads": WSGI_THREADS},
             "roles": ["jampy.deploy.apache"]}]
    book = workdir / "serve.json"
    book.write_text(json.dumps(play))
    run_playbook(book, "-i", str(inventory))


@pytest.fixture
def site(tmp_path, request):
    """(url, project, users, v2 zip): the shop v1 on the database ``request.param``, served
    by Apache, safe mode on, CLIENTS accounts."""
    kind, jam = request.param
    services.apache()
    jam.python()
    folder = hosting.new_site("load")
    db, server = _database(kind, folder)
    instance = apache_instance.Instance(f"jampy-l{secrets.token_hex(2)}")
    try:
        v1, v2 = app_versions(jam, tmp_path)
        project = projects.create_project(folder / "shop", jam)
        apps.build(project, [apps.complete(db)], jam=jam)
        run_import(project, v1, ImportOptions(import_delay=0))
        proj = Project(project)
        settings.apply_settings(proj, settings.plan_settings(proj, {"safe_mode": True}))
        users = _accounts(proj, CLIENTS)
        v2 = shutil.copy(v2, folder / "v2.zip")
        projects.role_wsgi(project, modules_beside=True)
        for path in [folder, *folder.rglob("*")]:
            shutil.chown(path, hosting.WEB_USER, hosting.WEB_USER)
        port = free_port()
        _serve(project, jam, instance, port, tmp_path)
        yield f"http://127.0.0.1:{port}", project, users, v2, jam
    finally:
        instance.remove()
        hosting.remove_site(folder)
        if server:
            server.drop(db)


def _live_import(project, v2):
    """jam_import through ansible-playbook; its result and when it started and ended."""
    time.sleep(SETTLE)  # load before the window
    started = time.monotonic()
    result = run_module("jampy.deploy.jam_import", {
        "project_path": str(project), "src": str(v2), "import_delay": IMPORT_DELAY})
    ended = time.monotonic()
    time.sleep(SETTLE)  # load after the window
    return result, (started, ended)


def _logged_in(url, account, form_login, seconds=60):
    """A user's client, once a (restarted) process answers: status 3 while it loads."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return load.logged_in(url, account, form_login)
        except JamStatusError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# 5.5.4 is 5.4's release line: PostgreSQL only, to keep the suite's time.
SITES = [(kind, jam) for jam in (J54, J70) for kind in ("postgresql", "sqlite")] + \
    [("postgresql", J55)]


@pytest.mark.parametrize("site", SITES,
                         ids=lambda p: f"{p[1]}-{p[0]}", indirect=True)
def test_acknowledged_writes_survive_a_live_import_under_load(site):
    url, project, users, v2, jam = site
    live = jam.major >= 7
    report, (result, (started, ended)) = load.run(
        url, "customers", users, ["name", "email", NEW_FIELD], threading.Event(),
        LOAD_SECONDS, MAX_REQUESTS, during=lambda: _live_import(project, v2), form_login=live)
    if live:  # no maintenance window: the phases are before, while and after jam_import
        report.window = (started, ended)
    summary = report.summary()
    window = sum(result["seconds"].get(phase, 0) for phase in WINDOW_PHASES)
    figures = (f"{jam}: {CLIENTS} users, {summary['requests']} requests; "
               f"{'import' if live else 'window'} seen by the users "
               f"{summary['window_seconds']} s, maintenance {result['maintenance']} "
               f"{window:.2f} s by jam_import (import delay {IMPORT_DELAY} s, jam_import "
               f"{ended - started:.1f} s in all, phases {result['seconds']}); "
               f"answers {json.dumps(summary['counts'])}; failed requests "
               f"{summary['problem_count']}: {summary['problems'][:5]}")
    print(figures)
    assert result["changed"], figures
    assert summary["lost_count"] == 0, f"lost: {summary['lost']}\n{figures}"
    assert not [a for a in report.problems if load.site_failure(a.outcome)], \
        f"problems: {summary['problems']}\n{figures}"
    counts = summary["counts"]
    # Writes were acknowledged before and after the import; during it 5.x answered "under
    # maintenance" (once the window opened for each process), 7.x kept serving.
    for phase in ("before", "after"):
        assert counts.get(phase, {}).get("insert served", 0) > CLIENTS, figures
    # No request failed: on 7.x each process rebuilds its task tree in place while its
    # other threads serve, and the reload gate of the role's wsgi.py lets it do so alone.
    assert summary["problem_count"] == 0, f"problems: {summary['problems']}\n{figures}"
    if live:
        assert result["maintenance"] == "live", figures
        assert counts["during"].get("insert served", 0) > 0, figures
        assert not [k for phase in counts.values() for k in phase
                    if k.endswith(load.MAINTENANCE)], figures
    else:
        assert result["maintenance"] == "flag", figures
        assert counts["during"].get("insert under maintenance", 0) > 0, figures
        assert 0 < summary["window_seconds"] < window + 2, figures
        assert window >= IMPORT_DELAY, figures
        # Its processes rebuild their task trees inside the window: no page sees one
        # half-built.
        assert not [k for phase in counts.values() for k in phase
                    if k.endswith(load.INCOMPLETE)], figures
    # The processes loaded the new metadata during the import, not at users' requests after.
    assert not [k for phase in ("during", "after") for k in counts.get(phase, {})
                if k.endswith(load.LOADING)], figures

    # The new field and the new item are served to a user afterwards (the new item's
    # privileges once the application restarted, as the migrate role does it).
    if result["restart_needed"]:
        (project / "wsgi.py").touch()
    client = _logged_in(url, users[0], live)
    stored = client.open("customers", where={f"{NEW_FIELD}__startwith": NEW_FIELD})
    assert stored, f"no customer with a {NEW_FIELD} written after the import\n{figures}"
    assert client.item(NEW_ITEM).field("name")
    new_id = client.insert(NEW_ITEM, {"name": "Acme"})
    assert [r["name"] for r in client.open(NEW_ITEM, where={"id": new_id})] == ["Acme"]
