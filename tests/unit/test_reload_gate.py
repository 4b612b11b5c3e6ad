"""jampy_reload_gate around a stand-in application whose requests block until released:
the order of events, deterministic (the real Jam.py behind it:
tests/integration/test_live_import_releases.py, six concurrent clients)."""
import importlib.util
import threading
from pathlib import Path

GATE_PATH = Path(__file__).resolve().parents[2] / "roles" / "project" / "files" / \
    "jampy_reload_gate.py"


def gate_module():
    spec = importlib.util.spec_from_file_location("jampy_reload_gate", GATE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Held:
    """A WSGI app whose calls record their path and wait for their release."""

    def __init__(self):
        self.started, self.releases, self.lock = [], {}, threading.Lock()

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        release = threading.Event()
        with self.lock:
            self.releases[path] = release
            self.started.append(path)
        release.wait(10)
        return [path.encode()]


def call(gate, path):
    thread = threading.Thread(target=gate, args=({"PATH_INFO": path}, None), daemon=True)
    thread.start()
    return thread


def wait_until(condition):
    for unused in range(500):
        if condition():
            return True
        threading.Event().wait(0.01)
    return False


def test_the_first_api_request_after_a_new_marker_runs_alone(tmp_path):
    locks = tmp_path / "locks"
    locks.mkdir()
    (locks / "$buildID_1_1").touch()
    app = Held()
    gate = gate_module().ReloadGate(app, str(tmp_path))

    slow = call(gate, "/api/slow")  # under way when the import bumps the versions
    assert wait_until(lambda: app.started == ["/api/slow"])
    (locks / "$buildID_1_1").rename(locks / "$buildID_2_2")
    reload = call(gate, "/api/reload")
    assert wait_until(lambda: gate.alone)
    other = call(gate, "/index.html")
    threading.Event().wait(0.2)
    assert app.started == ["/api/slow"]  # the reload waits for the request under way
    app.releases["/api/slow"].set()
    slow.join(5)
    assert wait_until(lambda: app.started == ["/api/slow", "/api/reload"])
    threading.Event().wait(0.2)
    assert app.started == ["/api/slow", "/api/reload"]  # the others wait for the reload
    app.releases["/api/reload"].set()
    reload.join(5)
    assert wait_until(lambda: app.started[-1:] == ["/index.html"])
    app.releases["/index.html"].set()
    other.join(5)
    assert gate.seen == "$buildID_2_2" and gate.running == 0 and not gate.alone

    # The same marker again: requests pass concurrently; a non-/api request never waits.
    first, second = call(gate, "/api/a"), call(gate, "/api/b")
    assert wait_until(lambda: {"/api/a", "/api/b"} <= set(app.started))
    (locks / "$buildID_2_2").rename(locks / "$buildID_3_3")
    page = call(gate, "/js/demo.js")
    assert wait_until(lambda: "/js/demo.js" in app.started) and not gate.alone
    for path in ("/api/a", "/api/b", "/js/demo.js"):
        app.releases[path].set()
    for thread in (first, second, page):
        thread.join(5)
    assert gate.seen == "$buildID_2_2"  # left for the next /api request
