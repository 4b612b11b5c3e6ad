"""The rules of deterministic masking of personal data for production -> non-production
copies.

A ``masker.Masker`` turns a production value into a fake one. Masking is **keyed and
deterministic**: every rule that invents a value derives it from HMAC-SHA256 of the
input under a secret key given once per refresh (at least 16 bytes, kept per installation,
e.g. in Ansible Vault), so

* the same input gives the same output under the same key, in every table and on every
  run (joins, lookups and unique keys hold across a refresh),
* nobody without the key can recompute or reverse the mapping, and two installations
  with different keys produce unrelated data,
* ``None`` stays ``None`` under every rule, and an empty string stays empty under every
  rule that invents text (there is nothing personal in it).

Each rule derives its own sub-key from the refresh key (``email`` and ``hash`` of the same
input are unrelated). The derivation is part of the contract: changing it changes every
masked value, so it is pinned by the tests.

Rules
=====

=============  ========================================================  ====================
rule           output                                                    options
=============  ========================================================  ====================
``keep``       the value unchanged (not masked)                          --
``null``       ``None``                                                  --
``blank``      ``""``                                                    --
``fixed``      the same given value for every row                        ``value`` (required)
``email``      ``user-<16 base32 chars>@example.invalid``; distinct      ``domain``,
               inputs give distinct outputs (80 bits: a collision is     ``prefix``
               not to be expected even in billions of rows). With a
               ``max_length`` the prefix goes first, then hash
               characters; the configured domain is always kept, so
               the address stays valid and undeliverable.
``first_name`` a first name from a built-in list (220+), chosen by hash  --
``last_name``  a last name from a built-in list (220+), chosen by hash   --
``full_name``  ``"<first> <last>"`` from the same lists                  --
``phone``      every ASCII digit replaced, everything else (``+``,       ``keep``
               spaces, dashes, brackets, ``ext``) kept: same length,
               same digit count; a leading ``0`` stays ``0``, a leading
               non-zero digit stays non-zero. ``keep``: leading digits
               kept as they are (a country code). Integers stay
               integers with the same number of digits.
``text``       same length. ``lorem`` (default): lorem-ipsum words;      ``style``
               ``x``: letters become ``x``/``X`` and digits ``0``;
               spaces, punctuation and line breaks kept (keyless:
               only the layout of the text survives).
``hash``       lower-case hex of the keyed hash, ``length`` characters   ``length`` (1-64,
                                                                         default 64)
``number``     a number within +/- ``percent`` of the original (never   ``percent`` (0-100,
               changes sign); integers stay integers, floats floats,     default 10),
               ``Decimal`` keeps its number of decimals, numeric         ``precision``
               strings stay strings. ``precision``: decimals of the
               result (not for integers). Booleans are left alone.
``date``       shifted by a non-zero number of days within +/- ``days``  ``days`` (>= 1,
               (the same shift for a date and any time on that day).     default 30)
               Accepts ``date``, ``datetime`` and ISO strings
               ``YYYY-MM-DD`` / ``YYYY-MM-DD HH:MM:SS`` (also ``T``,
               fractions, a zone suffix); returns the same kind.
``ip``         ``documentation`` (default): an address of the            ``style``
               documentation ranges (``192.0.2.1``-``192.0.2.254``,
               ``2001:db8::/32`` for IPv6 inputs); ``clear``: ``None``.
               ``ipaddress`` objects stay objects; an IPv6 result
               longer than ``max_length`` becomes an IPv4 one.
=============  ========================================================  ====================

Every rule also takes ``max_length``: no string it produces is longer (a database column
size). ``keep`` returns the value as it is, and ``date`` and ``number`` strings keep the
shape of their input.

Not unique: ``first_name``, ``last_name``, ``full_name``, ``text``, ``number``, ``date``,
``ip``, ``phone`` (collisions are possible, and likely for names), so never put them on a
column with a unique index. ``email`` is unique-preserving (while ``max_length`` leaves
it 13 or more hash characters), and so is ``hash`` with a length of 16 or more;
``Masker.unique`` says which is which. Names drawn from the lists can coincide with real
names in the source, which ``leaks`` then reports.

Error messages name the rule and option but never the value being masked (it is
production data) nor the key.

Each rule is a builder registered with ``rule`` (its options and whether it keeps distinct
values distinct); ``masker.Masker`` binds one to a key.

The playbook form (``masker.parse_rules``)::

    {"customers.email": "email",
     "customers.phone": {"rule": "phone", "keep": 2},
     "orders.total": {"rule": "number", "percent": 10}}
"""
import datetime
import ipaddress
import math
import re
from dataclasses import dataclass
from decimal import Context, Decimal, ROUND_HALF_EVEN, InvalidOperation
from fractions import Fraction

from ..errors import MaskingError
from . import options as o
from .names import FIRST_NAMES, LAST_NAMES, LOREM, LOREM_STARTS

_ONE = Decimal(1)
_EXACT = Context(prec=400)  # numbers far beyond any database column, without rounding
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_X_TABLE = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "x" * 26 + "X" * 26 + "0" * 10)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"((?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?)\Z")


@dataclass(frozen=True)
class Rule:
    """A masking rule: its own options (name → (check, default)), the builder that makes
    the function applied to non-None values from a keyed ``digest`` and the checked
    options, and ``unique(options)``: whether distinct inputs stay distinct."""
    name: str
    options: dict
    build: object
    unique: object


REGISTRY = {}


def rule(name, unique=False, **options):
    """Register the decorated builder as the rule ``name`` with its ``options``; ``unique``
    is a bool or a function of the checked options."""
    def register(build):
        REGISTRY[name] = Rule(name, options, build,
                              unique if callable(unique) else lambda checked: unique)
        return build
    return register


def as_bytes(value):
    """What a value's keyed hash is taken of."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def _wrong_value(rule_name, value, expected):
    # The value itself is production data: only its type goes into the message.
    return MaskingError(f"masking rule {rule_name!r} cannot mask a {type(value).__name__} "
                        f"value: it expects {expected}")


def _email_layout(domain, prefix, max_length):
    """(prefix, hash characters) of addresses within ``max_length``: the configured domain
    is always kept, then the prefix goes first."""
    hash_chars = 16
    if max_length is not None:
        room = max_length - 1 - len(domain)
        if room < 1:
            raise MaskingError(
                f"masking rule 'email': max_length {max_length} leaves no room for an "
                f"address at {domain}; choose a shorter domain")
        if room < len(prefix) + hash_chars:
            prefix = ""
            hash_chars = min(room, hash_chars)
    return prefix, hash_chars


def _email_unique(checked):
    # 13 or more hash characters (65+ bits): no collision expected in practice.
    return _email_layout(checked["domain"], checked["prefix"], checked["max_length"])[1] >= 13


def _hash_unique(checked):
    return min(checked["length"], checked["max_length"] or 64) >= 16


@rule("keep", unique=True)
def _keep(digest, max_length):
    return lambda value: value


@rule("null")
def _null(digest, max_length):
    return lambda value: None


@rule("blank")
def _blank(digest, max_length):
    return lambda value: ""


@rule("fixed", value=(o.anything, o.REQUIRED))
def _fixed(digest, value, max_length):
    if isinstance(value, str) and max_length is not None and len(value) > max_length:
        raise MaskingError(f"masking rule 'fixed': the value is {len(value)} characters "
                           f"long, more than max_length {max_length}")
    fixed = value
    return lambda value: fixed


@rule("email", unique=_email_unique, domain=(o.domain, "example.invalid"),
      prefix=(o.prefix, "user-"))
def _email(digest, domain, prefix, max_length):
    prefix, hash_chars = _email_layout(domain, prefix, max_length)
    tail = "@" + domain
    alphabet = _BASE32
    shifts = tuple(range(5 * (hash_chars - 1), -1, -5))

    def email(value):
        if value == "":
            return value
        number = int.from_bytes(digest(as_bytes(value))[:10], "big")
        return prefix + "".join([alphabet[(number >> s) & 31] for s in shifts]) + tail
    return email


def _names(digest, max_length, first, last):
    firsts, lasts = FIRST_NAMES, LAST_NAMES
    nf, nl = len(firsts), len(lasts)

    def name(value):
        if value == "":
            return value
        d = digest(as_bytes(value))
        if first and last:
            out = firsts[int.from_bytes(d[:8], "big") % nf] + " " + \
                lasts[int.from_bytes(d[8:16], "big") % nl]
        elif first:
            out = firsts[int.from_bytes(d[:8], "big") % nf]
        else:
            out = lasts[int.from_bytes(d[8:16], "big") % nl]
        if isinstance(value, str) and value.isupper():
            out = out.upper()
        if max_length is not None and len(out) > max_length:
            out = out[:max_length].rstrip()
        return out
    return name


@rule("first_name")
def _first_name(digest, max_length):
    return _names(digest, max_length, True, False)


@rule("last_name")
def _last_name(digest, max_length):
    return _names(digest, max_length, False, True)


@rule("full_name")
def _full_name(digest, max_length):
    return _names(digest, max_length, True, True)


def _phone_digits(digest, data, count):
    """``count`` pseudo-random decimal digits from the keyed hash of ``data``."""
    chunks, counter = [], 0
    while count > 0:
        d = digest(data if not counter else data + b"\x00%d" % counter)
        # The 70 low decimal digits of a 256-bit number are uniform enough.
        chunks.append(("%077d" % int.from_bytes(d, "big"))[-70:])
        count -= 70
        counter += 1
    return "".join(chunks)


@rule("phone", keep=(o.int_between(0, 64), 0))
def _phone(digest, keep, max_length):
    def phone_text(text):
        count = sum(1 for c in text if "0" <= c <= "9")
        if count <= keep:
            return text
        fresh = _phone_digits(digest, as_bytes(text), count)
        out, seen = [], 0
        for c in text:
            if "0" <= c <= "9":
                if seen >= keep:
                    new = fresh[seen]
                    if seen == 0 and (c == "0") != (new == "0"):
                        # Keep the shape of the number: trunk 0 or a real first digit.
                        new = "0" if c == "0" else str(1 + int(fresh[-1]) % 9)
                    c = new
                seen += 1
            out.append(c)
        return "".join(out)

    def phone(value):
        if isinstance(value, str):
            return phone_text(value)
        if isinstance(value, int) and not isinstance(value, bool):
            masked = int(phone_text(str(abs(value))))
            return -masked if value < 0 else masked
        raise _wrong_value("phone", value, "a string or an integer")
    return phone


@rule("text", style=(o.one_of("lorem", "x"), "lorem"))
def _text(digest, style, max_length):
    corpus, starts = LOREM, LOREM_STARTS
    span = len(corpus)

    def lorem(value):
        n = len(value) if max_length is None else min(len(value), max_length)
        if n == 0:
            return ""
        start = starts[int.from_bytes(digest(as_bytes(value))[:8], "big") % len(starts)]
        if start + n <= span:
            out = corpus[start:start + n]
        else:
            out = (corpus * ((start + n) // span + 1))[start:start + n]
        if n > 1 and out[-1] == " ":
            out = out[:-1] + "."
        return out[0].upper() + out[1:]

    def x_text(value):
        out = value.translate(_X_TABLE)
        if not out.isascii():
            out = "".join(["X" if c.isupper() else "x" if c.isalpha() else
                           "0" if c.isdigit() else c for c in out])
        return out if max_length is None else out[:max_length]

    apply = lorem if style == "lorem" else x_text

    def text(value):
        if not isinstance(value, str):
            raise _wrong_value("text", value, "a string")
        return apply(value)
    return text


@rule("hash", unique=_hash_unique, length=(o.int_between(1, 64), 64))
def _hash(digest, length, max_length):
    if max_length is not None:
        length = min(length, max_length)

    def hash_(value):
        if value == "":
            return value
        return digest(as_bytes(value)).hex()[:length]
    return hash_


@rule("number", percent=(o.percent, 10), precision=(o.int_between(0, 18), None))
def _number(digest, percent, precision, max_length):
    ratio = Fraction(str(percent)) / 100
    num, den = ratio.numerator, ratio.denominator

    def delta(value_bytes, magnitude):
        """A deterministic whole number in [-m, m], m = |magnitude| * percent."""
        m = abs(magnitude) * num // den
        if not m:
            return 0
        return int.from_bytes(digest(value_bytes), "big") % (2 * m + 1) - m

    def masked_decimal(value, exponent, value_bytes):
        """Both shifts of ``value`` on the grid 10**exponent (exact arithmetic)."""
        n = int(value.quantize(_ONE.scaleb(exponent, _EXACT), ROUND_HALF_EVEN, _EXACT)
                .scaleb(-exponent, _EXACT))
        d = delta(value_bytes, n)
        return (Decimal(n + d).scaleb(exponent, _EXACT),
                Decimal(n - d).scaleb(exponent, _EXACT))

    def number(value):
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value + delta(b"%d" % value, value)
        if isinstance(value, float):
            if not math.isfinite(value):
                return value
            data = repr(value).encode()
            if precision is None:
                u = int.from_bytes(digest(data)[:8], "big") / 18446744073709551616.0
                return value + value * float(ratio) * (2.0 * u - 1.0)
            factor = 10 ** precision
            n = round(value * factor)
            return round((n + delta(data, n)) / factor, precision)
        if isinstance(value, Decimal):
            if not value.is_finite():
                return value
            exponent = -precision if precision is not None else \
                min(value.as_tuple().exponent, 0)
            return masked_decimal(value, exponent, str(value).encode())[0]
        if isinstance(value, str):
            if value == "":
                return value
            try:
                parsed = Decimal(value)
            except InvalidOperation:
                raise _wrong_value("number", value, "a number or a numeric string") \
                    from None
            if not parsed.is_finite():
                return value
            exponent = -precision if precision is not None else \
                min(parsed.as_tuple().exponent, 0)
            up, down = masked_decimal(parsed, exponent, value.encode("utf-8"))
            out = format(up, "f")
            if max_length is not None and len(out) > max_length:
                out = format(down, "f")  # the mirrored shift never adds digits
            return out
        raise _wrong_value("number", value, "a number or a numeric string")
    return number


@rule("date", days=(o.int_between(1, 3650000), 30))
def _date(digest, days, max_length):
    span = 2 * days

    def shift_for(ordinal):
        k = int.from_bytes(digest(b"%d" % ordinal)[:8], "big") % span
        return datetime.timedelta(days=k - days if k < days else k - days + 1)

    def moved(value, shift):
        try:
            return value + shift
        except OverflowError:
            return value - shift

    def date(value):
        if isinstance(value, datetime.date):  # datetime.datetime included
            return moved(value, shift_for(value.toordinal()))
        if isinstance(value, str):
            if value == "":
                return value
            match = _ISO_DATE.match(value)
            try:
                day = datetime.date(*(int(g) for g in match.groups()[:3]))
            except (AttributeError, ValueError):
                raise _wrong_value("date", value, "a date, a datetime or an ISO "
                                   "string YYYY-MM-DD[ HH:MM:SS]") from None
            new = moved(day, shift_for(day.toordinal()))
            return "%04d-%02d-%02d" % (new.year, new.month, new.day) + match.group(4)
        raise _wrong_value("date", value, "a date, a datetime or an ISO string "
                           "YYYY-MM-DD[ HH:MM:SS]")
    return date


@rule("ip", style=(o.one_of("documentation", "clear"), "documentation"))
def _ip(digest, style, max_length):
    if style == "clear":
        return lambda value: None
    if max_length is not None and max_length < 11:
        raise MaskingError(f"masking rule 'ip': max_length {max_length} cannot hold a "
                           "documentation address (up to 11 characters); use the "
                           "'blank' or 'null' rule")

    def ip_text(text):
        u = int.from_bytes(digest(text.encode("utf-8", "surrogatepass"))[:8], "big")
        if ":" in text:
            out = "2001:db8::%x" % (1 + u % 0xFFFE)
            if max_length is None or len(out) <= max_length:
                return out
        return "192.0.2.%d" % (1 + u % 254)

    def ip(value):
        if isinstance(value, str):
            return ip_text(value) if value else value
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return ipaddress.ip_address(ip_text(str(value)))
        raise _wrong_value("ip", value, "a string or an ipaddress address")
    return ip


RULES = tuple(sorted(REGISTRY))
