"""A real Jam.py process serving a project on loopback, and a small client for its /api."""
import gzip
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from . import jamenv

# Jam.py response statuses (facts §0).
NOT_LOGGED, MAINTENANCE, MODIFIED, RESPONSE = 5, 7, 8, 9


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JamClient:
    """Speaks Jam.py's JSON protocol: POST /api [method, task_id, item_id, params, modification]."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.modification = 0

    def get(self, path, timeout=30):
        with self.opener.open(self.base_url + path, timeout=timeout) as response:
            return response.status, response.read()

    def api(self, method, task_id=1, item_id=0, params=None, timeout=60):
        body = json.dumps([method, task_id, item_id, params or [], self.modification]).encode()
        request = urllib.request.Request(
            self.base_url + "/api", data=body,
            headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"},
        )
        with self.opener.open(request, timeout=timeout) as response:
            data = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
        answer = json.loads(data)
        result = answer.get("result") or {}
        if result.get("modification") is not None:
            self.modification = result["modification"]
        return answer

    def status(self, method="load", task_id=1, item_id=0, params=None):
        return (self.api(method, task_id, item_id, params).get("result") or {}).get("status")

    def login(self, login="admin", password="111", task_id=1):
        return self.api("login", task_id, 0, [{"login": login, "password": password}])


class JamServer:
    """Start `jamside/serve.py` for a project and stop it (process group) on exit."""

    def __init__(self, project_dir, port=None, log_path=None):
        self.project_dir = Path(project_dir)
        self.port = port or free_port()
        self.log_path = Path(log_path or self.project_dir.parent / f"jam-{self.port}.log")
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        return JamClient(self.url)

    def start(self, timeout=60):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [jamenv.jam_python(), str(jamenv.JAMSIDE / "serve.py"), str(self.project_dir), str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Jam.py exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"Jam.py did not listen on {self.port} within {timeout}s:\n{self.log()}")

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
