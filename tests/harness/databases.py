"""Fresh, empty project databases on the loopback PostgreSQL and MariaDB servers.

Each call makes a database and an owner role of the same random name, the way a
production database is provisioned for a Jam.py project; ``drop`` removes both.
The administrator account is the one ``scripts/services.sh`` creates.
"""
import os
import secrets
from dataclasses import dataclass, field

ADMIN_USER = os.environ.get("JAMPY_TEST_DB_ADMIN", "jampy_admin")
ADMIN_PASSWORD = os.environ.get("JAMPY_TEST_DB_PASSWORD", "jampy-test-pw")
HOST = "127.0.0.1"

SQLITE, POSTGRESQL, MYSQL = 1, 3, 4


@dataclass
class ProjectDatabase:
    """Connection settings in the shape of Jam.py's SYS_TASKS row."""

    db_type: int
    database: str
    user: str = ""
    password: str = field(default="", repr=False)
    host: str = ""
    port: str = ""
    encoding: str = ""

    def as_connection(self):
        return {
            "db_type": self.db_type, "database": self.database, "user": self.user,
            "password": self.password, "host": self.host, "port": self.port,
            "encoding": self.encoding,
        }


def _name(prefix):
    return f"{prefix}_{secrets.token_hex(4)}"


class _Server:
    """A loopback database server and the administrator account the tests use
    (subclasses connect as that administrator in ``_admin``)."""

    def available(self):
        try:
            self._admin().close()
            return True
        except Exception:
            return False

    def _run(self, statements):
        """Run (sql, params) pairs as the administrator, each committed on its own."""
        con = self._admin()
        try:
            cur = con.cursor()
            for sql, params in statements:
                cur.execute(sql, params)
        finally:
            con.close()


class Postgres(_Server):
    port = "5432"

    def _admin(self):
        import psycopg2

        con = psycopg2.connect(host=HOST, port=self.port, user=ADMIN_USER,
                               password=ADMIN_PASSWORD, dbname="postgres")
        con.autocommit = True
        return con

    def create(self, prefix="jt"):
        name, password = _name(prefix), secrets.token_urlsafe(12)
        self._run([(f'CREATE ROLE "{name}" LOGIN PASSWORD %s', (password,)),
                   (f'CREATE DATABASE "{name}" OWNER "{name}"', None)])
        return ProjectDatabase(POSTGRESQL, name, name, password, HOST, self.port)

    def checkpoint(self):
        """Flush the server's dirty buffers so that timed runs start from the same state."""
        self._run([("CHECKPOINT", None)])

    def drop(self, db):
        self._run([(f'DROP DATABASE IF EXISTS "{db.database}" WITH (FORCE)', None),
                   (f'DROP ROLE IF EXISTS "{db.user}"', None)])


class MariaDB(_Server):
    port = "3306"
    hosts = ("localhost", "127.0.0.1")

    def _admin(self):
        import MySQLdb

        return MySQLdb.connect(host=HOST, port=int(self.port), user=ADMIN_USER,
                               password=ADMIN_PASSWORD, autocommit=True)

    def create(self, prefix="jt"):
        name, password = _name(prefix), secrets.token_urlsafe(12)
        statements = [(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4", None)]
        for host in self.hosts:
            statements += [(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY %s", (password,)),
                           (f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{name}'@'{host}'", None),
                           # the scratch database jam_import rehearses schema changes in
                           (f"GRANT ALL PRIVILEGES ON `{name}\\_jampy\\_rehearsal`.* "
                            f"TO '{name}'@'{host}'", None)]
        self._run(statements)
        # mysqlclient 2.x needs an explicit encoding for Jam.py 5.4 (facts §14).
        return ProjectDatabase(MYSQL, name, name, password, HOST, self.port, "utf8mb4")

    def drop(self, db):
        self._run([(f"DROP DATABASE IF EXISTS `{db.database}`", None)]
                  + [(f"DROP USER IF EXISTS '{db.user}'@'{host}'", None) for host in self.hosts])


SERVERS = {"postgresql": Postgres(), "mysql": MariaDB()}
