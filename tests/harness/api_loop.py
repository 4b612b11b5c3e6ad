"""A logged-in client sending /api requests continuously while a site is being changed.

`ApiLoop(url)` is a thread: it logs in, then opens an item again and again (as a page
that is being used does: the task tree loaded once, reloaded when Jam.py answers status 8)
until stopped, and counts every answer by phase - before, during and after the window
the test marks with `during()` - and by outcome: ``served``, ``status 7`` (maintenance),
``http <code>``, ``refused`` or ``error: <text>`` (an error text answered with HTTP 200).
"""
import collections
import threading
import time
import urllib.error

from .outsider import Client
from .server import JamError, UnderMaintenance


def logged_in(url, form_login=False, login=("admin", "111")):
    """A client with a session: 5.x logs in by /api, 7.0 (``form_login``) by its form."""
    client = Client(url.rstrip("/"))
    (client.form_login if form_login else client.login)(*login)
    return client


class ApiLoop(threading.Thread):
    def __init__(self, url, form_login=False, item="customers", pause=0.02, max_seconds=180):
        super().__init__(daemon=True)
        self.url, self.form_login = url, form_login
        self.item, self.pause = item, pause
        self.deadline = time.monotonic() + max_seconds
        self.phase = "before"
        self.counts = collections.Counter()   # (phase, outcome) -> requests
        self.stopping = threading.Event()

    def run(self):
        self.client = logged_in(self.url, self.form_login)
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            self.counts[self.phase, self._one()] += 1
            time.sleep(self.pause)

    def _one(self):
        try:
            self.client.open(self.item, limit=3)
            return "served"
        except UnderMaintenance:
            return "status 7"
        except urllib.error.HTTPError as exc:
            return f"http {exc.code}"
        except (urllib.error.URLError, ConnectionError, OSError):
            return "refused"
        except (JamError, KeyError) as exc:  # KeyError: a task tree without the item
            self.client.info = None  # the next request loads the task tree again
            return f"error: {str(exc)[:100]}"

    def during(self):
        self.phase = "during"

    def after(self, seconds=2.0):
        """Count the next ``seconds`` as after the window, then stop."""
        self.phase = "after"
        time.sleep(seconds)
        self.stop()

    def stop(self):
        self.stopping.set()
        self.join(30)

    def outcomes(self, phase=None):
        """{outcome: requests} of one phase, or of all."""
        found = collections.Counter()
        for (p, outcome), n in self.counts.items():
            if phase in (None, p):
                found[outcome] += n
        return dict(found)

    def failures(self, allowed=("served",)):
        """{(phase, outcome): requests} of outcomes not ``allowed``."""
        return {k: n for k, n in self.counts.items() if k[1] not in allowed}

    def figures(self):
        """The counts as one line per phase, for assertion messages."""
        return "; ".join(f"{p}: {self.outcomes(p)}" for p in ("before", "during", "after"))
