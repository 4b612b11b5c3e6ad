"""The role jampy.deploy.apache applied with ansible-playbook, serving a real Jam.py 5.4.136
project (the sdist demo) through mod_wsgi in daemon mode.

Needs root and Debian's apache2 + libapache2-mod-wsgi-py3 (`scripts/services.sh`); the
browser test needs Debian's chromium. The role serves the site from an Apache instance of
the test's own (jampy_apache_instance: its configuration root, log folder, ports and pid
file), removed with the project at the end: the machine's main Apache, and whatever `make
demo` left running there, is never touched. pytest-xdist may split this module's tests over
two workers: each then converges a site in an instance of its own, on ports of its own.
"""
import http.client
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness import apache_instance, jamenv, projects, services
from tests.harness.ansible_run import REPO, run_playbook
from tests.harness.server import RESPONSE, JamClient, JamServer

TEST_ROOT = Path("/srv/jampy-tests")
OUTPUT = REPO / "tests" / "output"
SECRET = "SECRET-MARKER"

pytestmark = [
    pytest.mark.apache,
    pytest.mark.xdist_group("apache"),
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="the apache role test needs root (it configures this machine's Apache)"),
]


@pytest.fixture(autouse=True, scope="module")
def apache_installed():
    services.apache()


# Files that must never be served. Each is created (so that a 404 cannot come from its
# absence) with SECRET in it; the paths in the comments are what Jam.py alone answers.
PLANTED = [
    "logs/x", "logs/import_x.log", "migration/x", "locks/x", "backups/x", "utils/x.py",
    "static/internal/x.zip",      # Jam.py serves every file under static/ (200)
    "static/internal/x.txt",
    "static/files/x.sqlite",      # ditto: uploads folder
    "js/x.py",                    # Jam.py serves every file in js/ (200)
    "css/x.sqlite",               # ... and in css/ (200)
    "x.log", "x.zip", ".git/config", "static/.env",
]
REFUSED = [
    "/admin.sqlite", "/demo.sqlite", "/logs/x", "/logs/import_x.log", "/logs/", "/migration/x",
    "/locks/x", "/backups/x", "/utils/x.py", "/wsgi.py", "/server.py", "/static/internal/x.zip",
    "/static/internal/x.txt", "/static/internal/", "/static//internal/x.txt",
    "/static/%69nternal/x.txt", "/static/./internal/x.zip", "/static/files/x.sqlite",
    "/js/x.py", "/css/x.sqlite", "/css/x.SQLITE", "/ADMIN.SQLITE", "/x.log", "/x.zip",
    "/.git/config", "/static/.env", "/static/../admin.sqlite", "/static/%2e%2e/admin.sqlite",
    "/admin.html", "/builder.html", "/static/img/",
]
# What Jam.py itself (no Apache in front) serves of the above: found by test_jampy_alone.
SERVED_BY_JAMPY_ALONE = {
    "/static/internal/x.zip", "/static/internal/x.txt", "/static/%69nternal/x.txt", "/static/./internal/x.zip", "/static/files/x.sqlite",
    "/js/x.py", "/css/x.sqlite", "/static/.env", "/admin.html", "/builder.html",
}


def _port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _free_ports(count):
    """Free ports from a range of this xdist worker's own (two workers never pick the same)."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    start = 18080 + 200 * worker
    ports = []
    for port in range(start, start + 200):
        if _port_free(port):
            ports.append(port)
            if len(ports) == count:
                return ports
    pytest.fail(f"no {count} free ports from {start}")


MAIN_CONF = Path("/etc/apache2")


def _tree_digest(root):
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path).encode())
        digest.update(os.readlink(path).encode() if path.is_symlink() else
                      path.read_bytes() if path.is_file() else b"/")
    return digest.hexdigest()


def _can_read_as(user, path):
    return subprocess.run(["runuser", "-u", user, "--", "test", "-r", str(path)],
                          capture_output=True, check=False).returncode == 0


def _recap(output):
    """(changed, failed) from the PLAY RECAP line of localhost."""
    match = re.search(r"^localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)",
                      output, re.M)
    assert match, f"no PLAY RECAP in:\n{output}"
    return int(match.group(1)), int(match.group(2))


def _get(port, path, tls_context=None, host="localhost"):
    """A raw GET (the path is sent exactly as given); returns (status, headers, body)."""
    return _request(port, "GET", path, None, tls_context, host)


def _request(port, method, path, body, tls_context=None, host="localhost"):
    if tls_context:
        conn = http.client.HTTPSConnection(host, port, timeout=60, context=tls_context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Host": host})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _daemon_processes(process_name):
    """[(pid, user)] of the mod_wsgi daemon processes shown as (wsgi:<name>) (mod_wsgi cuts
    the display name to the length of Apache's own argv[0], /usr/sbin/apache2)."""
    shown = f"(wsgi:{process_name})"[:len("/usr/sbin/apache2")]
    out = subprocess.run(["ps", "-eo", "pid=,user=,args="], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for line in out.splitlines():
        pid, user, args = line.split(None, 2)
        if args.split()[0] == shown:
            found.append((int(pid), user))
    return found


class Site:
    """The project, its playbook and what the tests need to reach it."""

    def __init__(self, root, workdir, project, name, port, tls_port):
        self.instance = apache_instance.Instance(f"jampy-{name}")
        self.conf = self.instance.conf_dir
        self.logs = self.instance.log_dir
        self.root = root
        self.workdir = workdir
        self.project = project
        self.name = name
        self.port = port
        self.tls_port = tls_port
        self.site_file = self.conf / "sites-available" / f"jampy-{name}.conf"
        self.base_vars = {
            "jampy_project_name": name,
            "jampy_project_path": str(project),
            "jampy_venv_path": str(jamenv.VENV),
            "jampy_apache_port": port,
            "jampy_apache_server_name": "localhost",
            "jampy_apache_instance": self.instance.name,
        }
        self.inventory = workdir / "inventory.yml"
        self.inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def converge(self, *options, extra_vars=None, post_tasks=None, expect_failure=False):
        """Apply the role; returns (changed, output)."""
        play = [{"name": "Apply jampy.deploy.apache", "hosts": "localhost",
                 "gather_facts": False, "vars": {**self.base_vars, **(extra_vars or {})},
                 "roles": ["jampy.deploy.apache"], "tasks": post_tasks or []}]
        book = self.workdir / f"play-{secrets.token_hex(3)}.yml"
        book.write_text(json.dumps(play))
        result = run_playbook(book, "-i", str(self.inventory), *options, check=False)
        output = result.stdout + result.stderr
        changed, failed = _recap(output)
        if expect_failure:
            assert result.returncode != 0 and failed, output
        else:
            assert result.returncode == 0 and not failed, output
        return changed, output


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    jamenv.jam_python()  # the Jam.py venv (made from /usr/bin/python3, as mod_wsgi needs)
    if not _can_read_as("www-data", jamenv.VENV / "pyvenv.cfg"):
        pytest.fail(f"www-data cannot read the Jam.py venv {jamenv.VENV}: give its parent "
                    "folders o+x and the venv o+rX (or set JAMPY_DEPLOY_CACHE elsewhere)")
    TEST_ROOT.mkdir(parents=True, exist_ok=True)
    TEST_ROOT.chmod(0o755)
    root = TEST_ROOT / secrets.token_hex(4)
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    project = projects.copy_demo(root / "demo")
    _plant(project)
    shutil.chown(project, "www-data", "www-data")
    for path in project.rglob("*"):
        shutil.chown(path, "www-data", "www-data")

    name = f"t{secrets.token_hex(2)[:3]}"  # "(wsgi:jampy-tXXX)" fits in ps
    port, tls_port = _free_ports(2)
    workdir = tmp_path_factory.mktemp("apache-role")
    site = Site(root, workdir, project, name, port, tls_port)
    main_conf = _tree_digest(MAIN_CONF)
    try:
        yield site
    finally:
        site.instance.remove()
        shutil.rmtree(root, ignore_errors=True)
        assert _tree_digest(MAIN_CONF) == main_conf, "the main Apache's configuration changed"


@pytest.fixture(scope="module")
def converged(site):
    """The first converge (every later test starts from this state)."""
    started = time.monotonic()
    changed, output = site.converge()
    site.first_converge = (changed, output, time.monotonic() - started)
    return site


def test_converge(converged):
    changed, output, seconds = converged.first_converge
    assert changed >= 1, output
    assert converged.site_file.exists()
    enabled = converged.conf / "sites-enabled" / converged.site_file.name
    assert enabled.is_symlink() and enabled.resolve() == converged.site_file
    # The instance holds this site only and listens only on its port.
    assert [p.name for p in (converged.conf / "sites-enabled").iterdir()] == [enabled.name]
    assert "Listen" not in (converged.conf / "ports.conf").read_text()
    assert (converged.conf / "mods-enabled" / "wsgi.load").exists()
    assert (converged.conf / "conf-enabled" / "jampy-servername.conf").exists()
    assert converged.instance.running()
    print(f"first converge: {seconds:.1f}s, changed={changed}")


def test_second_converge_changes_nothing(converged):
    changed, output = converged.converge()
    assert changed == 0, output


def test_configuration_passes_configtest(converged):
    result = converged.instance.ctl("configtest")
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr + result.stdout
    assert "AH00558" not in result.stderr + result.stdout
    text = converged.site_file.read_text()
    assert (f"WSGIDaemonProcess jampy-{converged.name} user=www-data group=www-data processes=1 "
            f"threads=5 python-home={jamenv.VENV} python-path={converged.project} "
            "lang=C.UTF-8 locale=C.UTF-8 display-name=%{GROUP}") in text
    assert f"WSGIScriptAlias / {converged.project}/wsgi.py" in text
    assert "WSGIApplicationGroup %{GLOBAL}" in text


def test_jampy_answers_through_apache(converged):
    client = JamClient(converged.url)
    info = client.load()
    assert info["status"] == RESPONSE
    customers = client.open("customers", limit=5)
    assert customers and all(record["id"] for record in customers)
    # The application runs in the daemon process, as the web user.
    daemons = _daemon_processes(f"jampy-{converged.name}")
    assert daemons and {user for pid, user in daemons} == {"www-data"}
    status, headers, body = _get(converged.port, "/")
    assert status == 200 and b"<html" in body.lower()
    assert headers.get("X-Content-Type-Options") == "nosniff"
    # lang/locale keep Python from warning about the file system encoding.
    error_log = (converged.logs / f"jampy-{converged.name}_error.log").read_text(errors="replace")
    assert "BrokenFilesystemWarning" not in error_log


def test_apache_tells_little_about_itself(converged):
    status, headers, body = _get(converged.port, "/admin.sqlite")  # Apache's own 403 page
    assert status == 403 and headers["Server"] == "Apache"  # ServerTokens Prod: no version, OS
    assert b"Apache/" not in body and b"Debian" not in body  # ServerSignature Off
    assert _request(converged.port, "TRACE", "/", None)[0] == 405  # TraceEnable Off


def test_static_files_are_served_by_apache(converged):
    status, headers, body = _get(converged.port, "/static/img/j.png")
    assert status == 200
    assert body == (converged.project / "static/img/j.png").read_bytes()
    assert headers.get("Content-Type") == "image/png"


@pytest.mark.parametrize("path", REFUSED)
def test_sensitive_paths_are_refused(converged, path):
    status, _headers, body = _get(converged.port, path)
    assert status in (403, 404), f"{path} answered {status}: {body[:200]!r}"
    assert SECRET.encode() not in body and not body.startswith(b"SQLite format")


def _plant(project):
    for rel in PLANTED:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{SECRET} {rel}\n")


def test_jampy_alone(tmp_path):
    """What Jam.py's own routes answer for the same paths, without Apache in front (on a
    copy of the project, served on loopback): the reason for the URL rules (static/internal,
    js/, css/, the Builder's page)."""
    project = projects.copy_demo(tmp_path / "demo")
    _plant(project)
    served = set()
    with JamServer(project) as server:
        for path in REFUSED:
            status, _headers, body = _get(server.port, path)
            if status == 200 and (SECRET.encode() in body or path.endswith(".html")):
                served.add(path)
    assert served == SERVED_BY_JAMPY_ALONE


def test_check_mode_reports_without_touching(converged):
    before = converged.site_file.read_bytes()
    mtime = converged.site_file.stat().st_mtime_ns
    apache_log = (converged.logs / "error.log").read_text(errors="replace")
    changed, output = converged.converge("--check", "--diff",
                                         extra_vars={"jampy_apache_wsgi_threads": 7})
    assert changed >= 1, output
    assert "-WSGIDaemonProcess" in output and "threads=7" in output
    assert converged.site_file.read_bytes() == before
    assert converged.site_file.stat().st_mtime_ns == mtime
    # No reload happened either.
    assert (converged.logs / "error.log").read_text(errors="replace").count("graceful") == \
        apache_log.count("graceful")


def test_broken_directive_is_rolled_back(converged):
    before = converged.site_file.read_bytes()
    output = converged.converge(extra_vars={"jampy_apache_extra_directives": "NoSuchDirective on"},
                                expect_failure=True)[1]
    assert "Configuring Apache failed: Check the new configuration (AH00526" in output
    assert "previous version of the site was put back" in output
    assert converged.site_file.read_bytes() == before
    assert not list(converged.site_file.parent.glob(converged.site_file.name + ".*"))
    changed, output = converged.converge()
    assert changed == 0, output


def test_restart_jampy_app_handler(converged):
    """Notifying "restart jampy app" touches wsgi.py: the next request runs in a new daemon."""
    process = f"jampy-{converged.name}"
    _get(converged.port, "/")
    before = {pid for pid, user in _daemon_processes(process)}
    assert before
    changed, output = converged.converge(post_tasks=[{
        "name": "Pretend the project's code changed",
        "ansible.builtin.debug": {"msg": "code changed"},
        "changed_when": True,
        "notify": "restart jampy app"}])
    assert "Touch the WSGI script" in output and changed == 2, output
    client = JamClient(converged.url)
    assert client.load()["status"] == RESPONSE
    after = {pid for pid, user in _daemon_processes(process)}
    assert after and not after & before


def test_restart_app_task_file(converged):
    process = f"jampy-{converged.name}"
    _get(converged.port, "/")
    before = {pid for pid, user in _daemon_processes(process)}
    play = [{"name": "Restart the application", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Restart", "ansible.builtin.include_role": {
                 "name": "jampy.deploy.apache", "tasks_from": "restart_app"},
                 "vars": {"jampy_project_name": converged.name,
                          "jampy_project_path": str(converged.project)}}]}]
    book = converged.workdir / "restart.yml"
    book.write_text(json.dumps(play))
    result = run_playbook(book, "-i", str(converged.inventory))
    assert _recap(result.stdout)[0] == 1
    assert _get(converged.port, "/")[0] == 200
    after = {pid for pid, user in _daemon_processes(process)}
    assert after and not after & before


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_browser_shows_the_application(converged, tmp_path):
    chromium = services.chromium()
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--virtual-time-budget=20000", "--window-size=1280,800"]
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-dom'}", "--dump-dom", converged.url + "/"],
        capture_output=True, text=True, timeout=120, check=True).stdout
    menu = re.search(r'<ul id="menu" class="nav">(.*?)</ul>\s*<ul id="menu-right"', dom, re.S)
    assert menu, dom[:2000]
    for caption in ("Invoices", "Catalogs", "Reports", "Dashboard"):
        assert caption in menu.group(1)
    assert "Traceback" not in dom and "alert-error" not in dom
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "apache_role_demo.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-shot'}", f"--screenshot={shot}",
         converged.url + "/"],
        capture_output=True, timeout=120, check=True)
    data = shot.read_bytes()
    assert len(data) > 10_000
    assert _png_size(data) == (1280, 800)


def test_tls_with_redirect(converged, tmp_path):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], capture_output=True, check=True)
    key.chmod(stat.S_IRUSR | stat.S_IWUSR)
    tls = {"jampy_apache_tls": True, "jampy_apache_tls_port": converged.tls_port,
           "jampy_apache_tls_certificate": str(cert), "jampy_apache_tls_certificate_key": str(key)}
    try:
        changed, output = converged.converge(extra_vars=tls)
        assert changed >= 1, output
        changed, output = converged.converge(extra_vars=tls)
        assert changed == 0, output
        status, headers, _body = _get(converged.port, "/static/img/j.png")
        assert status == 301
        assert headers["Location"] == f"https://localhost:{converged.tls_port}/static/img/j.png"
        context = ssl.create_default_context(cafile=str(cert))
        status, headers, body = _get(converged.tls_port, "/", tls_context=context)
        assert status == 200 and b"<html" in body.lower()
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
        # Jam.py's session cookie (an anonymous session: this demo has no safe mode) is
        # marked Secure over HTTPS.
        status, headers, _body = _request(converged.tls_port, "POST", "/api",
                                          b'["load", null, 0, [], 0]', tls_context=context)
        assert status == 200 and "Set-Cookie" in headers, headers
        assert headers["Set-Cookie"].rstrip().endswith("; Secure"), headers["Set-Cookie"]
        for path in ("/admin.sqlite", "/static/internal/x.zip", "/js/x.py"):
            status, _headers, body = _get(converged.tls_port, path, tls_context=context)
            assert status in (403, 404) and SECRET.encode() not in body, path
    finally:
        converged.converge()
    assert _get(converged.port, "/static/img/j.png")[0] == 200
