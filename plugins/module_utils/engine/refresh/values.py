"""Values as both databases of a refresh agree on them: what is compared to find the rows
that differ, and the order-independent digest of a table without a key."""
import datetime
import decimal
import hashlib
import math


def normalize(value):
    """A value as both databases would agree on it (2.50 == 2.5, a date == its text)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (float, decimal.Decimal)):
        number = float(value)
        if math.isnan(number):  # NaN equals nothing, not even itself
            return "NaN"
        return int(number) if number.is_integer() else round(number, 9)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


# Types normalize() returns unchanged: columns of only these are compared as they are.
_NORMAL_TYPES = {type(None), str, int}


def normalized(columns):
    """normalize() over columns of values, in bulk where it would change nothing."""
    return [values if set(map(type, values)) <= _NORMAL_TYPES else list(map(normalize, values))
            for values in columns]


def multiset_digest(batches):
    """(rows, sum of their hashes mod 2**128) of batches of rows: equal for the same rows
    in any order, as the databases would agree on their values."""
    count, total = 0, 0
    for rows in batches:
        for row in rows:
            digest = hashlib.sha256(repr(tuple(map(normalize, row))).encode()).digest()
            total = (total + int.from_bytes(digest[:16], "big")) % (1 << 128)
            count += 1
    return count, total
