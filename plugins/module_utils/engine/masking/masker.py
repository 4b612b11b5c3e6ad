"""A masking rule bound to a key (``Masker``: HMAC-SHA256 under the rule's sub-key of the
refresh key), and the playbook form of masking rules. The rules and the contract of
masking are documented in ``rules``."""
import hashlib
import hmac
import re

from ..errors import MaskingError
from .options import check_options
from .rules import REGISTRY, RULES

MIN_KEY_BYTES = 16
_KEY_LABEL = b"jampy.deploy masking v1\x00"
_SPEC_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\Z")


def _valid_rules():
    return ", ".join(RULES)


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


class Masker:
    """One masking rule with its options, bound to a key: ``mask(value) -> value``.

    Immutable and thread-safe; build one per column (or share one between columns with
    the same rule and options) and call ``mask`` for every row.
    """

    __slots__ = ("rule", "_options", "_inner", "_outer", "_apply", "unique")

    def __init__(self, rule, key, **options):
        found = REGISTRY.get(rule) if isinstance(rule, str) else None
        if found is None:
            raise MaskingError(f"unknown masking rule {rule!r}; valid rules: {_valid_rules()}")
        self.rule = rule
        self._options = check_options(rule, found.options, options)
        # HMAC-SHA256 under a sub-key per rule, with the two padded-key states computed
        # once: each call then only copies two hash states (RFC 2104, checked in tests).
        subkey = hmac.new(_key_bytes(key), _KEY_LABEL + rule.encode("ascii"),
                          hashlib.sha256).digest().ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in subkey))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in subkey))
        self._apply = found.build(self.digest, **self._options)
        self.unique = found.unique(self._options)

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
