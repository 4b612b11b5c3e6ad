"""Jam.py's translations as its task.language reads them: English where a language's own
text is empty or missing."""
import sqlite3
from contextlib import closing

from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.langs import translations


def langs(folder, values):
    """A project's langs.sqlite with ``values`` {(keyword, language): text}."""
    with closing(sqlite3.connect(folder / "langs.sqlite")) as con:
        con.execute("CREATE TABLE JAM_LANG_KEYS (ID INTEGER PRIMARY KEY, F_KEYWORD TEXT)")
        con.execute("CREATE TABLE JAM_LANG_VALUES (ID INTEGER PRIMARY KEY, F_LANG INTEGER, "
                    "F_KEY INTEGER, F_VALUE TEXT)")
        keys = sorted({k for k, unused in values})
        con.executemany("INSERT INTO JAM_LANG_KEYS VALUES (?, ?)", enumerate(keys, 1))
        con.executemany("INSERT INTO JAM_LANG_VALUES (F_LANG, F_KEY, F_VALUE) VALUES (?, ?, ?)",
                        [(lang, keys.index(k) + 1, text) for (k, lang), text in values.items()])
        con.commit()


def test_english_where_the_languages_text_is_empty(tmp_path):
    langs(tmp_path, {("ok", 1): "OK", ("ok", 7): "", ("cancel", 1): "Cancel",
                     ("cancel", 7): "Abbruch", ("close", 1): "Close", ("close", 7): "  ",
                     ("new", 1): "New"})
    assert translations(tmp_path, ["ok", "cancel", "close", "new", "unknown"], 7) == {
        "ok": "OK", "cancel": "Abbruch", "close": "Close", "new": "New"}
    assert sorted(translations(tmp_path, ["ok"])) == [("ok", "OK")]
