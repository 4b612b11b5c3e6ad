"""Which Jam.py release exported a metadata archive, which one runs a project, and whether
the project may import the archive.

Jam.py's import never looks at the release in an archive's SYS_PARAMS (F_JAM_VERSION), but
it only works with metadata of its own version: 7.0.120 fails on a 5.4.136 export and
5.4.136 refuses a 7.0.120 export ("Items with ID 4 ... have different type values"). So
the release lines (major.minor) must match, with one exception measured on the real
releases: 5.4 and 5.5 are one line. Jam.py 5.5.4's ``jam/`` differs from 5.4.136's in four
files, none of them admin, export or import code; each release's import of the other's
export of the demo succeeds and leaves the same admin tables; 5.5.4's own demo still says
5.4.112 in its SYS_PARAMS.
"""
from ..errors import JamDeployError
from . import installed
from .layouts import installed_layout

# Release lines whose metadata and import are the same, mapped to one name.
_SAME_METADATA = {"5.5": "5.4"}


def release_line(version):
    """"7.0.120" → "7.0"; None for a value that is not a Jam.py release."""
    parts = str(version or "").strip().split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return f"{int(parts[0])}.{int(parts[1])}"


def same_metadata(version_a, version_b):
    """Whether Jam.py ``version_a``'s import takes metadata exported by ``version_b``
    (their release lines are the same, 5.4 and 5.5 counting as one)."""
    lines = [release_line(v) for v in (version_a, version_b)]
    if None in lines:
        return False
    return len({_SAME_METADATA.get(line, line) for line in lines}) == 1


def archive_release(metadata):
    """The F_JAM_VERSION an archive's SYS_PARAMS holds (the release that exported it), or
    None when it has none."""
    for row in metadata.tables["sys_params"].rows.values():
        if row.get("f_jam_version"):
            return str(row["f_jam_version"])
    return None


def project_release(project, jam=installed.THIS_PYTHON):
    """(release, where it was read) of the Jam.py that runs ``project``: the installed one
    (``jam``: an ``installed.InstalledJam``, None for none; by default the one this Python
    would import) when it has the project's layout, else the project's F_JAM_VERSION (the
    release that last started it); (None, None) when neither says."""
    jam = installed.resolve(jam)
    if jam and installed_layout(jam) == project.layout:
        return jam.version, f"installed at {jam.path}"
    stored = project.parameters().get("jam_version")
    if release_line(stored):
        return stored, "the project's SYS_PARAMS"
    return None, None


def check_archive_release(project, metadata, jam=installed.THIS_PYTHON):
    """Refuse (JamDeployError) metadata exported by a Jam.py release whose metadata the
    project's Jam.py cannot import; nothing to check when either release is unknown.
    ``jam`` as for ``project_release``. Returns (archive release, project release)."""
    exported = archive_release(metadata)
    running, where = project_release(project, jam)
    if release_line(exported) and running and not same_metadata(exported, running):
        lines = " or ".join(_lines_like(release_line(running)))
        raise JamDeployError(
            f"the archive was exported by Jam.py {exported} but the project {project.path} "
            f"runs Jam.py {running} ({where}); Jam.py's import works only with metadata of "
            f"its own release line ({lines}). Export the development project again with "
            f"Jam.py {lines}, or bring both projects to the same release first")
    return exported, running


def _lines_like(line):
    """The release lines whose metadata ``line``'s import takes, e.g. ["5.4", "5.5"]."""
    same = _SAME_METADATA.get(line, line)
    return sorted({line, same, *(other for other, to in _SAME_METADATA.items() if to == same)})
