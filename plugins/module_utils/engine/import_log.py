"""Jam.py's import logs: ``logs/import_<YYYY-MM-DD_HH-MM-SS>.log`` in the project folder.

The first line is the result text upper-cased, in the project's language (facts §7);
the project's langs.sqlite supplies the translations, English is always known.
"""
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from .admin_db import connect_readonly
from .errors import JamDeployError

_LOG_NAME = re.compile(r"^import_(\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)\.log$")
RESULT_KEYS = {"import_success": "success", "import_errors": "errors",
               "import_failed": "failed"}
_ENGLISH = {
    "The metadata have been successfully imported": "success",
    "The metadata have been imported with errors": "errors",
    "The metadata have not been imported": "failed",
}


def import_logs(project_path):
    """Import log files of a project, oldest first (their names sort by time)."""
    folder = Path(project_path) / "logs"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _LOG_NAME.match(p.name) and p.is_file())


def _result_texts(project_path):
    texts = {text.upper(): result for text, result in _ENGLISH.items()}
    langs = Path(project_path) / "langs.sqlite"
    if langs.is_file():
        try:
            with closing(connect_readonly(langs)) as con:
                rows = con.execute(
                    "SELECT k.F_KEYWORD, v.F_VALUE FROM JAM_LANG_KEYS k "
                    "JOIN JAM_LANG_VALUES v ON v.F_KEY = k.ID WHERE k.F_KEYWORD IN (?, ?, ?)",
                    tuple(RESULT_KEYS)).fetchall()
            texts.update({value.upper(): RESULT_KEYS[key] for key, value in rows if value})
        except (sqlite3.Error, JamDeployError):  # an unreadable langs.sqlite costs translations only
            pass
    return texts


def read_import_log(path, texts=None):
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
    logs = import_logs(project_path)
    return read_import_log(logs[-1], _result_texts(project_path)) if logs else None
