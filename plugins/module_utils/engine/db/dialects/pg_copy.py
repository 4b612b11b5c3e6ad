"""PostgreSQL's bulk load: rows as the text format of ``COPY ... FROM STDIN``, one batch
as one text, loaded through psycopg2's ``copy_expert``."""
import datetime
import decimal
import io
import re

from ..quoting import sql_name

_NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")
# Types whose str() PostgreSQL reads back as the same value (never with a tab or newline).
_AS_STR = {int, float, decimal.Decimal, datetime.date, datetime.datetime, datetime.time}


def _escape(text):
    """Backslashes, tabs and line breaks as COPY's text format spells them."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") \
        .replace("\r", "\\r")


def _field(value):
    """One value as a field of COPY's text format."""
    if value is None:
        return _NULL
    if isinstance(value, bool):  # before int: "1" and "0" load into boolean and integer
        return "1" if value else "0"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(value).hex()  # bytea's hex form, its backslash escaped
    return _escape(value if isinstance(value, str) else str(value))


def _column(values):
    """The fields of one column; columns of one common type are done in bulk (this is the
    refresh's hot loop)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {str} and not _SPECIAL.search("".join(filter(None, values))):
        return [_NULL if v is None else v for v in values]
    if kinds <= _AS_STR:
        return [_NULL if v is None else str(v) for v in values]
    return list(map(_field, values))


def copy_text(columns):
    """Rows, given column by column, in COPY's text format."""
    return "\n".join(map("\t".join, zip(*map(_column, columns)))) + "\n"


def copy_in(conn, table, names, data):
    """Load rows in COPY's text format into ``table``, in the transaction of ``conn``."""
    statement = (f"COPY {sql_name(conn, table)} ({', '.join(sql_name(conn, n) for n in names)}) "
                 "FROM STDIN")
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.copy_expert(statement, io.StringIO(data), size=len(data))
