# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WSGI middleware that lets a Jam.py process reload its metadata alone.

After an import the versions in admin.sqlite are bumped and the marker
``locks/$buildID_<build>_<params>`` renamed; each Jam.py process notices at its next
``/api`` request and rebuilds its task tree in place (``App.check_build``), while the
process's other threads that are already past that check serve from the half-built
tree. Measured on Jam.py 7.0.120 with six clients without pause (docs/reliability.md):
a ``load`` answering an empty task tree, ``'Task' object has no attribute 'db'``, in 4 of
6 imports. Jam.py 5.x avoids it by reloading under its maintenance flag; 7.x cannot take
the flag.

The gate: while the marker stays the same, requests pass concurrently. The first
``/api`` request that sees another marker waits until the requests under way have
returned, then runs alone (Jam.py reloads in it) while new requests wait; then all pass
again. A request counts as under way until the application has returned its response
iterable (Jam.py computes its answers before). Standard library only.
"""
import os
import threading

MARKER_PREFIX = "$buildID"


class ReloadGate:
    """Wraps the WSGI ``app`` of the Jam.py project in ``project_dir``."""

    def __init__(self, app, project_dir):
        self.app = app
        self.locks = os.path.join(project_dir, "locks")
        self.turn = threading.Condition()
        self.running = 0     # requests under way
        self.alone = False   # a request runs alone: the others wait
        self.seen = self._marker()

    def _marker(self):
        try:
            return next((name for name in os.listdir(self.locks)
                         if name.startswith(MARKER_PREFIX)), None)
        except OSError:  # no locks folder before the project's first start
            return None

    def __call__(self, environ, start_response):
        # Jam.py reloads in an /api request only (App.on_api): other requests need not look
        # at the marker, and the look is outside the lock the requests share.
        api = environ.get("PATH_INFO", "").startswith("/api")
        marker = self._marker() if api else None
        with self.turn:
            while self.alone:
                self.turn.wait()
            if api and marker != self.seen:  # seen again: another request may have reloaded
                marker = self._marker()
            alone = api and marker != self.seen
            if alone:
                self.alone = True
                while self.running:
                    self.turn.wait()
            self.running += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.turn:
                self.running -= 1
                if alone:
                    self.alone = False
                    self.seen = marker
                self.turn.notify_all()
