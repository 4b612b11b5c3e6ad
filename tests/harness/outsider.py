"""Probe a running Jam.py site from the outside, as an attacker on the network would.

    python -m tests.harness.outsider URL --admin-login L --admin-password-file F \\
        [--user-login L2 --user-password-file F2] [--item customers]

Prints one line per check (passed / FAILED and what the site answered) and exits 1 when
anything was found. `probe()` returns the findings (an empty list: nothing found).

Checks: Jam.py's template accounts (admin/111, user/333) cannot log in, neither through
5.x's /api "login" nor 7.0's /login.html form; the managed admin cannot log in to the
Builder; no Builder call (task 0) is answered, in any of the shapes Jam.py takes for task 0
(0.0, -0.0, false, 1e-999, extra whitespace, a gzip body, a chunked body) nor in one it
does not (the string "0"), without a session, as the managed admin, as an ordinary user
and with a Builder session if one was had, also with the application's session cookie
copied under the Builder's cookie name; no Builder upload (task_id 0, " 0 ", "+0", "0_0",
a duplicate task_id field, the file field named file or myfile); none of the Builder's
pages; no path traversal; no login with a single quote. Then the application still
works: the managed admin logs in and loads the task, and with an item name a record is
inserted, read back and deleted (7.0: the item is read).

"Refused" means an HTTP error status (or no answer): Jam.py answers its own refusals (not
logged in, a failed login) with 200, which only says that the request reached it.
Findings name the check and the answer's status and first bytes, with the given
passwords blanked out. Standard library only (http.client, so that paths and headers go
out exactly as written).
"""
import argparse
import gzip
import http.client
import json
import secrets
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .server import PROJECT_LOGGED, RESPONSE, TEXT, JamClient, JamError

TEMPLATE_ACCOUNTS = (("admin", "111"), ("user", "333"))
BUILDER_CALL = '["server", {task}, 0, ["server_get_task_info", []], 0]'
# Jam.py selects the Builder for every one of these but "0" (a string is not 0); each
# must be refused anyway.
BUILDER_TASK_IDS = ("0", "0.0", "-0.0", "false", '"0"', "1e-999")
UPLOAD_TASK_IDS = (["0"], [" 0 "], ["+0"], ["0_0"], ["5", "0"], ["0", "5"])
BUILDER_PAGES = ("/builder.html", "/admin.html", "/builder_login.html", "/jam/html/builder.html")
TRAVERSALS = ("/jam/../admin.sqlite", "/jam/%2e%2e/admin.sqlite", "/js/../admin.sqlite")
QUOTED_CREDENTIALS = (("admin'--", "x"), ("admin", "x' OR 'a'='b"))
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
EXCERPT = 60


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def served(self):
        """Answered without an error status (0: the connection closed without an answer)."""
        return 0 < self.status < 400

    def cookies(self):
        """{name: value} of the cookies the answer sets."""
        headers = self.headers.get_all("Set-Cookie") or ()
        pairs = (header.split(";", 1)[0].partition("=") for header in headers)
        return {name.strip(): value.strip() for name, unused, value in pairs}

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


class Site:
    """Raw HTTP to one site."""

    def __init__(self, base_url, timeout=30):
        parts = urllib.parse.urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout

    def send(self, method, path, body=None, headers=None, cookies=None, chunked=False):
        connection_class = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        connection = connection_class(self.host, self.port, timeout=self.timeout)
        headers = dict(headers or {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        if chunked:
            body = iter([body])  # an iterable body goes out chunked, without a Content-Length
        try:
            try:
                connection.request(method, self.prefix + path, body=body, headers=headers)
            except ConnectionError:
                pass  # refused before the whole body was read: its answer may be there
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        except ConnectionError:  # closed without an answer
            return Answer(0, http.client.HTTPMessage(), b"")
        finally:
            connection.close()

    def api(self, body, cookies=None, headers=None, chunked=False):
        """POST /api with a body (bytes, or text as JSON already, or a call to encode)."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        body = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": "application/json", **(headers or {})}
        return self.send("POST", "/api", body, headers, cookies, chunked)

    def api_login(self, login, password, task_id=None):
        return self.api(["login", task_id, 0, [{"login": login, "password": password}], 0])

    def form_login(self, login, password, page="/login.html"):
        body = urllib.parse.urlencode({"login": login, "password": password}).encode()
        return self.send("POST", page, body, FORM)


def api_logged_in(answer):
    return answer.status == 200 and bool((answer.json().get("result") or {}).get("data"))


def form_logged_in(answer):
    return 300 <= answer.status < 400 and bool(answer.cookies())


def multipart(task_ids, file_field, content=b"probe"):
    """An upload form as jam.js sends it (file_name probe.txt); returns (body, headers)."""
    boundary = secrets.token_hex(12)
    fields = [("task_id", t) for t in task_ids] + [
        ("item_id", "-1"), ("field_id", "-1"), ("path", ""), ("file_name", "probe.txt")]
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="probe.txt"\r\nContent-Type: text/plain\r\n\r\n')
    body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Probe:
    """Runs the checks; `results` holds (check, finding or None) in order."""

    def __init__(self, base_url, admin, user=None, item=None):
        self.base_url = base_url.rstrip("/")
        self.site = Site(self.base_url)
        self.admin, self.user, self.item = admin, user, item
        self.passwords = [p for p in (admin[1], user and user[1]) if p]
        self.results = []

    def run(self):
        self.template_logins()
        sessions = {"without a session": {}}
        for role, account in (("managed admin", self.admin), ("user", self.user)):
            if account:
                cookies = self.login(*account)
                self.record(f"log in as the {role}", None if cookies else "the login failed")
                if cookies:
                    sessions[f"as the {role}"] = cookies
        for check, answer, logged_in in (
                ("/api task 0", self.site.api_login(*self.admin, task_id=0), api_logged_in),
                ("/builder_login.html", self.site.form_login(*self.admin, "/builder_login.html"),
                 form_logged_in)):
            self.record_refused(f"Builder login as the managed admin ({check})", answer)
            if logged_in(answer):
                sessions["with the Builder session"] = answer.cookies()
        for name, cookies in sessions.items():
            self.builder_calls(name, cookies)
            self.builder_uploads(name, cookies)
            self.cookie_replay(name, cookies)
        for path in BUILDER_PAGES:
            self.record_refused(f"Builder page {path}", self.site.send("GET", path))
        for path in TRAVERSALS:
            self.record_refused(f"traversal {path}", self.site.send("GET", path))
        for login, password in QUOTED_CREDENTIALS:
            where = "login" if "'" in login else "password"
            self.record_refused(f"quote in the {where} (/api login)",
                                self.site.api_login(login, password))
            self.record_refused(f"quote in the {where} (/login.html)",
                                self.site.form_login(login, password))
        self.application_works()
        return self.results

    # ------------------------------------------------------------------ checks

    def template_logins(self):
        for login, password in TEMPLATE_ACCOUNTS:
            answer = self.site.api_login(login, password)
            self.record(f"template login {login!r} (/api)",
                        self.what(answer) if api_logged_in(answer) else None)
            answer = self.site.form_login(login, password)
            self.record(f"template login {login!r} (/login.html)",
                        self.what(answer) if form_logged_in(answer) else None)

    def builder_calls(self, session, cookies):
        call = BUILDER_CALL.format(task=0)
        shapes = [(f"task id {task}", BUILDER_CALL.format(task=task), {}, False)
                  for task in BUILDER_TASK_IDS]
        shapes += [
            ("extra whitespace", call.replace(", ", " ,\n\t ").replace("[", "[\n "), {}, False),
            ("gzip body", gzip.compress(call.encode()), {"Content-Encoding": "gzip"}, False),
            ("chunked body", call.encode(), {}, True),
        ]
        for shape, body, headers, chunked in shapes:
            answer = self.site.api(body, cookies, headers=headers, chunked=chunked)
            self.record_refused(f"Builder call, {shape}, {session}", answer)

    def builder_uploads(self, session, cookies):
        for task_ids in UPLOAD_TASK_IDS:
            for file_field in ("file", "myfile"):
                body, headers = multipart(task_ids, file_field)
                answer = self.site.send("POST", "/upload", body, headers, cookies)
                values = " then ".join(map(repr, task_ids))
                self.record_refused(
                    f"Builder upload, task_id {values}, field {file_field}, {session}", answer)

    def cookie_replay(self, session, cookies):
        """The application's session cookie under the Builder's name (Jam.py's signature
        does not cover the name; the Builder only wants a user id)."""
        builder_cookie = f"admin_session_{self.site.port}"
        for name, value in cookies.items():
            if name == builder_cookie:
                continue
            replayed = {builder_cookie: value}
            answer = self.site.api(BUILDER_CALL.format(task=0), replayed)
            self.record_refused(f"Builder cookie replay of {name}, {session}", answer)

    def application_works(self):
        check = "the application works for the managed admin"
        try:
            self.record(check, self.use_application())
        except (OSError, ValueError, LookupError, JamError) as error:  # HTTP, JSON, protocol
            self.record(check, self.blank(f"{type(error).__name__}: {error}"))

    def use_application(self):
        client = logged_in(self.base_url, *self.admin)
        info = client.load(refresh=True)
        if info["status"] != RESPONSE or not info["task"]["id"]:
            return f"load answered status {info['status']}"
        if not self.item:
            return None
        if client.uses_form_login:
            # JamClient writes 5.x's change log; 7.0's differs: a 7.0 item is only read.
            client.open(self.item, limit=1)
            return None
        item = client.item(self.item)
        texts = [f for f in item.record_fields if f.data_type == TEXT and not f.lookup_item]
        if not texts:
            return f"{self.item} has no text field to write a record with"
        marker = f"outsider {secrets.token_hex(4)}"
        values = {f.name: marker for f in texts if f.required or f is texts[0]}
        record_id = client.insert(self.item, values)
        found = client.open(self.item, where={item.primary_key: record_id})
        client.delete(self.item, record_id)
        if [{k: r[k] for k in values} for r in found] != [values]:
            return f"{self.item}: record {record_id} read back as {found!r}"
        return None

    # ------------------------------------------------------------------ helpers

    def login(self, login, password):
        """The session cookies of a login, by 5.x's /api or 7.0's form; None if refused."""
        answer = self.site.api_login(login, password)
        if api_logged_in(answer):
            return answer.cookies()
        answer = self.site.form_login(login, password)
        return answer.cookies() if form_logged_in(answer) else None

    def record(self, check, finding):
        self.results.append((check, finding))

    def record_refused(self, check, answer):
        self.record(check, self.what(answer) if answer.served else None)

    def what(self, answer):
        return self.blank(f"answered {answer.status} {answer.body[:EXCERPT]!r}")

    def blank(self, text):
        for password in self.passwords:
            text = text.replace(password, "***")
        return text


class Client(JamClient):
    """JamClient for 5.x and 7.0: 7.0 logs in with a form and has no /api "connect"
    (it serves the page only to a session, and "load" answers status 5 without one)."""

    uses_form_login = False

    def form_login(self, login, password):
        body = urllib.parse.urlencode({"login": login, "password": password}).encode()
        self.opener.open(urllib.request.Request(f"{self.base_url}/login.html", data=body),
                         timeout=30).read()
        self.uses_form_login = True

    def api(self, method, *args, **kwargs):
        if method == "connect" and self.uses_form_login:
            return {"result": {"status": RESPONSE, "data": PROJECT_LOGGED}}
        return super().api(method, *args, **kwargs)


def logged_in(base_url, login, password):
    """A `Client` with a session: 5.x's /api login, else 7.0's login form."""
    client = Client(base_url)
    if not client.login(login, password)["result"]["data"]:
        client.form_login(login, password)
    return client


def probe(base_url, admin, user=None, item=None):
    """Findings ("check: what was answered") against the site at base_url; [] when safe.
    admin and user: (login, password) of the managed accounts."""
    return [f"{check}: {finding}" for check, finding in Probe(base_url, admin, user, item).run()
            if finding]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("url")
    parser.add_argument("--admin-login", required=True)
    parser.add_argument("--admin-password-file", required=True, type=Path)
    parser.add_argument("--user-login")
    parser.add_argument("--user-password-file", type=Path)
    parser.add_argument("--item", help="an item to insert a record into and read it back")
    args = parser.parse_args(argv)
    if bool(args.user_login) != bool(args.user_password_file):
        parser.error("--user-login and --user-password-file go together")
    admin = (args.admin_login, args.admin_password_file.read_text().rstrip("\n"))
    user = args.user_login and (args.user_login,
                                args.user_password_file.read_text().rstrip("\n"))
    results = Probe(args.url, admin, user or None, args.item).run()
    for check, finding in results:
        print(f"FAILED  {check}: {finding}" if finding else f"passed  {check}")
    found = sum(1 for unused, finding in results if finding)
    print(f"{len(results)} checks, {found} failed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
