"""The options of masking rules: each check returns the value to use or raises ValueError
saying what the option must be; ``check_options`` applies them to a rule's options."""
import math
import re
from decimal import Decimal
from fractions import Fraction

from ..errors import MaskingError

_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
_LOCAL_PART = re.compile(r"[a-z0-9._+-]*\Z")


class _Required:
    pass


REQUIRED = _Required()  # the default of an option that must be given


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


def int_between(low, high):
    """A whole number from ``low`` to ``high``."""
    def check(value):
        checked = _number_option(value, low, high, True)
        if checked is None:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return checked
    return check


def percent(value):
    """A number from 0 to 100."""
    checked = _number_option(value, 0, 100, False)
    if checked is None:
        raise ValueError("must be a number from 0 to 100")
    return checked


def one_of(*choices):
    """One of ``choices``."""
    def check(value):
        if value not in choices:
            raise ValueError("must be one of: " + ", ".join(choices))
        return value
    return check


def domain(value):
    """A domain name, lower-cased, without the final dot."""
    if not isinstance(value, str):
        raise ValueError("must be a domain name such as example.invalid")
    name = value.strip().lower().rstrip(".")
    labels = name.split(".")
    if not 0 < len(name) <= 253 or not all(_HOST_LABEL.match(x) for x in labels):
        raise ValueError("must be a domain name such as example.invalid")
    return name


def prefix(value):
    """The start of an e-mail address's local part."""
    if not isinstance(value, str) or len(value) > 32 or not _LOCAL_PART.match(value):
        raise ValueError("must be at most 32 of the characters a-z 0-9 . _ + -")
    return value


def anything(value):
    """Any value, as it is."""
    return value


# Every rule takes max_length: no string it produces is longer.
COMMON = {"max_length": (int_between(1, 2 ** 31), None)}


def check_options(rule, allowed, options):
    """The options of ``rule`` checked, with the defaults of those not given; ``allowed``
    maps the rule's own options to (check, default). MaskingError names an unknown or
    missing option, or what a wrong value must be."""
    allowed = dict(COMMON, **allowed)
    checked = {}
    for name in sorted(options):
        if name not in allowed:
            raise MaskingError(
                f"masking rule {rule!r} has no option {name!r}; "
                f"its options are: {', '.join(sorted(allowed))}")
    for name, (check, default) in sorted(allowed.items()):
        if name not in options:
            if default is REQUIRED:
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
