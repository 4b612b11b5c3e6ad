"""What a Jam.py metadata export contains (facts §3.2): ``task.dat`` and the project files
its Export takes. Reading refuses any other member; exporting takes exactly these."""
import os

TASK_DAT = "task.dat"
# Folders exported recursively, with the extensions each one leaves out.
FOLDERS = (
    ("js", ()), ("css", ()), ("static/img", ()), ("static/js", ()), ("static/css", ()),
    ("static/fonts", ()), ("static/builder", ()), ("utils", (".pyc",)),
    ("reports", (".xml", ".ods#")),
)
# Files of these extensions in the project folder itself.
TOP_LEVEL_EXTENSIONS = (".html", ".js")
CHUNK = 1 << 16  # bytes copied at a time


def exported(name):
    """True when Jam.py's Export would have written a file at this archive path."""
    extension = os.path.splitext(name)[1]
    if "/" not in name:
        return extension in TOP_LEVEL_EXTENSIONS
    for folder, excluded in FOLDERS:
        if name.startswith(folder + "/"):
            return extension not in excluded
    return False
