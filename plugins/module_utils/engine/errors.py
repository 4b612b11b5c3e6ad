"""Errors the engine raises; each message says what happened and what to do."""


class JamDeployError(Exception):
    """Base class: a failure the user can act on (the message is shown as is)."""


class NotAProjectError(JamDeployError):
    """The folder is not a Jam.py project (or its admin.sqlite is unreadable)."""


class ArchiveError(JamDeployError):
    """A metadata archive was refused; nothing was written to the project."""


class InvalidMetadataError(JamDeployError):
    """Metadata (of an archive or a project) that Jam.py or the database could not take;
    the message lists every problem, nothing was changed."""


class MaskingError(JamDeployError, ValueError):
    """A masking rule, its options or a value it cannot mask."""
