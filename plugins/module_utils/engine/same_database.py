"""Whether a refresh's source and target are one database - which the refresh would
destroy. Two looks: the connection settings (before connecting), and the servers
themselves (a name such as 127.0.0.1 on one side and db.example.org on the other can
reach one server).

The live look needs no privilege: PostgreSQL advisory locks are per database, MySQL's
named locks per server, so a lock taken through the target connection and seen taken
through the source connection means the same database (MySQL: and the same schema name);
SQLite compares the files' device and inode.
"""
import os
import secrets

from . import jamdefs as j
from .errors import JamDeployError

MESSAGE = ("the source and the target are the same database: a refresh would destroy it; "
           "point the target at a non-production database")


def _sqlite_file(connection):
    return connection.get("database_path") or connection["database"]


def same_settings(source, target):
    """Whether two connections (Project.connection()) name the same database."""
    if source.get("db_type") != target.get("db_type"):
        return False
    if source.get("db_type") == j.SQLITE:
        return os.path.realpath(_sqlite_file(source)) == os.path.realpath(_sqlite_file(target))
    hosts = {"localhost": "127.0.0.1"}

    def where(c):
        return (hosts.get(c.get("host") or "", c.get("host")), str(c.get("port") or ""),
                c.get("database"))
    return where(source) == where(target)


def check_settings(source, target):
    if same_settings(source, target):
        raise JamDeployError(MESSAGE)


def same_server_database(source, target, source_engine, target_engine):
    """Whether the two open engines reach one database (see the module's docstring)."""
    db_type = target.get("db_type")
    if source.get("db_type") != db_type:
        return False
    if db_type == j.SQLITE:
        paths = [_sqlite_file(source), _sqlite_file(target)]
        return all(os.path.exists(p) for p in paths) and os.path.samefile(*paths)
    token = secrets.randbits(62)
    with target_engine.connect() as held, source_engine.connect() as probe:
        if db_type == j.POSTGRESQL:
            held.exec_driver_sql(f"SELECT pg_advisory_lock({token})")
            try:
                taken = not probe.exec_driver_sql(
                    f"SELECT pg_try_advisory_lock({token})").scalar()
                if not taken:
                    probe.exec_driver_sql(f"SELECT pg_advisory_unlock({token})")
            finally:
                held.exec_driver_sql(f"SELECT pg_advisory_unlock({token})")
            return taken
        if db_type == j.MYSQL:
            name = f"jampy-{token}"
            held.exec_driver_sql("SELECT GET_LOCK(%s, 0)", (name,))
            try:
                taken = probe.exec_driver_sql("SELECT IS_FREE_LOCK(%s)", (name,)).scalar() == 0
            finally:
                held.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (name,))
            return taken and held.exec_driver_sql("SELECT DATABASE()").scalar() == \
                probe.exec_driver_sql("SELECT DATABASE()").scalar()
    return False


def check_live(source, target, source_engine, target_engine):
    if same_server_database(source, target, source_engine, target_engine):
        raise JamDeployError(MESSAGE + " (the same server was reached through different "
                             "names)")
