"""Checking masked data: source values that survived masking, and the e-mail domains a
column holds."""
import re

_EMAIL_DOMAIN = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)")


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
