"""Concurrent users writing to a site while it changes (a live import), and what became
of their writes.

    python -m tests.harness.load <url> <item> <users file> [--fields name,email]
        [--seconds 120] [--max-requests 2000] [--stop-file FILE] [--form-login]

Each user (a line "login password" of the users file: passwords never in argv) is a thread
with its own logged-in `JamClient` session (5.x logs in by /api, 7.x by its login form:
``--form-login``). It inserts records of the item, updates the
ones it inserted and reads them back, in turn, until the stop file appears, ``--seconds``
pass or it made ``--max-requests`` requests. Every answer is kept with its time; a value
is one of ``fields`` (text fields) that the item has when the request is made, so a field
an import adds is written once it is served. At the end every record the server
acknowledged is read back through the site: the run prints its figures as JSON and fails
on a lost or wrong write, a server error, a refused connection, or an answer that is
neither served nor "under maintenance" (status 7) nor "project modified" (status 8, after
which the page reloads, as `JamClient` does). A task tree without the item (a process
answered ``load`` while it rebuilt its tree in place: Jam.py's task load empties
``task.items`` first) is counted on its own. After any answer that is not served, the
user's page loads the task tree again (a page that showed an error is reloaded).
"""
import argparse
import collections
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path

from .outsider import Client
from .server import (STATUS_NAMES, JamError, JamStatusError, ProjectModified,
                     UnderMaintenance)

OK, MAINTENANCE, MODIFIED = "served", "under maintenance", "project modified"
# Status 3: a Jam.py process loads the task at its first request (the page retries).
LOADING = STATUS_NAMES[3]
INCOMPLETE = "incomplete task tree"
# Answers a site may give while an import runs; anything else is a problem.
EXPECTED = (OK, MAINTENANCE, MODIFIED, LOADING, INCOMPLETE)


@dataclass(frozen=True)
class Answer:
    """One request of one user: what it was, when (time.monotonic()) and what came back."""
    user: str
    kind: str          # login, insert, update, read
    started: float
    ended: float
    outcome: str       # one of EXPECTED, or what went wrong
    detail: str = ""   # the record, and the server's words for a problem


def classify(exc):
    """The outcome of a request that raised ``exc``."""
    if isinstance(exc, UnderMaintenance):
        return MAINTENANCE
    if isinstance(exc, ProjectModified):
        return MODIFIED
    if isinstance(exc, JamStatusError):
        return STATUS_NAMES.get(exc.status, f"status {exc.status}")
    if isinstance(exc, urllib.error.HTTPError):
        return f"server error {exc.code}" if exc.code >= 500 else f"HTTP {exc.code}"
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, (urllib.error.URLError, OSError)):
        return f"connection: {type(reason).__name__}"
    if isinstance(exc, JamError):
        return "Jam.py error"
    if isinstance(exc, KeyError):  # JamClient.item: the loaded tree lacks the item
        return INCOMPLETE
    return f"unexpected {type(exc).__name__}"


class User(threading.Thread):
    """One logged-in user inserting, updating and reading records of ``item``."""

    def __init__(self, url, login, password, item, fields, stop, deadline, max_requests,
                 pause=0.05, form_login=False):
        super().__init__(name=f"load-{login}", daemon=True)
        self.url, self.login, self.password = url, login, password
        self.form_login = form_login
        self.item, self.fields = item, fields
        self.stop, self.deadline, self.max_requests, self.pause = \
            stop, deadline, max_requests, pause
        self.answers = []
        self.logged_in = threading.Event()  # set once logged in (or given up)
        self.acknowledged = {}  # record id -> the values the server last acknowledged
        self.uncertain = set()  # ids whose last update got no clear answer
        self.random = random.Random(login)

    def _running(self):
        return (not self.stop.is_set() and time.monotonic() < self.deadline
                and len(self.answers) < self.max_requests)

    def _request(self, kind, call, detail=""):
        started = time.monotonic()
        try:
            result = call()
            outcome = OK
        except Exception as exc:  # every answer is a measurement, classified
            result, outcome = (None, None), classify(exc)
            if outcome not in EXPECTED:
                detail = f"{detail} {type(exc).__name__}: {exc}".strip()
        self.answers.append(Answer(self.login, kind, started, time.monotonic(), outcome,
                                   detail))
        return outcome == OK, result

    def _log_in(self):
        def log_in():
            return logged_in(self.url, (self.login, self.password), self.form_login)

        while self._running():
            done, client = self._request("login", log_in)
            if done:
                return client
            time.sleep(self.pause)
        return None

    def _values(self, client, number, prefix=""):
        """Text values for the item's fields that it has now; unique per user and request."""
        served = client.item(self.item).field_names
        return {name: f"{prefix}{name}-{self.login}-{number}"
                for name in self.fields if name in served}

    def _insert(self, client, number):
        values = self._values(client, number)
        return client.insert(self.item, values), values

    def _update(self, client, record_id, number):
        values = self._values(client, number, "updated-")
        client.update(self.item, record_id, values)
        return values

    def run(self):
        try:
            client = self._log_in()
        finally:
            self.logged_in.set()
        number = 0
        while client is not None and self._running():
            if self.answers[-1].outcome not in (OK, MAINTENANCE, MODIFIED):
                client.info = None  # the page loads the task tree again
            number += 1
            mine = sorted(self.acknowledged)
            step = number % 3 if mine else 1
            if step == 1:
                done, (new_id, values) = self._request(
                    "insert", lambda: self._insert(client, number))
                if done:
                    self.acknowledged[new_id] = values
            else:
                record_id = self.random.choice(mine)
                if step == 2:
                    done, values = self._request(
                        "update", lambda: self._update(client, record_id, number),
                        f"id {record_id}")
                    if done:
                        self.acknowledged[record_id] = {**self.acknowledged[record_id],
                                                        **values}
                        self.uncertain.discard(record_id)
                    elif self.answers[-1].outcome not in EXPECTED:
                        self.uncertain.add(record_id)
                else:
                    done, rows = self._request(
                        "read", lambda: client.open(self.item, where={"id": record_id}),
                        f"id {record_id}")
                    if done:
                        self._check_read(record_id, rows)
            time.sleep(self.pause)

    def _check_read(self, record_id, rows):
        """A user reads back what the site acknowledged to them."""
        wanted = self.acknowledged[record_id]
        found = [{k: r.get(k) for k in wanted} for r in rows]
        if record_id not in self.uncertain and found != [wanted]:
            last = self.answers.pop()
            self.answers.append(Answer(last.user, last.kind, last.started, last.ended,
                                       "stale read", f"id {record_id}: {found} != {wanted}"))


def site_failure(outcome):
    """Whether an outcome is the site failing (a server error, a refused or broken
    connection) rather than an answer of the application."""
    return outcome.startswith(("server error", "connection", "timed out"))


def logged_in(url, account, form_login=False):
    """A client with a session of ``account`` (login, password); raises for another status
    than 9 (a process still loading answers 3) and unless the session is logged in."""
    client = Client(url)
    if form_login:
        client.form_login(*account)
    else:
        client._checked(client.login(*account), "login")
    client.load()
    return client


@dataclass
class Report:
    """The figures of a run: answers per outcome, before/in/after the maintenance window as
    the users saw it, the window, and the acknowledged writes missing or wrong afterwards."""
    answers: list
    lost: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    window: tuple = None  # (start, end) in time.monotonic()

    def window_seconds(self):
        return round(self.window[1] - self.window[0], 2) if self.window else 0.0

    def phase(self, answer):
        if not self.window or answer.ended < self.window[0]:
            return "before"
        return "after" if answer.started > self.window[1] else "during"

    def counts(self):
        table = collections.defaultdict(collections.Counter)
        for answer in self.answers:
            table[self.phase(answer)][f"{answer.kind} {answer.outcome}"] += 1
        return {phase: dict(sorted(table[phase].items()))
                for phase in ("before", "during", "after") if phase in table}

    def summary(self):
        return {"requests": len(self.answers), "window_seconds": self.window_seconds(),
                "counts": self.counts(), "lost": self.lost[:20], "lost_count": len(self.lost),
                "problems": [f"{a.user} {a.kind} {a.outcome} ({self.phase(a)}, "
                             f"{a.started - self.answers[0].started:.2f}s): {a.detail}"
                             for a in self.problems[:20]],
                "problem_count": len(self.problems)}


def run(url, item, users, fields, stop, seconds=120, max_requests=2000, during=None,
        form_login=False):
    """Run the users (``users``: [(login, password)]) until ``stop`` is set (or the bounds),
    calling ``during()`` meanwhile (in this thread, once every user has logged in) when
    given; then read back every acknowledged record with the first user's account.
    Returns (Report, during's result)."""
    deadline = time.monotonic() + seconds
    threads = [User(url, login, password, item, fields, stop, deadline, max_requests,
                    form_login=form_login)
               for login, password in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.logged_in.wait(max(0.0, deadline - time.monotonic()))
    try:
        outcome = during() if during else None
    finally:
        if during:
            stop.set()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic() + 60))
    answers = sorted((a for t in threads for a in t.answers), key=lambda a: a.started)
    maintenance = [a for a in answers if a.outcome == MAINTENANCE]
    report = Report(answers, window=(min(a.started for a in maintenance),
                                     max(a.ended for a in maintenance)) if maintenance else None)
    report.problems = [a for a in answers if a.outcome not in EXPECTED]
    report.lost = verify(url, item, users[0], threads, form_login)
    return report, outcome


def verify(url, item, account, threads, form_login=False):
    """Every acknowledged record, read through the site afterwards: present with the values
    acknowledged last (a record whose last update got no clear answer may hold either)."""
    client = logged_in(url, account, form_login)
    stored = {r["id"]: r for r in client.open(item)}
    lost = []
    for thread in threads:
        for record_id, values in thread.acknowledged.items():
            row = stored.get(record_id)
            if row is None:
                lost.append(f"{thread.login}: record {record_id} {values} is missing")
            elif record_id not in thread.uncertain and \
                    {k: row.get(k) for k in values} != values:
                lost.append(f"{thread.login}: record {record_id} holds "
                            f"{ {k: row.get(k) for k in values} }, acknowledged {values}")
    return lost


def read_users(path):
    """[(login, password)] from a file of "login password" lines."""
    users = [tuple(line.split(None, 1)) for line in Path(path).read_text().splitlines()
             if line.strip()]
    if not users or any(len(u) != 2 for u in users):
        raise SystemExit(f"{path}: expected lines of 'login password'")
    return users


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("url")
    parser.add_argument("item")
    parser.add_argument("users_file")
    parser.add_argument("--fields", default="name")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--stop-file")
    parser.add_argument("--form-login", action="store_true")
    args = parser.parse_args(argv)
    stop = threading.Event()

    def wait_for_stop_file():
        while args.stop_file and not os.path.exists(args.stop_file) and not stop.is_set():
            time.sleep(0.2)

    report, unused = run(args.url.rstrip("/"), args.item, read_users(args.users_file),
                         args.fields.split(","), stop, args.seconds, args.max_requests,
                         during=wait_for_stop_file if args.stop_file else None,
                         form_login=args.form_login)
    print(json.dumps(report.summary(), indent=1))
    return 1 if report.lost or report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
