"""The services tests need - the loopback PostgreSQL and MariaDB servers, Apache with
mod_wsgi, a browser - handled one way: when one is missing, a test fails with the reason
if the CI environment variable is set (a CI run must not pass by skipping), and is skipped
with the reason otherwise."""
import os
import shutil
from pathlib import Path

import pytest

from . import databases

MOD_WSGI = Path("/usr/lib/apache2/modules/mod_wsgi.so")


def require(available, missing, fix="run `make services` as root"):
    """Go on when ``available``; else fail (CI) or skip (locally), saying what is
    ``missing`` and how to ``fix`` it."""
    if available:
        return
    message = f"{missing} ({fix})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def database_server(kind):
    """The loopback server of ``kind`` (postgresql, mysql) with the test account."""
    server = databases.SERVERS[kind]
    require(server.available(), f"{kind} is not reachable on 127.0.0.1 with the test account")
    return server


def apache():
    """Apache with mod_wsgi, as Debian packages them."""
    require(shutil.which("apache2ctl") and MOD_WSGI.exists(),
            "apache2 and libapache2-mod-wsgi-py3 are not installed")


def chromium():
    """Debian's chromium, for a browser's view of a site."""
    found = shutil.which("chromium")
    require(found, "Debian's chromium is not installed")
    return found
