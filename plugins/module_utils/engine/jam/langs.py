"""Jam.py's translations (``langs.sqlite``: JAM_LANG_KEYS, JAM_LANG_VALUES by language id).

A 5.4 project gets its own copy at its first start, a 7.0 project from its template; the
Jam.py package installed next to it always has one.
"""
import importlib.util
import sqlite3
from contextlib import closing
from pathlib import Path

from ..errors import JamDeployError
from .admin_db import connect_readonly


def langs_files(project_path):
    """The project's langs.sqlite, then the installed Jam.py package's (when found)."""
    files = [Path(project_path) / "langs.sqlite"]
    try:
        spec = importlib.util.find_spec("jam")  # finds the package without importing it
    except (ImportError, ValueError):
        spec = None
    if spec and spec.origin:
        files.append(Path(spec.origin).parent / "langs.sqlite")
    return [f for f in files if f.is_file()]


def _query(path, sql, params):
    try:
        with closing(connect_readonly(path)) as con:
            return con.execute(sql, params).fetchall()
    except (sqlite3.Error, JamDeployError):  # an unreadable file only costs translations
        return []


def translations(project_path, keys, language=None):
    """{key: text} for ``keys`` in ``language`` as Jam.py's ``task.language`` gives them:
    English's text (language 1) where the language's own is empty, as its
    ``langs.get_lang_dict`` does. All languages when None: [(key, text)]."""
    keys = list(keys)
    marks = ", ".join("?" * len(keys))
    if language is None:
        sql = ("SELECT k.F_KEYWORD, v.F_VALUE FROM JAM_LANG_KEYS k JOIN JAM_LANG_VALUES v "
               f"ON v.F_KEY = k.ID WHERE k.F_KEYWORD IN ({marks})")
        params = keys
    else:
        sql = ("SELECT k.F_KEYWORD, CASE WHEN TRIM(v.F_VALUE) <> '' THEN v.F_VALUE "
               "ELSE english.F_VALUE END FROM JAM_LANG_KEYS k "
               "LEFT JOIN JAM_LANG_VALUES v ON v.F_KEY = k.ID AND v.F_LANG = ? "
               "LEFT JOIN JAM_LANG_VALUES english ON english.F_KEY = k.ID AND english.F_LANG = 1 "
               f"WHERE k.F_KEYWORD IN ({marks})")
        params = [language] + keys
    for path in langs_files(project_path):
        rows = [(k, v) for k, v in _query(path, sql, params) if v]
        if rows:
            return dict(rows) if language is not None else rows
    return {} if language is not None else []
