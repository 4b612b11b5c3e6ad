"""Column defaults: the ones Jam.py 7.0 creates from SYS_FIELDS.F_DEFAULT_VALUE, and those
read back from a live database, in one canonical form so that they compare.

A default is kept as its value, not as SQL: the text of a string default (unquoted) or
the number of a numeric one, written the same way on every database. The column's type
says which of the two it is; ``sql_literal`` turns it back into SQL for a database.

Jam.py 7.0 (``AbstractDB.default_text``) writes text, long text, file and image defaults
quoted (an empty text: no default), booleans 'true'/'false' as 1/0 (anything else: no
default), dates and datetimes never (their default is applied when a record is inserted),
and the text of every other type as it is - where text that is no number makes broken
SQL. Here a default that is no number of its type is refused before anything changes,
and a quote in a text default is escaped (Jam.py 7.0 writes it as it is, which fails).
"""
import re
from decimal import Decimal, InvalidOperation

from ..errors import JamDeployError
from ..jam import defs as j

_QUOTED_TYPES = (j.TEXT, j.LONGTEXT, j.FILE, j.IMAGE)
_NUMBER_TYPES = {j.INTEGER: "an integer", j.KEYS: "an integer", j.FLOAT: "a number",
                 j.CURRENCY: "a number"}
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
# Column types whose defaults are numbers (canonical type text, see model.canonical_type).
_NUMERIC_COLUMN = re.compile(
    r"^(INTEGER|BIGINT|SMALLINT|MEDIUMINT|TINYINT|REAL|NUMERIC|DECIMAL|DOUBLE|FLOAT)\b")
# A PostgreSQL cast after a default: 'abc'::text, '-5'::integer, ''::character varying.
_CAST = re.compile(r"::[a-z][a-z ]*(\(\d+(,\s*\d+)?\))?$", re.IGNORECASE)


def numeric_column(column_type):
    """Whether a column of this canonical type keeps numbers (its default is one)."""
    return bool(_NUMERIC_COLUMN.match(column_type or ""))


def number(text):
    """The canonical text of a number: '+5' → '5', '1.50' → '1.5', '1e3' → '1000'."""
    value = Decimal(text).normalize()
    return format(value if value != 0 else Decimal(0), "f")


def field_default(row, item_name=None):
    """The default Jam.py 7.0 gives the column of the SYS_FIELDS ``row`` (None: none).

    JamDeployError when a numeric field's default is no number of its type: Jam.py would
    send it into the DDL as it is and fail halfway."""
    value = row.get("f_default_value")
    data_type = row.get("f_data_type")
    if value is None:
        return None
    value = str(value)
    if data_type in _QUOTED_TYPES:
        return value or None
    if data_type == j.BOOLEAN:
        return {"true": "1", "false": "0"}.get(value)
    if data_type in _NUMBER_TYPES:
        text = value.strip()
        if not text:
            return None
        pattern = _NUMBER if data_type in (j.FLOAT, j.CURRENCY) else _INTEGER
        if not pattern.match(text):
            where = f"{item_name}.{row.get('f_field_name')}" if item_name \
                else row.get("f_field_name")
            raise JamDeployError(
                f"the default value {value!r} of field {where} (SYS_FIELDS ID "
                f"{row.get('id')}) is not {_NUMBER_TYPES[data_type]}; nothing was changed. "
                "Correct it in the Application Builder (the field's Default value) and "
                "export again.")
        return number(text)
    return None  # dates and datetimes: set by Jam.py when a record is inserted


def sql_literal(default, column_type):
    """The default as SQL for SQLAlchemy's ``server_default``: a number as ``text``, a
    string as it is (SQLAlchemy quotes and escapes it for the database)."""
    from sqlalchemy import text

    if numeric_column(column_type):
        return text(default)
    return default


def literal_text(default, column_type):
    """The default as people read it: 5, 'abc' (a quote inside doubled)."""
    if numeric_column(column_type):
        return default
    escaped = default.replace("'", "''")
    return f"'{escaped}'"


def describe(default, column_type):
    """"default 5", "default 'abc'" or "no default"."""
    return "no default" if default is None else f"default {literal_text(default, column_type)}"


def unquote(text, backslash_escapes=False):
    """The value of a quoted SQL string literal ('' is a quote; with ``backslash_escapes``
    MySQL's backslash sequences too); None when ``text`` is not one."""
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        return None
    body = text[1:-1]
    if not backslash_escapes:
        return body.replace("''", "'")
    specials = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
    return re.sub(r"\\(.)|''", lambda m: specials.get(m.group(1), m.group(1))
                  if m.group(1) is not None else "'", body, flags=re.DOTALL)


def reflected(text, column_type, backslash_escapes=False):
    """The canonical default of a reflected column default (``text`` as the database
    reports it: a literal, possibly cast and parenthesised), for a column of
    ``column_type``; None for none."""
    if text is None:
        return None
    text = str(text).strip()
    while True:
        stripped = _CAST.sub("", text).strip()
        if stripped.startswith("(") and stripped.endswith(")"):
            stripped = stripped[1:-1].strip()
        if stripped == text:
            break
        text = stripped
    if text.upper() == "NULL":
        return None
    value = unquote(text, backslash_escapes)
    value = text if value is None else value
    if numeric_column(column_type):
        try:
            return number(value)
        except InvalidOperation:
            return value
    return value
