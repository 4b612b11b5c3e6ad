"""Whether a refresh's source and target are one database - which the refresh would
destroy. Two looks: the connection settings (before connecting), and the servers
themselves (a name such as 127.0.0.1 on one side and db.example.org on the other can
reach one server); how each database is recognised is its dialect's.
"""
from ..db.registry import dialect_for
from ..errors import JamDeployError

MESSAGE = ("the source and the target are the same database: a refresh would destroy it; "
           "point the target at a non-production database")


def _dialect_of_both(source, target):
    """The dialect of two connections of one database type (None for two types)."""
    if source.get("db_type") != target.get("db_type"):
        return None
    return dialect_for(target.get("db_type"))


def same_settings(source, target):
    """Whether two connections (Project.connection()) name the same database."""
    dialect = _dialect_of_both(source, target)
    return dialect is not None and dialect.same_settings(source, target)


def check_settings(source, target):
    """JamDeployError when the two connections name the same database."""
    if same_settings(source, target):
        raise JamDeployError(MESSAGE)


def same_server_database(source, target, source_engine, target_engine):
    """Whether the two open engines reach one database."""
    dialect = _dialect_of_both(source, target)
    return dialect is not None and dialect.same_live_database(source, target, source_engine,
                                                              target_engine)


def check_live(source, target, source_engine, target_engine):
    """JamDeployError when the two engines reach the same database."""
    if same_server_database(source, target, source_engine, target_engine):
        raise JamDeployError(MESSAGE + " (the same server was reached through different "
                             "names)")
