"""Deterministic masking of personal data for production -> non-production copies.

A :class:`Masker` turns a production value into a fake one. Masking is **keyed and
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

The playbook form (``parse_rules``)::

    {"customers.email": "email",
     "customers.phone": {"rule": "phone", "keep": 2},
     "orders.total": {"rule": "number", "percent": 10}}
"""
import datetime
import hashlib
import hmac
import ipaddress
import math
import re
from decimal import Context, Decimal, InvalidOperation, ROUND_HALF_EVEN
from fractions import Fraction

from .errors import JamDeployError

MIN_KEY_BYTES = 16
_KEY_LABEL = b"jampy.deploy masking v1\x00"


class MaskingError(JamDeployError, ValueError):
    """A masking rule, its options or a value it cannot mask."""


# ---------------------------------------------------------------------------- data

FIRST_NAMES = (
    "Aaron", "Abigail", "Adam", "Adrian", "Aiden", "Aisha", "Alan", "Albert", "Alejandro",
    "Alex", "Alexander", "Alexandra", "Alice", "Alicia", "Alina", "Amanda", "Amber",
    "Amelia", "Amir", "Amy", "Ana", "Andre", "Andrea", "Andrew", "Angela", "Anita", "Ann",
    "Anna", "Anthony", "Antonio", "Arjun", "Arthur", "Ashley", "Audrey", "Ava", "Barbara",
    "Beatrice", "Ben", "Benjamin", "Bernard", "Beth", "Bianca", "Boris", "Brandon",
    "Brenda", "Brian", "Bruno", "Caleb", "Camila", "Carl", "Carla", "Carlos", "Carmen",
    "Caroline", "Catherine", "Cecilia", "Charles", "Charlotte", "Chloe", "Chris",
    "Christian", "Christina", "Claire", "Clara", "Colin", "Connor", "Craig", "Cynthia",
    "Daniel", "Daniela", "Darius", "David", "Deborah", "Denise", "Dennis", "Diana", "Diego",
    "Dmitri", "Dominic", "Donna", "Dylan", "Edward", "Elena", "Eli", "Elias", "Elijah",
    "Elizabeth", "Ella", "Ellen", "Emily", "Emma", "Eric", "Erik", "Erin", "Ethan", "Eva",
    "Evelyn", "Fatima", "Felix", "Fernando", "Fiona", "Frances", "Francesca", "Frank",
    "Gabriel", "Gabriela", "George", "Georgia", "Gerald", "Grace", "Gregory", "Hana",
    "Hannah", "Harold", "Harry", "Hazel", "Heather", "Helen", "Henry", "Hugo", "Ian",
    "Ines", "Irene", "Isaac", "Isabel", "Isabella", "Ivan", "Jack", "Jacob", "Jade",
    "James", "Jane", "Janet", "Jasmine", "Jason", "Javier", "Jean", "Jennifer", "Jessica",
    "Joan", "Joel", "John", "Jonathan", "Jorge", "Jose", "Joseph", "Joshua", "Joyce",
    "Juan", "Julia", "Julian", "Julie", "Justin", "Karen", "Karl", "Kate", "Katherine",
    "Keith", "Kenji", "Kevin", "Kim", "Laura", "Lauren", "Leah", "Leo", "Leon", "Liam",
    "Lily", "Linda", "Lisa", "Logan", "Lucas", "Lucia", "Luis", "Luke", "Lydia", "Marco",
    "Margaret", "Maria", "Marie", "Mark", "Martin", "Mary", "Mateo", "Matthew", "Maya",
    "Megan", "Mei", "Melissa", "Mia", "Michael", "Michelle", "Miguel", "Mila", "Monica",
    "Nadia", "Naomi", "Natalia", "Nathan", "Nicholas", "Nicole", "Nina", "Noah", "Nora",
    "Oliver", "Olivia", "Omar", "Oscar", "Owen", "Pablo", "Patricia", "Patrick", "Paul",
    "Paula", "Peter", "Philip", "Priya", "Rachel", "Rafael", "Rahul", "Raymond", "Rebecca",
    "Richard", "Robert", "Roberto", "Rosa", "Ruby", "Ruth", "Ryan", "Samantha", "Samuel",
    "Sandra", "Sara", "Sarah", "Scott", "Sean", "Sebastian", "Sergio", "Simon", "Sofia",
    "Sophie", "Stephen", "Steven", "Susan", "Sven", "Tara", "Teresa", "Thomas", "Timothy",
    "Tyler", "Valentina", "Vanessa", "Victor", "Victoria", "Vincent", "Walter", "William",
    "Yara", "Yuki", "Zara", "Zoe",
)

LAST_NAMES = (
    "Abbott", "Adams", "Ahmed", "Allen", "Alvarez", "Anderson", "Andrews", "Armstrong",
    "Bailey", "Baker", "Banks", "Barker", "Barnes", "Bauer", "Becker", "Bell", "Bennett",
    "Berg", "Bishop", "Black", "Blake", "Brooks", "Brown", "Bryant", "Burke", "Butler",
    "Campbell", "Carlson", "Carter", "Castillo", "Chen", "Clark", "Cole", "Coleman",
    "Collins", "Cook", "Cooper", "Costa", "Cox", "Crawford", "Cruz", "Cunningham",
    "Davies", "Davis", "Dawson", "Diaz", "Dixon", "Duncan", "Dunn", "Edwards", "Elliott",
    "Ellis", "Evans", "Fernandez", "Ferrari", "Fischer", "Fisher", "Fleming", "Flores",
    "Ford", "Foster", "Fox", "Francis", "Fraser", "Garcia", "Gardner", "Gibson", "Gomez",
    "Gonzalez", "Gordon", "Graham", "Grant", "Gray", "Green", "Griffin", "Gupta", "Hall",
    "Hamilton", "Hansen", "Harper", "Harris", "Harrison", "Hart", "Hayes", "Henderson",
    "Hernandez", "Hill", "Hoffmann", "Holmes", "Howard", "Hughes", "Hunt", "Hunter",
    "Ivanov", "Jackson", "Jansen", "Jenkins", "Johnson", "Johnston", "Jones", "Jordan",
    "Kaur", "Keller", "Kelly", "Kennedy", "Khan", "King", "Klein", "Knight", "Kowalski",
    "Kumar", "Lambert", "Lane", "Larsen", "Lawrence", "Lee", "Lewis", "Li", "Lopez",
    "Marshall", "Martinez", "Mason", "Matthews", "Meyer", "Miller", "Mills", "Mitchell",
    "Moore", "Morales", "Moreno", "Morgan", "Morris", "Murphy", "Murray", "Nakamura",
    "Nelson", "Nguyen", "Nielsen", "Novak", "Olsen", "Ortiz", "Owens", "Palmer", "Parker",
    "Patel", "Payne", "Pearson", "Perez", "Perry", "Peters", "Petrov", "Phillips",
    "Pierce", "Porter", "Powell", "Price", "Quinn", "Ramirez", "Reed", "Reyes", "Reynolds",
    "Rice", "Richards", "Richardson", "Rivera", "Roberts", "Robertson", "Robinson",
    "Rodriguez", "Rogers", "Romano", "Rossi", "Ross", "Russell", "Sanchez", "Sanders",
    "Santos", "Schmidt", "Schneider", "Schulz", "Shaw", "Silva", "Simmons", "Simpson",
    "Singh", "Smith", "Snyder", "Spencer", "Stewart", "Stone", "Sullivan", "Suzuki",
    "Tanaka", "Taylor", "Thompson", "Torres", "Tucker", "Turner", "Walker", "Wallace",
    "Walsh", "Ward", "Warren", "Watson", "Weber", "Wells", "West", "White", "Williams",
    "Willis", "Wilson", "Wood", "Wright", "Yamamoto", "Young", "Zhang", "Ziegler",
    "Andersen", "Bergstrom", "Dubois", "Esposito", "Fontaine", "Haddad", "Jensen",
    "Lindqvist", "Moretti", "Okafor", "Pereira", "Sato", "Vogel", "Wagner", "Weiss",
)

_LOREM_WORDS = (
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed",
    "do", "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna",
    "aliqua", "enim", "ad", "minim", "veniam", "quis", "nostrud", "exercitation",
    "ullamco", "laboris", "nisi", "aliquip", "ex", "ea", "commodo", "consequat", "duis",
    "aute", "irure", "in", "reprehenderit", "voluptate", "velit", "esse", "cillum",
    "fugiat", "nulla", "pariatur", "excepteur", "sint", "occaecat", "cupidatat", "non",
    "proident", "sunt", "culpa", "qui", "officia", "deserunt", "mollit", "anim", "id",
    "est", "laborum",
)


def _lorem_corpus(size=4096):
    """A fixed stream of lorem words (a simple LCG picks them: the same on every Python)."""
    words, starts, length, state = [], [], 0, 12345
    while length < size:
        state = (state * 1103515245 + 12345) % 2147483648
        word = _LOREM_WORDS[(state >> 16) % len(_LOREM_WORDS)]
        starts.append(length)
        words.append(word)
        length += len(word) + 1
    return " ".join(words) + " ", tuple(starts)


_LOREM, _LOREM_STARTS = _lorem_corpus()
_ONE = Decimal(1)
_EXACT = Context(prec=400)  # numbers far beyond any database column, without rounding
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_X_TABLE = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "x" * 26 + "X" * 26 + "0" * 10)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"((?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?)\Z")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
_LOCAL_PART = re.compile(r"[a-z0-9._+-]*\Z")
_EMAIL_DOMAIN = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)")
_SPEC_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\Z")


# ------------------------------------------------------------------- option checks

class _Required:
    pass


_REQUIRED = _Required()


def _number_option(value, low, high, integer):
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction)):
        return None
    if isinstance(value, float) and not math.isfinite(value) or \
            isinstance(value, Decimal) and not value.is_finite():
        return None
    if integer and value != int(value):
        return None
    if not low <= value <= high:
        return None
    return int(value) if integer else value


def _int_between(low, high):
    def check(value):
        checked = _number_option(value, low, high, True)
        if checked is None:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return checked
    return check


def _percent(value):
    checked = _number_option(value, 0, 100, False)
    if checked is None:
        raise ValueError("must be a number from 0 to 100")
    return checked


def _one_of(*choices):
    def check(value):
        if value not in choices:
            raise ValueError("must be one of: " + ", ".join(choices))
        return value
    return check


def _domain(value):
    if not isinstance(value, str):
        raise ValueError("must be a domain name such as example.invalid")
    domain = value.strip().lower().rstrip(".")
    labels = domain.split(".")
    if not 0 < len(domain) <= 253 or not all(_HOST_LABEL.match(x) for x in labels):
        raise ValueError("must be a domain name such as example.invalid")
    return domain


def _prefix(value):
    if not isinstance(value, str) or len(value) > 32 or not _LOCAL_PART.match(value):
        raise ValueError("must be at most 32 of the characters a-z 0-9 . _ + -")
    return value


def _anything(value):
    return value


_MAX_LENGTH = _int_between(1, 2 ** 31)
_COMMON = {"max_length": (_MAX_LENGTH, None)}
_OPTIONS = {
    "keep": {},
    "null": {},
    "blank": {},
    "fixed": {"value": (_anything, _REQUIRED)},
    "email": {"domain": (_domain, "example.invalid"), "prefix": (_prefix, "user-")},
    "first_name": {},
    "last_name": {},
    "full_name": {},
    "phone": {"keep": (_int_between(0, 64), 0)},
    "text": {"style": (_one_of("lorem", "x"), "lorem")},
    "hash": {"length": (_int_between(1, 64), 64)},
    "number": {"percent": (_percent, 10), "precision": (_int_between(0, 18), None)},
    "date": {"days": (_int_between(1, 3650000), 30)},
    "ip": {"style": (_one_of("documentation", "clear"), "documentation")},
}
RULES = tuple(sorted(_OPTIONS))


def _valid_rules():
    return ", ".join(RULES)


def _check_options(rule, options):
    allowed = dict(_COMMON, **_OPTIONS[rule])
    checked = {}
    for name in sorted(options):
        if name not in allowed:
            raise MaskingError(
                f"masking rule {rule!r} has no option {name!r}; "
                f"its options are: {', '.join(sorted(allowed))}")
    for name, (check, default) in sorted(allowed.items()):
        if name not in options:
            if default is _REQUIRED:
                raise MaskingError(f"masking rule {rule!r} needs the option {name!r}")
            checked[name] = default
            continue
        value = options[name]
        if value is None and default is None:
            checked[name] = None
            continue
        try:
            checked[name] = check(value)
        except ValueError as exc:
            raise MaskingError(
                f"masking rule {rule!r}: option {name!r} {exc} (got {value!r})") from None
    return checked


def _key_bytes(key):
    if isinstance(key, str):
        key = key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray, memoryview)):
        key = bytes(key)
    else:
        raise MaskingError("the masking key must be a string or bytes (a secret kept "
                           "per installation, e.g. in Ansible Vault)")
    if len(key) < MIN_KEY_BYTES:
        raise MaskingError(f"the masking key is too short: use a random secret of at least "
                           f"{MIN_KEY_BYTES} bytes (e.g. `openssl rand -hex 32`)")
    return key


def _as_bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


def _wrong_value(rule, value, expected):
    # The value itself is production data: only its type goes into the message.
    return MaskingError(f"masking rule {rule!r} cannot mask a {type(value).__name__} "
                        f"value: it expects {expected}")


# ----------------------------------------------------------------------- the masker

class Masker:
    """One masking rule with its options, bound to a key: ``mask(value) -> value``.

    Immutable and thread-safe; build one per column (or share one between columns with
    the same rule and options) and call ``mask`` for every row.
    """

    __slots__ = ("rule", "_options", "_inner", "_outer", "_apply", "unique")

    def __init__(self, rule, key, **options):
        if not isinstance(rule, str) or rule not in _OPTIONS:
            raise MaskingError(f"unknown masking rule {rule!r}; valid rules: {_valid_rules()}")
        self.rule = rule
        self._options = _check_options(rule, options)
        # HMAC-SHA256 under a sub-key per rule, with the two padded-key states computed
        # once: each call then only copies two hash states (RFC 2104, checked in tests).
        subkey = hmac.new(_key_bytes(key), _KEY_LABEL + rule.encode("ascii"),
                          hashlib.sha256).digest().ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in subkey))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in subkey))
        self.unique = rule in ("keep", "email") or (
            rule == "hash" and min(self._options["length"],
                                   self._options["max_length"] or 64) >= 16)
        self._apply = getattr(self, "_build_" + rule)(**self._options)

    @property
    def options(self):
        """The options in effect, defaults included (a copy)."""
        return dict(self._options)

    def __repr__(self):
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self._options.items())
                          if v is not None)
        return f"Masker({self.rule!r}{', ' if shown else ''}{shown})"

    def digest(self, data):
        """HMAC-SHA256 of ``data`` (bytes) under this masker's sub-key."""
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def mask(self, value):
        """The masked value; ``None`` stays ``None``."""
        if value is None:
            return None
        return self._apply(value)

    __call__ = mask

    # Each _build_<rule> returns the function applied to non-None values.

    def _build_keep(self, max_length):
        return lambda value: value

    def _build_null(self, max_length):
        return lambda value: None

    def _build_blank(self, max_length):
        return lambda value: ""

    def _build_fixed(self, value, max_length):
        if isinstance(value, str) and max_length is not None and len(value) > max_length:
            raise MaskingError(f"masking rule 'fixed': the value is {len(value)} characters "
                               f"long, more than max_length {max_length}")
        fixed = value
        return lambda value: fixed

    def _build_email(self, domain, prefix, max_length):
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
        self.unique = hash_chars >= 13  # 65+ bits: no collision expected in practice
        tail = "@" + domain
        digest = self.digest
        alphabet = _BASE32
        shifts = tuple(range(5 * (hash_chars - 1), -1, -5))

        def email(value):
            if value == "":
                return value
            number = int.from_bytes(digest(_as_bytes(value))[:10], "big")
            return prefix + "".join([alphabet[(number >> s) & 31] for s in shifts]) + tail
        return email

    def _names(self, max_length, first, last):
        digest = self.digest
        firsts, lasts = FIRST_NAMES, LAST_NAMES
        nf, nl = len(firsts), len(lasts)

        def name(value):
            if value == "":
                return value
            d = digest(_as_bytes(value))
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

    def _build_first_name(self, max_length):
        return self._names(max_length, True, False)

    def _build_last_name(self, max_length):
        return self._names(max_length, False, True)

    def _build_full_name(self, max_length):
        return self._names(max_length, True, True)

    def _phone_digits(self, data, count):
        """``count`` pseudo-random decimal digits from the keyed hash of ``data``."""
        chunks, counter = [], 0
        while count > 0:
            d = self.digest(data if not counter else data + b"\x00%d" % counter)
            # The 70 low decimal digits of a 256-bit number are uniform enough.
            chunks.append(("%077d" % int.from_bytes(d, "big"))[-70:])
            count -= 70
            counter += 1
        return "".join(chunks)

    def _build_phone(self, keep, max_length):
        phone_digits = self._phone_digits

        def phone_text(text):
            count = sum(1 for c in text if "0" <= c <= "9")
            if count <= keep:
                return text
            fresh = phone_digits(_as_bytes(text), count)
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

    def _build_text(self, style, max_length):
        digest = self.digest
        corpus, starts = _LOREM, _LOREM_STARTS
        span = len(corpus)

        def lorem(value):
            n = len(value) if max_length is None else min(len(value), max_length)
            if n == 0:
                return ""
            start = starts[int.from_bytes(digest(_as_bytes(value))[:8], "big") % len(starts)]
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

    def _build_hash(self, length, max_length):
        digest = self.digest
        if max_length is not None:
            length = min(length, max_length)

        def hash_(value):
            if value == "":
                return value
            return digest(_as_bytes(value)).hex()[:length]
        return hash_

    def _build_number(self, percent, precision, max_length):
        ratio = Fraction(str(percent)) / 100
        num, den = ratio.numerator, ratio.denominator
        digest = self.digest

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

    def _build_date(self, days, max_length):
        digest = self.digest
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

    def _build_ip(self, style, max_length):
        if style == "clear":
            return lambda value: None
        if max_length is not None and max_length < 11:
            raise MaskingError(f"masking rule 'ip': max_length {max_length} cannot hold a "
                               "documentation address (up to 11 characters); use the "
                               "'blank' or 'null' rule")
        digest = self.digest

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


def masker(rule, key, **options):
    """A :class:`Masker` for ``rule`` under ``key`` (str or bytes, at least 16 bytes).

    Raises :class:`MaskingError` (a ``JamDeployError`` and a ``ValueError``) naming the
    valid rules for an unknown rule, and the valid options for an unknown option.
    """
    return Masker(rule, key, **options)


def parse_rules(spec, key, max_lengths=None):
    """The playbook form of masking rules -> ``{(item, field): Masker}``.

    ``spec`` maps ``"<item>.<field>"`` (Jam.py item and field names) to a rule name or to
    a dict with ``rule`` and that rule's options. ``max_lengths`` (optional) maps
    ``(item, field)`` to a column size that becomes the ``max_length`` of that field's
    rule (the smaller one wins when the spec gives one too). Every problem in the spec is
    reported at once, each naming its key.
    """
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise MaskingError("masking rules must be a mapping of '<item>.<field>' to a rule "
                           f"name or to a dict with 'rule' (got a {type(spec).__name__})")
    max_lengths = max_lengths or {}
    rules, problems = {}, []
    for name in sorted(spec, key=str):
        entry = spec[name]
        match = _SPEC_KEY.match(name) if isinstance(name, str) else None
        if not match:
            problems.append(f"{name!r}: not of the form '<item>.<field>' (Jam.py item and "
                            "field names, e.g. 'customers.email')")
            continue
        if isinstance(entry, str):
            rule, options = entry, {}
        elif isinstance(entry, dict):
            options = dict(entry)
            rule = options.pop("rule", None)
            if not isinstance(rule, str):
                problems.append(f"{name!r}: a dict needs 'rule' (one of: {_valid_rules()})")
                continue
        else:
            problems.append(f"{name!r}: expected a rule name or a dict with 'rule', got a "
                            f"{type(entry).__name__} (valid rules: {_valid_rules()})")
            continue
        bad_names = [k for k in options if not isinstance(k, str)]
        if bad_names:
            problems.append(f"{name!r}: option names must be strings, got {bad_names!r}")
            continue
        column_size = max_lengths.get(match.groups())
        if column_size is not None:
            given = options.get("max_length")
            options["max_length"] = column_size if given is None else min(given, column_size)
        try:
            rules[match.groups()] = Masker(rule, key, **options)
        except MaskingError as exc:
            problems.append(f"{name!r}: {exc}")
        except TypeError:  # min() of a non-number max_length with the column size
            problems.append(f"{name!r}: option 'max_length' must be a whole number")
    if problems:
        raise MaskingError("invalid masking rules:\n  " + "\n  ".join(problems))
    return rules


# --------------------------------------------------------------------- verification

def leaks(source_values, masked_values, ignore_case=False):
    """The source values that still appear among the masked values, in source order and
    without repeats. ``None`` and empty strings are not counted (they are not data);
    ``ignore_case`` also catches a value that survived with a different case."""
    def norm(value):
        return value.casefold() if ignore_case and isinstance(value, str) else value

    masked = {norm(v) for v in masked_values if v is not None and v != ""}
    found, seen = [], set()
    for value in source_values:
        if value is None or value == "":
            continue
        key = norm(value)
        if key in masked and key not in seen:
            seen.add(key)
            found.append(value)
    return found


def domains(values):
    """The e-mail domains found in ``values`` (also inside longer text), lower-cased, with
    how often each occurs, sorted by domain: ``{"example.invalid": 1200, ...}``."""
    counts = {}
    for value in values:
        if isinstance(value, str) and "@" in value:
            for domain in _EMAIL_DOMAIN.findall(value):
                domain = domain.lower()
                counts[domain] = counts.get(domain, 0) + 1
    return dict(sorted(counts.items()))
