"""Jam.py's import logs: ``logs/import_<YYYY-MM-DD_HH-MM-SS>.log`` in the project folder.

The first line is the result text upper-cased, in the project's language (facts §7);
the project's langs.sqlite supplies the translations, English is always known.
"""
import datetime
import re
from pathlib import Path

from ..files import make_dirs, write_text
from .langs import translations

_LOG_NAME = re.compile(r"^import_(\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)\.log$")
# Index statements as imports log them (Jam.py quotes names with ", SQLAlchemy on MySQL
# with `): the index name, and for a creation its table.
_QUOTED = r'["`]?([^"`\s]+)["`]?'
_CREATE_INDEX = re.compile(r"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                           + _QUOTED + r"\s+ON\s+" + _QUOTED, re.IGNORECASE | re.MULTILINE)
_DROP_INDEX = re.compile(r"^DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?" + _QUOTED,
                         re.IGNORECASE | re.MULTILINE)
_ONE_SECOND = datetime.timedelta(seconds=1)
RESULT_KEYS = {"import_success": "success", "import_errors": "errors",
               "import_failed": "failed"}
_ENGLISH = {
    "The metadata have been successfully imported": "success",
    "The metadata have been imported with errors": "errors",
    "The metadata have not been imported": "failed",
}
# Progress lines of Jam.py's import, in its order, with their English texts.
PROGRESS = {
    "import_reading_data": "Import: reading data",
    "import_checking_integrity": "Import: checking data integrity",
    "import_analyzing": "Import: analyzing changes",
    "import_waiting_close": "Import: waiting for connections to close",
    "import_changing_db": "Import: applying changes to the database",
    "import_changing_admin": "Import: applying changes to admin.sqlite",
    "import_copying": "Import: copying files",
}
_RESULT_TEXTS = {result: text for text, result in _ENGLISH.items()}


class ImportLog:
    """An import log in Jam.py's format: the result upper-cased, a blank line, then each
    progress line as "\n<text>\n", each statement as "\n<sql>", each error as "\n<error>"."""

    def __init__(self, project_path, language=1):
        self.project_path = Path(project_path)
        keys = list(PROGRESS) + list(RESULT_KEYS)
        self.texts = {**PROGRESS, **{k: _RESULT_TEXTS[v] for k, v in RESULT_KEYS.items()}}
        self.texts.update(translations(project_path, keys, language or 1))
        self.parts = []
        self.lines = []  # (kind, text) for callers that show progress

    def progress(self, key):
        """A progress line (a key of PROGRESS), in the project's language."""
        text = self.texts[key]
        self.parts.append(f"\n{text}\n")
        self.lines.append(("progress", text))

    def sql(self, statement):
        """A statement sent to the database."""
        self.parts.append(f"\n{statement}")
        self.lines.append(("sql", statement))

    def error(self, message):
        """An error, as it stopped the import."""
        self.parts.append(f"\n{message}")
        self.lines.append(("error", message))

    def write(self, result, now):
        """Write ``logs/import_<time>.log``; ``result`` is success, errors or failed."""
        folder = self.project_path / "logs"
        make_dirs(folder, self.project_path)
        key = next(k for k, v in RESULT_KEYS.items() if v == result)
        path = folder / f"import_{now.strftime('%Y-%m-%d_%H-%M-%S')}.log"
        while path.exists():  # one file per attempt, even two in one second
            now += _ONE_SECOND
            path = folder / f"import_{now.strftime('%Y-%m-%d_%H-%M-%S')}.log"
        body = "".join(self.parts)
        write_text(path, f"{self.texts[key].upper()}\n\n{body}", self.project_path)
        return path


def import_logs(project_path):
    """Import log files of a project, oldest first (their names sort by time)."""
    folder = Path(project_path) / "logs"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _LOG_NAME.match(p.name) and p.is_file())


def logged_indexes(project_path):
    """(TABLE, INDEX) names, upper-cased, of the indexes the project's import logs show
    created and not dropped by a later import: what imports left in the database."""
    created = {}
    for path in import_logs(project_path):
        content = path.read_text(encoding="utf-8", errors="replace")
        events = [(m.start(), m.group(1).upper(), m.group(2).upper())
                  for m in _CREATE_INDEX.finditer(content)]
        events += [(m.start(), m.group(1).upper(), None) for m in _DROP_INDEX.finditer(content)]
        for unused, index, table in sorted(events):
            if table is None:
                created.pop(index, None)
            else:
                created[index] = table
    return frozenset((table, index) for index, table in created.items())


def _result_texts(project_path):
    texts = {text.upper(): result for text, result in _ENGLISH.items()}
    texts.update({value.upper(): RESULT_KEYS[key]
                  for key, value in translations(project_path, RESULT_KEYS)})
    return texts


def read_import_log(path, texts=None):
    """An import log as {file, time, headline, result (success, errors, failed or unknown),
    text}; ``texts`` maps upper-cased headlines to results (the project's languages)."""
    path = Path(path)
    content = path.read_text(encoding="utf-8", errors="replace")
    headline = content.split("\n", 1)[0].strip()
    texts = texts if texts is not None else _result_texts(path.parent.parent)
    return {
        "file": str(path),
        "time": _LOG_NAME.match(path.name).group(1),
        "headline": headline,
        "result": texts.get(headline, "unknown"),
        "text": content,
    }


def newest_import_log(project_path):
    """The newest import log of a project (see ``read_import_log``), or None."""
    logs = import_logs(project_path)
    return read_import_log(logs[-1], _result_texts(project_path)) if logs else None
