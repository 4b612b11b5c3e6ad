"""jampy_guard (roles/project/files) around a fake WSGI application that records what
reaches it: every refusal rule, every request a browser session sends passing unchanged,
and the three builder_access values. Forms are parsed by the werkzeug bundled with the
Jam.py 5.4 of the tests' Jam.py venv (the one Jam.py itself would use)."""
import gzip
import importlib.util
import io
import json
import sys
import tempfile

import pytest

from tests.harness import jamenv

GUARD_PATH = jamenv.REPO / "roles" / "project" / "files" / "jampy_guard.py"
OUTSIDER = "203.0.113.7"
BUILDER_CALL = '["server", {task}, 0, ["server_get_task_info", []], 0]'


def load_guard():
    spec = importlib.util.spec_from_file_location("jampy_guard", GUARD_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


jampy_guard = load_guard()


@pytest.fixture(scope="module", autouse=True)
def jam_werkzeug(tmp_path_factory):
    """Jam.py 5.4's bundled werkzeug importable as ``werkzeug`` (alone: its folder also
    holds an old SQLAlchemy), removed from the process afterwards."""
    jamenv.jam_python()
    bundled, = jamenv.VENV.glob("lib/python*/site-packages/jam/third_party/werkzeug")
    folder = tmp_path_factory.mktemp("werkzeug")
    (folder / "werkzeug").symlink_to(bundled)
    sys.path.insert(0, str(folder))
    yield
    sys.path.remove(str(folder))
    for name in [n for n in sys.modules if n == "werkzeug" or n.startswith("werkzeug.")]:
        del sys.modules[name]


class FakeJam:
    """Records the environ and the body of every request that reaches it."""

    def __init__(self):
        self.seen = []

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH")
        body = environ["wsgi.input"].read(int(length)) if length else b""
        self.seen.append((dict(environ), body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"jam"]


class Answer:
    def __init__(self, status, headers, body, log):
        self.status, self.headers, self.body, self.log = status, dict(headers), body, log

    @property
    def code(self):
        return int(self.status.split()[0])


def call(app, path="/", method="GET", body=b"", headers=None, remote=OUTSIDER, length=True):
    errors = io.StringIO()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
               "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": remote,
               "wsgi.input": io.BytesIO(body), "wsgi.errors": errors,
               "wsgi.url_scheme": "http", "wsgi.version": (1, 0)}
    if length:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    captured = {}

    def start_response(status, response_headers):
        captured.update(status=status, headers=response_headers)

    answer = b"".join(app(environ, start_response))
    return Answer(captured["status"], captured["headers"], answer, errors.getvalue())


def guarded(builder_access="none"):
    jam = FakeJam()
    return jam, jampy_guard.guard(jam, builder_access)


def api(app, body, **kwargs):
    data = body if isinstance(body, bytes) else body.encode()
    return call(app, "/api", "POST", data, {"Content-Type": "application/json"}, **kwargs)


def multipart(fields, file_field="file", content=b"file content"):
    boundary = "guardtestboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n'.encode()
                 + content + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload_form(task_ids, content=b"file content"):
    fields = [("task_id", t) for t in task_ids] + [
        ("item_id", "-1"), ("field_id", "-1"), ("path", ""), ("file_name", "a.txt")]
    return multipart(fields, content=content)


def upload(app, task_ids, content=b"file content", **kwargs):
    body, headers = upload_form(task_ids, content)
    return call(app, "/upload", "POST", body, headers, **kwargs)


def refused(answer, jam, status=403):
    assert answer.code == status, answer.status
    assert not jam.seen, "the request reached Jam.py"
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert b"refused by jampy.deploy's guard" in answer.body
    assert answer.log.count("\n") == 1 and answer.log.startswith("jampy_guard: refused ")
    return answer


def passed(answer, jam, body=b""):
    assert answer.code == 200 and answer.body == b"jam", (answer.status, answer.body)
    environ, seen_body = jam.seen[-1]
    assert seen_body == body
    assert environ["CONTENT_LENGTH"] == str(len(body))
    return environ


# ---------------------------------------------------------------- what a browser sends

@pytest.mark.parametrize("path", [
    "/", "/index.html", "/login.html", "/static/img/logo.png", "/static/files/a_1.pdf",
    "/js/demo.js", "/css/project.css", "/jam/js/jam.js", "/jam/css/jam.css",
    "/jam/img/busy.gif", "/jam/html/login.html", "/favicon.ico", "/ext/report",
])
def test_pages_and_assets_pass(path):
    jam, app = guarded()
    environ = passed(call(app, path, headers={"Accept-Encoding": "gzip, deflate"}), jam)
    assert environ["PATH_INFO"] == path and environ["HTTP_ACCEPT_ENCODING"] == "gzip, deflate"


@pytest.mark.parametrize("body", [
    '["connect", null, null, null, 0]',
    '["load", null, null, null, 0]',
    '["open", 1, 10, {"__fields": ["id"], "__limit": 10}, 3]',
    '["apply", 12, 10, [{"fields": []}, {}], 3]',
    '["login", null, 0, [{"login": "bob", "password": "s3cr\\u00e9t \\"x\\""}], 0]',
    '["server", 1, 10, ["my_function", [1, "a"]], 0]',
])
def test_project_api_calls_pass_unchanged(body):
    jam, app = guarded()
    passed(api(app, body), jam, body.encode())


def test_a_project_upload_passes_unchanged():
    jam, app = guarded()
    passed(upload(app, ["1"]), jam, upload_form(["1"])[0])


def test_a_large_upload_is_spooled_to_a_file_and_passed_unchanged():
    jam, app = guarded()
    content = bytes(range(256)) * (8 * 1024 * 5)   # 10 MiB
    environ = passed(upload(app, ["12"], content), jam, upload_form(["12"], content)[0])
    spool = environ["wsgi.input"]
    assert isinstance(spool, tempfile.SpooledTemporaryFile) and spool._rolled


def test_a_post_elsewhere_is_not_buffered():
    jam, app = guarded()
    environ = passed(call(app, "/ext/hook", "POST", b"{}"), jam, b"{}")
    assert isinstance(environ["wsgi.input"], io.BytesIO)


def test_x_forwarded_for_is_removed():
    jam, app = guarded()
    environ = passed(call(app, "/", headers={"X-Forwarded-For": "x' WHERE ID=1 --"}), jam)
    assert "HTTP_X_FORWARDED_FOR" not in environ


# ---------------------------------------------------------------- the Builder's /api

@pytest.mark.parametrize("task", ["0", "0.0", "-0.0", "false", "true", '"0"', '"1"', "1e-999",
                                  "-1", "1.0", "[]", "{}", "-0"])
def test_builder_and_odd_task_ids_are_refused(task):
    jam, app = guarded()
    refused(api(app, BUILDER_CALL.format(task=task)), jam)


@pytest.mark.parametrize("body", [
    '\n[ "server" ,\n\t0 , 0, ["server_get_task_info", []], 0 ]\n',
    '["login", 0, 0, [{"login": "admin", "password": "111"}], 0]',
    '["connect", 0, null, null, 0]',
])
def test_builder_calls_in_other_shapes_are_refused(body):
    jam, app = guarded()
    answer = refused(api(app, body), jam)
    assert "111" not in answer.log and b"111" not in answer.body


@pytest.mark.parametrize("body", [
    b"", b"not json", b"\xff[]", '\ufeff["load", null, null, null, 0]'.encode(),
    b'{"method": "load"}', b'["load", null, null, null]', b'["load", 1, 0, [], 0, 0]',
    b"[" * 100000, b"null",
])
def test_unparsable_api_bodies_are_refused(body):
    jam, app = guarded()
    refused(api(app, body), jam, 400)


def test_a_compressed_body_is_refused():
    jam, app = guarded()
    body = gzip.compress(BUILDER_CALL.format(task=1).encode())
    refused(call(app, "/api", "POST", body, {"Content-Encoding": "gzip"}), jam, 400)
    passed(call(app, "/api", "POST", b'["load", null, null, null, 0]',
                {"Content-Encoding": "identity"}), jam, b'["load", null, null, null, 0]')


@pytest.mark.parametrize("path", ["/api", "/upload"])
def test_a_body_without_content_length_is_refused(path):
    jam, app = guarded()
    body = b'["load", null, null, null, 0]'
    refused(call(app, path, "POST", body, length=False), jam, 411)
    refused(call(app, path, "POST", body, {"Transfer-Encoding": "chunked"}), jam, 411)


def test_a_body_shorter_than_its_length_is_refused():
    jam, app = guarded()
    answer = call(app, "/api", "POST", b"[", {"Content-Length": "30"}, length=False)
    refused(answer, jam, 400)


@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD"])
def test_only_post_reaches_api_and_upload(method):
    jam, app = guarded()
    refused(call(app, "/api", method), jam)
    refused(call(app, "/upload", method), jam)


@pytest.mark.parametrize("path", ["/api/", "//api", "/api/x", "/API", "/%61pi"])
def test_api_in_other_spellings_is_checked_too(path):
    jam, app = guarded()
    refused(call(app, path, "POST", BUILDER_CALL.format(task=0).encode()), jam)


# ---------------------------------------------------------------- the Builder's /upload

@pytest.mark.parametrize("task_ids", [
    ["0"], [" 0 "], ["+0"], ["-0"], ["0_0"], ["00"], ["01"], [""], ["1.0"], ["\u0661"],
    ["5", "0"], ["0", "5"], [],
])
def test_builder_uploads_are_refused(task_ids):
    jam, app = guarded()
    refused(upload(app, task_ids), jam)


def test_an_urlencoded_builder_upload_is_refused():
    jam, app = guarded()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    refused(call(app, "/upload", "POST", b"task_id=%2B0&item_id=-1", headers), jam)
    passed(call(app, "/upload", "POST", b"task_id=3&item_id=-1", headers), jam,
           b"task_id=3&item_id=-1")


# ---------------------------------------------------------------- pages and paths

@pytest.mark.parametrize("path", [
    "/builder.html", "/admin.html", "/builder_login.html", "/jam/html/builder.html",
    "/JAM/html/Builder.html", "/jam//html/builder.html", "/builder.html/x", "//admin.html",
    "/jam/html/builder.html.bak", "/jam/html/builder_login.html", "/%62uilder.html",
])
def test_builder_pages_are_refused(path):
    jam, app = guarded()
    refused(call(app, path), jam)


@pytest.mark.parametrize("path", [
    "/jam/../admin.sqlite", "/jam/%2e%2e/admin.sqlite", "/js/../admin.sqlite",
    "/static/./files/x", "/jam/%2E%2E/admin.sqlite", "/..", "/jam/.%2e/wsgi.py",
])
def test_dot_segments_are_refused_to_everyone(path):
    jam, app = guarded("any")
    refused(call(app, path, remote="127.0.0.1"), jam)


# ---------------------------------------------------------------- logins

@pytest.mark.parametrize("credentials", [
    {"login": "admin", "password": "x' OR 'a'='a"},
    {"login": "admin'--", "password": "whatever"},
    {"login": "admin", "password": 111},
    {"login": ["admin"], "password": "x"},
])
@pytest.mark.parametrize("task", ["null", "1"])
def test_api_logins_with_a_quote_or_not_text_are_refused(credentials, task):
    jam, app = guarded()
    answer = api(app, f'["login", {task}, 0, [{json.dumps(credentials)}], 0]')
    refused(answer, jam, 403 if "'" in json.dumps(credentials) else 400)
    assert "OR" not in answer.log and "whatever" not in answer.log


@pytest.mark.parametrize("params", ["[]", "null", '["admin", "111"]', "[null]"])
def test_malformed_api_logins_are_refused(params):
    jam, app = guarded()
    refused(api(app, f'["login", null, 0, {params}, 0]'), jam, 400)


@pytest.mark.parametrize("page", ["/login.html", "/login.html/x"])
def test_form_logins_with_a_quote_are_refused(page):
    jam, app = guarded()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    refused(call(app, page, "POST", b"login=admin&password=%27", headers), jam)
    refused(call(app, page, "POST", b"login=ok&login=a%27&password=x", headers), jam)
    body, multipart_headers = multipart([("login", "admin'"), ("password", "x")])
    refused(call(app, page, "POST", body, multipart_headers), jam)
    ok = b"login=admin&password=s3cret%22%5C"
    passed(call(app, page, "POST", ok, headers), jam, ok)


def test_a_quote_is_refused_when_the_builder_is_open():
    jam, app = guarded("any")
    refused(api(app, '["login", 0, 0, [{"login": "admin", "password": "\'"}], 0]'), jam)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    refused(call(app, "/builder_login.html", "POST", b"login=a&password=%27", headers), jam)


# ---------------------------------------------------------------- builder_access

BUILDER_REQUESTS = [
    lambda app, **kw: api(app, BUILDER_CALL.format(task="0.0"), **kw),
    lambda app, **kw: upload(app, ["+0"], **kw),
    lambda app, **kw: call(app, "/builder.html", **kw),
    lambda app, **kw: call(app, "/jam/html/builder.html", **kw),
    lambda app, **kw: call(app, "/builder_login.html", "POST", b"login=a&password=b",
                           {"Content-Type": "application/x-www-form-urlencoded"}, **kw),
]
LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]
NOT_LOOPBACK = [OUTSIDER, "10.0.0.1", "192.168.1.20", "::ffff:10.0.0.1", "fe80::1%eth0",
                "localhost", ""]


@pytest.mark.parametrize("send", BUILDER_REQUESTS)
def test_none_refuses_the_builder_even_to_localhost(send):
    jam, app = guarded("none")
    for remote in LOOPBACK + NOT_LOOPBACK:
        refused(send(app, remote=remote), jam)


@pytest.mark.parametrize("send", BUILDER_REQUESTS)
def test_localhost_allows_the_builder_to_loopback_clients_only(send):
    jam, app = guarded("localhost")
    for remote in NOT_LOOPBACK:
        refused(send(app, remote=remote), jam)
    for remote in LOOPBACK:
        assert send(app, remote=remote).code == 200
    assert len(jam.seen) == len(LOOPBACK)


@pytest.mark.parametrize("send", BUILDER_REQUESTS)
def test_any_does_not_restrict_the_builder(send):
    jam, app = guarded("any")
    assert send(app).code == 200 and len(jam.seen) == 1


def test_any_keeps_the_other_rules():
    jam, app = guarded("any")
    refused(call(app, "/jam/../admin.sqlite"), jam)
    refused(call(app, "/api", "POST", b"{}", length=False), jam, 411)
    refused(api(app, b"not json"), jam, 400)
    environ = passed(call(app, "/", headers={"X-Forwarded-For": "1.2.3.4"}), jam)
    assert "HTTP_X_FORWARDED_FOR" not in environ


def test_an_unknown_builder_access_is_an_error():
    with pytest.raises(ValueError, match="none, localhost, any"):
        jampy_guard.guard(FakeJam(), "local")


# ---------------------------------------------------------------- what a refusal says

def test_a_refusal_logs_one_line_and_never_echoes_the_request():
    jam, app = guarded()
    answer = refused(call(app, "/builder.html/\nforged line", "POST", b"password=secret",
                          {"Content-Type": "application/x-www-form-urlencoded"}), jam)
    assert answer.log == ("jampy_guard: refused POST /builder.html/%0Aforged%20line "
                          f"(Builder page) from {OUTSIDER}\n")
    assert answer.body == b"403 Forbidden: refused by jampy.deploy's guard.\n"
    assert answer.headers["Content-Length"] == str(len(answer.body))
