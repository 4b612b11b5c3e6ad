"""A bounded loop of page loads against a site while it is being updated.

    python -m tests.harness.request_loop <url> <stop file> [max seconds] [admin password file]
        [maintenance: required (default) | none]

Loads the application (as a page does on start: `connect`, then `load`) every 0.2 s until
the stop file appears, and fails unless every answer was status 9 (served) or 7 (under
maintenance): never a server error or a refused connection. With "required" at least one
answer must be 7 (Jam.py 5.x's live import announces its window); with "none" not one may
be (Jam.py 7.x's live import keeps serving, see jam_import's maintenance result).
"""
import collections
import os
import sys
import time
import urllib.error
from pathlib import Path

from .outsider import Client, logged_in
from .server import MAINTENANCE, RESPONSE


def loop(url, stop_file, max_seconds=120, password_file=None):
    url = url.rstrip("/")
    # Safe mode: a session first, as a user who is working in the application.
    client = (logged_in(url, "admin", Path(password_file).read_text().strip())
              if password_file else Client(url))
    seen, problems = collections.Counter(), []
    deadline = time.monotonic() + max_seconds
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        try:
            status = client.api("load", None, 0, [])["result"]["status"]
            seen[status] += 1
            if status not in (RESPONSE, MAINTENANCE):
                problems.append(f"status {status}")
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.2)
    return seen, problems


if __name__ == "__main__":
    url, stop = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 120
    counts, errors = loop(url, stop, seconds, sys.argv[4] if len(sys.argv) > 4 else None)
    maintenance = sys.argv[5] if len(sys.argv) > 5 else "required"
    if maintenance not in ("required", "none"):
        sys.exit(f"maintenance must be required or none, not {maintenance!r}")
    print(f"answers: {dict(counts)}; problems: {errors[:10]}")
    window_seen = bool(counts[MAINTENANCE])
    sys.exit(1 if errors or not counts[RESPONSE] or window_seen != (maintenance == "required")
             else 0)
