"""The role jampy.deploy.database applied with ansible-playbook to the loopback servers.

Each type follows the community.postgresql pattern: a check run reports changes and
leaves the server untouched, the real run creates what the application needs (proved by
logging in as the owner over TCP), the re-run reports ``changed=0``.
"""
import grp
import json
import os
import pwd
import re
import secrets
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from tests.harness import databases, services
from tests.harness.ansible_run import run_playbook

# The role becomes postgres and gives files to www-data: that takes root, as on the
# machines the suite is made for.
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the database role tests run as root")

WEB_USER = "www-data"
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                   re.M)
# Characters that break naive quoting in SQL and shells; no "{{" (Ansible would template it).
PASSWORD_SPICE = " 'q\" %$;\\"


def server(kind):
    return services.database_server(kind)


def new_name():
    return f"jd_{secrets.token_hex(4)}"


def new_password():
    return secrets.token_urlsafe(10) + PASSWORD_SPICE


def apply_role(tmp_path, role_vars, *options, check=True, name="play.yml"):
    """Write a one-role playbook (passwords stay in the file, never on a command line)
    and run it; returns (CompletedProcess, changed count)."""
    play = [{
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            # root becomes postgres; Debian's base system has su but not always sudo.
            "ansible_become_method": "ansible.builtin.su",
        },
        "roles": [{"role": "jampy.deploy.database",
                   "vars": {"jampy_db_install_client_libs": False, **role_vars}}],
    }]
    book = tmp_path / name
    book.write_text(json.dumps(play, indent=1))
    proc = run_playbook(book, *options, check=check)
    recap = RECAP.search(proc.stdout)
    changed = int(recap.group(2)) if recap else None
    return proc, changed


def output(proc):
    return proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------

def pg_admin():
    return server("postgresql")._admin()


def pg_query(sql, params=None):
    con = pg_admin()
    try:
        cur = con.cursor()
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []
    finally:
        con.close()


def pg_connect(user, password, dbname):
    import psycopg2

    con = psycopg2.connect(host=databases.HOST, port=5432, user=user, password=password,
                           dbname=dbname, connect_timeout=10)
    con.autocommit = True
    return con


def pg_drop(name):
    pg_query(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_query(f'DROP ROLE IF EXISTS "{name}"')


def fresh_name(kind, drop):
    """A database/owner name not used yet on that server; whatever got that name is
    dropped afterwards."""
    server(kind)
    name = new_name()
    yield name
    drop(name)


@pytest.fixture
def pg_name():
    yield from fresh_name("postgresql", pg_drop)


@pytest.fixture
def pg_other():
    """Another project's database (and role) on the same server, with a table."""
    srv = server("postgresql")
    db = srv.create("jdother")
    con = pg_connect(db.user, db.password, db.database)
    con.cursor().execute("CREATE TABLE secrets (id integer)")
    con.close()
    yield db
    srv.drop(db)


def pg_exists(name):
    role = pg_query("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    db = pg_query("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    return bool(role), bool(db)


def test_postgresql_check_run_rerun(tmp_path, pg_name, pg_other):
    import psycopg2

    password = new_password()
    role_vars = {"jampy_project_name": pg_name, "jampy_db_type": "postgresql",
                 "jampy_db_password": password}

    proc, changed = apply_role(tmp_path, role_vars, "--check")
    assert changed and changed > 0, output(proc)
    assert pg_exists(pg_name) == (False, False)

    proc, changed = apply_role(tmp_path, role_vars, "-v")
    assert changed and changed > 0, output(proc)
    assert password not in output(proc)
    assert pg_exists(pg_name) == (True, True)
    ((owner, encoding, acl),) = pg_query(
        "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datacl::text "
        "FROM pg_database WHERE datname = %s", (pg_name,))
    assert (owner, encoding) == (pg_name, "UTF8")
    assert not [item for item in acl.strip("{}").split(",") if item.startswith("=")], acl
    (flags,) = pg_query("SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole "
                        "FROM pg_roles WHERE rolname = %s", (pg_name,))
    assert flags == (True, False, False, False)

    # The owner logs in over TCP with its password and works in its database...
    con = pg_connect(pg_name, password, pg_name)
    cur = con.cursor()
    cur.execute("CREATE TABLE item (id serial PRIMARY KEY, name varchar(50))")
    cur.execute("INSERT INTO item (name) VALUES (%s) RETURNING id", ("ÄÖÜ € ✓",))
    cur.execute("SELECT name FROM item")
    assert cur.fetchone() == ("ÄÖÜ € ✓",)
    con.close()
    # ... but cannot touch another project's database...
    con = pg_connect(pg_name, password, pg_other.database)
    cur = con.cursor()
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("CREATE TABLE intruder (id integer)")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("SELECT * FROM secrets")
    con.close()
    # ... and the other project's role cannot connect to this one (PUBLIC revoked).
    with pytest.raises(psycopg2.OperationalError, match="permission denied"):
        pg_connect(pg_other.user, pg_other.password, pg_name)

    proc, changed = apply_role(tmp_path, role_vars, "-vvv")
    assert changed == 0, output(proc)
    assert password not in output(proc)
    proc, changed = apply_role(tmp_path, role_vars, "--check")
    assert changed == 0, output(proc)


def test_postgresql_with_login_variables(tmp_path, pg_name):
    """A remote/managed server: login host, administrator and password, no become."""
    password = new_password()
    role_vars = {"jampy_project_name": "shop", "jampy_db_type": "postgresql",
                 "jampy_db_name": pg_name, "jampy_db_user": pg_name,
                 "jampy_db_password": password,
                 "jampy_db_login_host": databases.HOST,
                 "jampy_db_login_user": databases.ADMIN_USER,
                 "jampy_db_login_password": databases.ADMIN_PASSWORD}
    proc, changed = apply_role(tmp_path, role_vars, "-v")
    assert changed and changed > 0, output(proc)
    assert password not in output(proc) and databases.ADMIN_PASSWORD not in output(proc)
    assert "Create the database and its owner as another OS account" in proc.stdout
    assert re.search(r"another OS account\] \*+\nskipping", proc.stdout), proc.stdout
    pg_connect(pg_name, password, pg_name).close()

    # A new password is set; on_create leaves the current one alone.
    second = new_password()
    proc, changed = apply_role(tmp_path, {**role_vars, "jampy_db_password": second,
                                          "jampy_db_update_password": "on_create"})
    assert changed == 0, output(proc)
    pg_connect(pg_name, password, pg_name).close()
    proc, changed = apply_role(tmp_path, {**role_vars, "jampy_db_password": second})
    assert changed == 1, output(proc)
    pg_connect(pg_name, second, pg_name).close()


def test_postgresql_managed_server_administrator(tmp_path, pg_name):
    """Like a managed server's administrator: CREATEDB and CREATEROLE, no superuser.
    Such an account cannot read stored passwords (pg_authid), so only on_create is
    idempotent."""
    admin, admin_password = new_name(), secrets.token_urlsafe(12)
    pg_query(f'CREATE ROLE "{admin}" LOGIN CREATEDB CREATEROLE PASSWORD %s', (admin_password,))
    try:
        password = new_password()
        role_vars = {"jampy_project_name": pg_name, "jampy_db_type": "postgresql",
                     "jampy_db_password": password,
                     "jampy_db_login_host": databases.HOST, "jampy_db_login_user": admin,
                     "jampy_db_login_password": admin_password,
                     "jampy_db_postgresql_grant_owner_to_login": True,
                     "jampy_db_update_password": "on_create"}
        proc, changed = apply_role(tmp_path, role_vars, "--check")
        assert changed and changed > 0, output(proc)
        assert pg_exists(pg_name) == (False, False)
        proc, changed = apply_role(tmp_path, role_vars)
        assert changed and changed > 0, output(proc)
        assert pg_query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                        (pg_name,)) == [(pg_name,)]
        con = pg_connect(pg_name, password, pg_name)
        con.cursor().execute("CREATE TABLE item (id integer)")
        con.close()
        proc, changed = apply_role(tmp_path, role_vars)
        assert changed == 0, output(proc)
    finally:
        pg_drop(pg_name)
        pg_query(f'DROP ROLE IF EXISTS "{admin}"')


def test_postgresql_pg_hba_lines_on_request(tmp_path, pg_name):
    real = pg_query("SHOW hba_file")[0][0]
    hba = tmp_path / "pg_hba.conf"
    hba.write_text(Path(real).read_text())
    before_real = Path(real).read_bytes()
    role_vars = {"jampy_project_name": pg_name, "jampy_db_type": "postgresql",
                 "jampy_db_password": new_password(),
                 "jampy_db_postgresql_hba_manage": True}

    # Check mode with the server's own file: found through the server, left untouched.
    proc = apply_role(tmp_path, role_vars, "--check", name="check.yml")[0]
    assert re.search(r"pg_hba.conf\)\] \*+\nincluded", proc.stdout), proc.stdout
    assert re.search(r"changed: \[localhost\] => \(item=127\.0\.0\.1/32\)", proc.stdout)
    assert Path(real).read_bytes() == before_real

    role_vars["jampy_db_postgresql_hba_file"] = str(hba)
    proc, changed = apply_role(tmp_path, role_vars)
    assert changed and changed > 0, output(proc)
    assert "RUNNING HANDLER [jampy.deploy.database : Reload PostgreSQL]" in proc.stdout
    lines = [line.split() for line in hba.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    ours = [line for line in lines if line[1:3] == [pg_name, pg_name]]
    assert ours == [["host", pg_name, pg_name, "127.0.0.1/32", "scram-sha-256"],
                    ["host", pg_name, pg_name, "::1/128", "scram-sha-256"]]
    assert lines[-2:] == ours  # appended: the file's order is left alone
    proc, changed = apply_role(tmp_path, role_vars)
    assert changed == 0, output(proc)


# ---------------------------------------------------------------------------------------
# MySQL / MariaDB
# ---------------------------------------------------------------------------------------

HOSTS = ("localhost", "127.0.0.1")


def my_query(sql, params=None):
    con = server("mysql")._admin()
    try:
        cur = con.cursor()
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []
    finally:
        con.close()


def my_connect(user, password, database=None, host=databases.HOST):
    """Log in as ``user``: over TCP for 127.0.0.1, over the unix socket for localhost."""
    import MySQLdb

    kwargs = {"host": host, "user": user, "password": password, "autocommit": True,
              "charset": "utf8mb4", "connect_timeout": 10}
    if database:
        kwargs["database"] = database
    if host == "localhost":
        kwargs["unix_socket"] = "/run/mysqld/mysqld.sock"
    else:
        kwargs["port"] = 3306
    return MySQLdb.connect(**kwargs)


def my_drop(name):
    my_query(f"DROP DATABASE IF EXISTS `{name}`")
    for host in HOSTS:
        my_query(f"DROP USER IF EXISTS '{name}'@'{host}'")


@pytest.fixture
def my_name():
    yield from fresh_name("mysql", my_drop)


def my_exists(name):
    db = my_query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))
    users = my_query("SELECT Host FROM mysql.user WHERE User = %s", (name,))
    return bool(db), sorted(host for (host,) in users)


def test_mysql_check_run_rerun(tmp_path, my_name):
    import MySQLdb

    password = new_password()
    # `_` is a wildcard in database-level grants: a database whose name differs from ours
    # only where ours has `_` must stay out of reach.
    lookalike = my_name.replace("_", "x")
    other = server("mysql").create("jdother")
    my_query(f"CREATE DATABASE `{lookalike}`")
    my_query(f"CREATE TABLE `{other.database}`.secrets (id int)")
    try:
        role_vars = {"jampy_project_name": my_name, "jampy_db_type": "mysql",
                     "jampy_db_password": password}
        proc, changed = apply_role(tmp_path, role_vars, "--check")
        assert changed and changed > 0, output(proc)
        assert my_exists(my_name) == (False, [])

        proc, changed = apply_role(tmp_path, role_vars, "-v")
        assert changed and changed > 0, output(proc)
        assert password not in output(proc)
        assert my_exists(my_name) == (True, sorted(HOSTS))
        ((charset,),) = my_query("SELECT DEFAULT_CHARACTER_SET_NAME FROM "
                                 "information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                                 (my_name,))
        assert charset == "utf8mb4"

        # Both accounts log in (TCP and socket) and work in their database...
        for host in HOSTS:
            con = my_connect(my_name, password, my_name, host=host)
            cur = con.cursor()
            cur.execute(f"CREATE TABLE item_{host.replace('.', '_')} "
                        "(id int PRIMARY KEY, name varchar(50))")
            cur.execute(f"INSERT INTO item_{host.replace('.', '_')} VALUES (1, %s)", ("ÄÖÜ € 😀",))
            cur.execute(f"SELECT name FROM item_{host.replace('.', '_')}")
            assert cur.fetchone() == ("ÄÖÜ € 😀",)
            con.close()
        # ... and see and touch nothing else.
        con = my_connect(my_name, password)
        cur = con.cursor()
        cur.execute("SHOW DATABASES")
        assert {name for (name,) in cur.fetchall()} == {"information_schema", my_name}
        for statement in (f"CREATE TABLE `{lookalike}`.intruder (id int)",
                          f"SELECT * FROM `{other.database}`.secrets",
                          "CREATE DATABASE jd_intruder"):
            with pytest.raises(MySQLdb.OperationalError, match="denied"):
                cur.execute(statement)
        con.close()

        proc, changed = apply_role(tmp_path, role_vars, "-vvv")
        assert changed == 0, output(proc)
        assert password not in output(proc)
        proc, changed = apply_role(tmp_path, role_vars, "--check")
        assert changed == 0, output(proc)
    finally:
        my_query(f"DROP DATABASE IF EXISTS `{lookalike}`")
        server("mysql").drop(other)


def test_mysql_with_login_variables_and_hosts(tmp_path, my_name):
    password = new_password()
    role_vars = {"jampy_project_name": my_name, "jampy_db_type": "mysql",
                 "jampy_db_password": password,
                 "jampy_db_mysql_user_hosts": ["127.0.0.1"],
                 "jampy_db_login_host": databases.HOST,
                 "jampy_db_login_user": databases.ADMIN_USER,
                 "jampy_db_login_password": databases.ADMIN_PASSWORD}
    proc, changed = apply_role(tmp_path, role_vars, "-v")
    assert changed and changed > 0, output(proc)
    assert password not in output(proc) and databases.ADMIN_PASSWORD not in output(proc)
    assert my_exists(my_name) == (True, ["127.0.0.1"])
    my_connect(my_name, password, my_name).close()
    proc, changed = apply_role(tmp_path, role_vars)
    assert changed == 0, output(proc)


# ---------------------------------------------------------------------------------------
# Both servers: refusals
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_missing_password_is_a_clear_failure(tmp_path, kind):
    server(kind)
    name = new_name()
    for password in (None, ""):
        role_vars = {"jampy_project_name": name, "jampy_db_type": kind}
        if password is not None:
            role_vars["jampy_db_password"] = password
        proc = apply_role(tmp_path, role_vars, check=False)[0]
        assert proc.returncode != 0
        assert f"jampy_db_password is required for jampy_db_type {kind}" in proc.stdout
    if kind == "postgresql":
        assert pg_exists(name) == (False, False)
    else:
        assert my_exists(name) == (False, [])


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_existing_database_with_another_encoding_is_refused(tmp_path, kind):
    server(kind)
    name = new_name()
    if kind == "postgresql":
        pg_query(f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
                 "TEMPLATE template0")
        expected = f"The database {name} exists with encoding LATIN1"
    else:
        my_query(f"CREATE DATABASE `{name}` CHARACTER SET latin1")
        expected = f"The database {name} exists with the character set latin1, not utf8mb4"
    try:
        role_vars = {"jampy_project_name": name, "jampy_db_type": kind,
                     "jampy_db_password": new_password()}
        proc = apply_role(tmp_path, role_vars, check=False)[0]
        assert proc.returncode != 0
        assert expected in proc.stdout, proc.stdout
        # Refused before the owner was created.
        if kind == "postgresql":
            assert pg_exists(name) == (False, True)
        else:
            assert my_exists(name) == (True, [])
    finally:
        pg_drop(name) if kind == "postgresql" else my_drop(name)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_server_install_on_a_host_that_has_it(tmp_path, kind):
    """jampy_db_install_server on a host where the server is installed and running:
    nothing to install (no apt run), the service is left running, changed=0."""
    srv = server(kind)
    name = new_name()
    role_vars = {"jampy_project_name": name, "jampy_db_type": kind,
                 "jampy_db_password": new_password(), "jampy_db_install_server": True}
    try:
        proc, changed = apply_role(tmp_path, role_vars)
        assert re.search(r"Install the missing packages\] \*+\nskipping", proc.stdout)
        assert re.search(r"Start the database server\] \*+\nok", proc.stdout), proc.stdout
        proc, changed = apply_role(tmp_path, role_vars)
        assert changed == 0, output(proc)
        assert srv.available()
    finally:
        pg_drop(name) if kind == "postgresql" else my_drop(name)


# ---------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------

def owner_and_mode(path):
    st = os.stat(path)
    return (pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name,
            stat.S_IMODE(st.st_mode))


def test_sqlite_check_run_rerun(tmp_path):
    project = tmp_path / "www" / "shop"
    role_vars = {"jampy_project_name": "shop", "jampy_project_path": str(project),
                 # the sqlite3 command is installed: the package step finds it, no apt run
                 "jampy_db_install_client_libs": True}
    database = project / "shop.sqlite"

    proc, changed = apply_role(tmp_path, role_vars, "--check")
    assert changed and changed > 0, output(proc)
    assert not (tmp_path / "www").exists()

    proc, changed = apply_role(tmp_path, role_vars)
    assert changed and changed > 0, output(proc)
    assert database.read_bytes()[:16] == b"SQLite format 3\x00"
    con = sqlite3.connect(database)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)  # empty
    con.close()
    assert owner_and_mode(database) == (WEB_USER, WEB_USER, 0o660)
    assert owner_and_mode(project) == (WEB_USER, WEB_USER, 0o750)
    assert owner_and_mode(project.parent)[:2] == ("root", "root")  # folders above: root's
    assert owner_and_mode(project.parent)[2] == 0o755

    proc, changed = apply_role(tmp_path, role_vars)
    assert changed == 0, output(proc)
    proc, changed = apply_role(tmp_path, role_vars, "--check")
    assert changed == 0, output(proc)


def test_sqlite_absolute_path_in_an_existing_folder(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o711)
    database = folder / "prod.db"
    role_vars = {"jampy_project_name": "shop", "jampy_db_name": str(database),
                 "jampy_project_path": str(tmp_path / "unused")}
    proc, changed = apply_role(tmp_path, role_vars)
    assert changed == 2, output(proc)  # the file, then its owner and mode
    assert database.read_bytes()[:16] == b"SQLite format 3\x00"
    assert owner_and_mode(database) == (WEB_USER, WEB_USER, 0o660)
    assert owner_and_mode(folder) == ("root", "root", 0o711)  # an existing folder is left alone
    assert not (tmp_path / "unused").exists()

    # A database with content is never recreated; a wrong mode is put right.
    con = sqlite3.connect(database)
    con.execute("CREATE TABLE kept (id integer)")
    con.commit()
    con.close()
    os.chmod(database, 0o644)
    proc, changed = apply_role(tmp_path, role_vars)
    assert changed == 1, output(proc)
    assert owner_and_mode(database)[2] == 0o660
    con = sqlite3.connect(database)
    assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("kept",)]
    con.close()
