# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WSGI middleware that keeps Jam.py's Application Builder away from the network.

The threat: the Builder (Jam.py's "admin task", task id 0) is part of every Jam.py
application. Whoever reaches it with any session - an ordinary user's cookie copied under
the Builder's cookie name is enough - can import metadata and edit server modules, i.e. run
code on the server. Jam.py 5.x has no server-side lock for it; 7.0's production mode
refuses only ``/api`` calls for task 0 and leaves ``/upload`` and the Builder login open.
Jam.py selects the Builder with ``task_id == 0`` (so 0, 0.0, -0.0 and false all do) and,
in ``/upload``, with ``int()`` of the first ``task_id`` field (" 0 ", "+0", "0_0" do too).
Jam.py 5.x also pastes the login password into SQL, every version pastes the
X-Forwarded-For value into an UPDATE after a login, and 7.0 serves anything below
``/jam/`` without a session, ``/jam/../admin.sqlite`` included.

The rules, checked before Jam.py sees the request:

- ``X-Forwarded-For`` is removed (the web server in front is the edge).
- A path with a ``.`` or ``..`` segment, also percent-encoded, is refused.
- A request body with a Content-Encoding other than identity is refused.
- ``/api`` and ``/upload`` take POST only. Their bodies and those of the login forms need
  a Content-Length (411 otherwise); they are buffered and handed to Jam.py unchanged.
- ``/api``: the body must be what Jam.py unpacks, a JSON list of five values.
- A login (5.x: ``/api`` method "login"; 7.0: a form POST to ``/login.html`` or
  ``/builder_login.html``) whose login or password holds a single quote is refused.
- The Builder rules: its pages are refused (``/builder.html``, ``/admin.html``,
  ``/builder_login.html``, ``/jam/html/builder*``); an ``/api`` call's task id (the second
  value) must be null (a page before its first "load") or an integer greater than 0;
  every ``task_id`` form value of an ``/upload`` must be a plain positive decimal integer.

``builder_access`` relaxes the Builder rules only: "none" applies them to everyone,
"localhost" not to clients whose REMOTE_ADDR is a loopback address (an SSH tunnel to the
web server; only meaningful when the WSGI server sees the real client address), "any"
never. Refusals answer a short text/plain body and log one line to ``wsgi.errors``.

Standard library only; werkzeug is imported when a form is parsed, so that it is the one
Jam.py uses: 5.x puts its bundled werkzeug first on ``sys.path`` when ``jam.wsgi`` is
imported, 7.0 uses the installed one.
"""
import ipaddress
import json
import re
import tempfile
from http import HTTPStatus
from urllib.parse import quote, unquote

BUILDER_ACCESS = ("none", "localhost", "any")
BUILDER_PAGES = frozenset(("builder.html", "admin.html", "builder_login.html"))
LOGIN_PAGES = frozenset(("login.html", "builder_login.html"))
POSITIVE_INTEGER = re.compile(r"[1-9][0-9]*")
DIGITS = re.compile(r"[0-9]+")
SPOOL_IN_MEMORY = 1024 * 1024
READ_SIZE = 64 * 1024


class Refused(Exception):
    """A request the guard does not pass on: its HTTP status and the reason to log."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def guard(app, builder_access="none"):
    """Wrap the WSGI application ``app`` (Jam.py's ``create_application(...)``).

    builder_access: "none" refuses every Builder request, "localhost" allows the Builder
    to loopback clients only, "any" does not restrict the Builder. The other rules apply
    in every case. Returns a WSGI application; a refused request never reaches ``app``.
    Raises ValueError for another builder_access.
    """
    if builder_access not in BUILDER_ACCESS:
        raise ValueError(f"builder_access must be one of {', '.join(BUILDER_ACCESS)}, "
                         f"not {builder_access!r}")

    def guarded(environ, start_response):
        # Jam.py writes this header into SQL and trusts it as the client's address.
        environ.pop("HTTP_X_FORWARDED_FOR", None)
        builder_allowed = builder_access == "any" or (
            builder_access == "localhost" and _loopback(environ.get("REMOTE_ADDR", "")))
        try:
            _check(environ, builder_allowed)
        except Refused as refused:
            return _refuse(environ, start_response, refused)
        return app(environ, start_response)

    return guarded


def _loopback(address):
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback


def _check(environ, builder_allowed):
    """Raise Refused unless the request may reach Jam.py."""
    # Jam.py 7.0 dispatches on the first non-empty segment (so "/api/x" is /api too);
    # lower case and percent-decoding only make more requests match.
    segments = [s.lower() for s in unquote(environ.get("PATH_INFO", "")).split("/") if s]
    if "." in segments or ".." in segments:
        raise Refused(403, "dot segment in the path")
    if environ.get("HTTP_CONTENT_ENCODING", "").strip().lower() not in ("", "identity"):
        raise Refused(400, "encoded request body")  # Jam.py would not decode it
    first = segments[0] if segments else ""
    if not builder_allowed and _builder_page(segments):
        raise Refused(403, "Builder page")
    post = environ.get("REQUEST_METHOD") == "POST"
    if first in ("api", "upload"):
        if not post:
            raise Refused(403, "not a POST")
        body = _buffer(environ)
        if first == "api":
            _check_api_call(body, builder_allowed)
        elif not builder_allowed:
            _check_upload(environ)
    elif first in LOGIN_PAGES and post:
        _buffer(environ)
        form = _form(environ)
        _check_credentials(form.getlist("login") + form.getlist("password"))


def _builder_page(segments):
    if segments[:1] and segments[0] in BUILDER_PAGES:
        return True
    # 7.0's Builder page, also jam-secure-project.py's builder.html.bak.
    return len(segments) > 2 and segments[:2] == ["jam", "html"] and \
        segments[2].startswith("builder")


def _buffer(environ):
    """Read the whole body into a spooled file, put that in place of ``wsgi.input`` for
    Jam.py and return it. Past 1 MiB the spool is an unlinked temporary file: it goes away
    with the environ."""
    length = environ.get("CONTENT_LENGTH", "")
    if "HTTP_TRANSFER_ENCODING" in environ or not DIGITS.fullmatch(length):
        raise Refused(411, "no Content-Length")
    spool = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY)  # noqa: SIM115 - Jam.py reads it
    source, remaining = environ["wsgi.input"], int(length)
    while remaining:
        chunk = source.read(min(READ_SIZE, remaining))
        if not chunk:
            raise Refused(400, "body shorter than its Content-Length")
        spool.write(chunk)
        remaining -= len(chunk)
    spool.seek(0)
    environ["wsgi.input"] = spool
    return spool


def _check_api_call(body, builder_allowed):
    """The body as Jam.py reads it: raw bytes, UTF-8, json.loads, five values unpacked."""
    try:
        call = json.loads(body.read().decode("utf-8"))
    except (ValueError, RecursionError):
        raise Refused(400, "/api body is not JSON") from None
    finally:
        body.seek(0)
    if not (isinstance(call, list) and len(call) == 5):
        raise Refused(400, "/api body is not a Jam.py call")
    method, task_id, params = call[0], call[1], call[3]
    # bool is an int: true would be task 1, but jam.js never sends it.
    project = task_id is None or (isinstance(task_id, int) and not isinstance(task_id, bool)
                                  and task_id > 0)
    if not (project or builder_allowed):
        raise Refused(403, "Builder call")
    if method == "login":
        form = params[0] if isinstance(params, list) and params else None
        if not isinstance(form, dict):
            raise Refused(400, "malformed login")
        _check_credentials([form.get("login"), form.get("password")])


def _check_upload(environ):
    # Jam.py takes the first value; every one must be a project task id.
    task_ids = _form(environ).getlist("task_id")
    if not task_ids or not all(POSITIVE_INTEGER.fullmatch(t) for t in task_ids):
        raise Refused(403, "Builder upload")


def _form(environ):
    """The form exactly as Jam.py will parse it, by the werkzeug Jam.py imported."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.wrappers import Request

    try:
        # A copy: werkzeug stores itself in the environ it parses.
        return Request(dict(environ)).form
    except (HTTPException, ValueError):  # what werkzeug cannot parse, Jam.py cannot either
        raise Refused(400, "unreadable form") from None
    finally:
        environ["wsgi.input"].seek(0)


def _check_credentials(values):
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str):
            raise Refused(400, "login or password is not text")
        if "'" in value:
            # Jam.py 5.x pastes the password into SQL; no real password needs a quote.
            raise Refused(403, "quote in a login or password")


def _refuse(environ, start_response, refused):
    method, path, remote = (_loggable(environ.get(key, "-"))
                            for key in ("REQUEST_METHOD", "PATH_INFO", "REMOTE_ADDR"))
    environ["wsgi.errors"].write(
        f"jampy_guard: refused {method} {path} ({refused.reason}) from {remote}\n")
    status = HTTPStatus(refused.status)
    body = f"{status.value} {status.phrase}: refused by jampy.deploy's guard.\n".encode()
    start_response(f"{status.value} {status.phrase}",
                   [("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body)))])
    return [body]


def _loggable(text):
    """Client-supplied text for one log line: short, no control characters."""
    return quote(text[:200], safe="/%:@!$&'()*+,;=-._~")
