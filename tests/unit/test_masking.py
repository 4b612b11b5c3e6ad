"""Deterministic, keyed masking of personal data for production -> test copies."""
import datetime
import hashlib
import hmac
import ipaddress
import re
import time
from decimal import Decimal

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.errors import (
    JamDeployError, MaskingError)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.masking import rules
from ansible_collections.jampy.deploy.plugins.module_utils.engine.masking.leaks import (
    domains, leaks)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.masking.masker import (
    Masker, masker, parse_rules)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.masking.names import (
    FIRST_NAMES, LAST_NAMES)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.masking.rules import RULES

KEY = "0123456789abcdef-refresh-key"
OTHER_KEY = b"another installation's key!"

SAMPLES = {
    "keep": ["abc", 5],
    "null": ["abc", 5],
    "blank": ["abc"],
    "fixed": ["abc", 5],
    "email": ["john.smith@corp.example.com", "Jane@Mail.Example.org", 42],
    "first_name": ["John", "JANE"],
    "last_name": ["Smith", "Doe"],
    "full_name": ["John Smith", "Jane Doe"],
    "phone": ["+44 (0)20 7946 0958", "555-0100", 4420794609],
    "text": ["Please call me after 5pm, my daughter is at home."],
    "hash": ["secret-id-1", 123],
    "number": [1000, -250, 12.75, Decimal("1234.50"), "99.90"],
    "date": [datetime.date(1980, 5, 17), datetime.datetime(2021, 3, 4, 5, 6, 7),
             "1980-05-17", "2021-03-04 05:06:07"],
    "ip": ["203.0.113.77", "2001:db8:1::1", ipaddress.ip_address("10.0.0.1")],
}
OPTIONS = {"fixed": {"value": "masked"}}


def make(rule, key=KEY, **options):
    return masker(rule, key, **dict(OPTIONS.get(rule, {}), **options))


def test_every_rule_has_samples_and_is_documented():
    assert set(SAMPLES) == set(RULES)
    for rule in RULES:
        assert f"``{rule}``" in rules.__doc__


@pytest.mark.parametrize("rule", RULES)
def test_same_key_same_output_across_instances(rule):
    first, second = make(rule), make(rule)
    for value in SAMPLES[rule]:
        assert first.mask(value) == second.mask(value) == second(value)


@pytest.mark.parametrize("rule", ["email", "first_name", "last_name", "full_name", "phone",
                                  "text", "hash", "number", "date", "ip"])
def test_another_key_gives_other_output(rule):
    values = [f"value {i}" for i in range(50)] if rule in ("email", "first_name",
                                                           "last_name", "full_name",
                                                           "text", "hash", "ip") else None
    if rule == "phone":
        values = [f"+1 555 {i:04d}" for i in range(50)]
    elif rule == "number":
        values = list(range(1000, 1050))
    elif rule == "date":
        values = [datetime.date(2000, 1, 1) + datetime.timedelta(days=i) for i in range(50)]
    ours, theirs = make(rule), make(rule, OTHER_KEY)
    differing = sum(ours.mask(v) != theirs.mask(v) for v in values)
    assert differing >= 25, rule


def test_hash_is_hmac_sha256_under_a_pinned_per_rule_subkey():
    # Outputs must stay the same across releases (refreshes done at different times must
    # agree), so the key derivation is part of the contract.
    subkey = hmac.new(KEY.encode(), b"jampy.deploy masking v1\x00hash", hashlib.sha256).digest()
    expected = hmac.new(subkey, "Ann".encode(), hashlib.sha256).hexdigest()
    assert make("hash").mask("Ann") == expected
    assert make("hash", length=10).mask("Ann") == expected[:10]
    assert make("email").digest(b"x") != make("hash").digest(b"x")  # rules are separated


@pytest.mark.parametrize("rule", RULES)
def test_none_stays_none(rule):
    assert make(rule).mask(None) is None


@pytest.mark.parametrize("rule", ["email", "first_name", "last_name", "full_name", "phone",
                                  "text", "hash", "number", "date", "ip"])
def test_empty_string_stays_empty(rule):
    assert make(rule).mask("") == ""


def test_trivial_rules():
    assert make("keep").mask("x@y.com") == "x@y.com"
    assert make("null").mask("x") is None
    assert make("blank").mask("x") == ""
    assert make("fixed", value=0).mask(123) == 0
    assert make("fixed", value="secret").mask("x") == "secret"


@pytest.mark.parametrize("key", ["short", b"", None, 12345678901234567890])
def test_weak_or_missing_key_is_refused(key):
    with pytest.raises(MaskingError, match="masking key"):
        masker("email", key)


def test_key_never_shown():
    shown = repr(make("email")) + repr(make("fixed"))
    assert KEY not in shown and "Masker('email'" in shown


# ---------------------------------------------------------------------------- email

EMAIL = re.compile(r"[a-z0-9._+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+\Z")


def test_email_is_unique_over_100k_distinct_inputs():
    m = make("email")
    outputs = {m.mask(f"customer{i}@example.com") for i in range(100_000)}
    assert len(outputs) == 100_000
    assert all(EMAIL.match(o) and o.endswith("@example.invalid") for o in outputs)
    assert m.unique


def test_email_shape_and_domain():
    out = make("email").mask("John.Smith@corp.example.com")
    assert re.fullmatch(r"user-[a-z2-7]{16}@example\.invalid", out)
    assert "john" not in out.lower() and "corp" not in out
    other = make("email", domain="Test.Example.Org.", prefix="").mask("John.Smith@corp.example.com")
    assert other.endswith("@test.example.org") and other.split("@")[0] == out[5:21]


@pytest.mark.parametrize("max_length", [17, 20, 25, 32, 36, 37, 80])
def test_email_fits_max_length_and_stays_valid_and_unique(max_length):
    m = make("email", max_length=max_length)
    outputs = {m.mask(f"person{i}@corp.example.com") for i in range(2000)}
    assert all(len(o) <= max_length and EMAIL.match(o) for o in outputs)
    assert m.unique == (max_length >= 30)  # 13+ hash characters
    if max_length >= 25:  # 9+ characters, 45+ bits: no collision expected in 2000
        assert len(outputs) == 2000
    elif max_length == 20:  # 4 characters, 20 bits: a few collisions, as documented
        assert len(outputs) > 1980


def test_email_too_short_for_the_domain():
    with pytest.raises(MaskingError, match="shorter domain"):
        make("email", max_length=16)
    assert len(make("email", domain="t.io", max_length=8).mask("a@b.c")) == 8


# ---------------------------------------------------------------------------- names

def test_name_lists_are_large_and_clean():
    for names in (FIRST_NAMES, LAST_NAMES):
        assert len(names) >= 200 and len(set(names)) == len(names)
        assert all(re.fullmatch(r"[A-Z][a-z]+", n) for n in names)


def test_names_come_from_the_lists_and_keep_upper_case():
    values = [f"Person {i}" for i in range(500)]
    firsts = {make("first_name").mask(v) for v in values}
    lasts = {make("last_name").mask(v) for v in values}
    assert firsts <= set(FIRST_NAMES) and lasts <= set(LAST_NAMES)
    assert len(firsts) > 100 and len(lasts) > 100  # spread over the lists
    for v in values[:50]:
        first, last = make("full_name").mask(v).split(" ")
        assert first in FIRST_NAMES and last in LAST_NAMES
    assert make("last_name").mask("SMITH").isupper()
    assert not make("full_name").unique  # names are not unique: say so


def test_names_fit_max_length():
    m = make("full_name", max_length=6)
    for i in range(300):
        out = m.mask(f"Someone {i}")
        assert 0 < len(out) <= 6 and out == out.strip()


# ---------------------------------------------------------------------------- phone

def digits(text):
    return re.sub(r"\D", "", text)


def test_phone_keeps_separators_and_digit_count():
    m = make("phone")
    for value in ["+44 (0)20 7946 0958", "555-0100", "+1 (555) 010-0199 ext. 12", "0612345678"]:
        out = m.mask(value)
        assert len(out) == len(value)
        assert re.sub(r"\d", "9", out) == re.sub(r"\d", "9", value)
        assert len(digits(out)) == len(digits(value))
        assert (out.lstrip("+ (")[0] == "0") == (value.lstrip("+ (")[0] == "0")
    changed = sum(m.mask(f"+1 555 01{i:02d}") != f"+1 555 01{i:02d}" for i in range(100))
    assert changed >= 99


def test_phone_keep_leading_digits_and_integers():
    out = make("phone", keep=2).mask("+44 20 7946 0958")
    assert out.startswith("+44 ") and len(digits(out)) == 12
    for value in (4420794609, 5550100, 7):
        out = make("phone").mask(value)
        assert isinstance(out, int) and len(str(out)) == len(str(value))


# ----------------------------------------------------------------------------- text

def test_text_keeps_length():
    value = "Dear Mr. Smith, your account 12345 is overdrawn.\nRegards"
    out = make("text").mask(value)
    assert len(out) == len(value) and out[0].isupper() and "Smith" not in out
    assert set(out) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .")
    long = "word " * 3000
    assert len(make("text").mask(long)) == len(long)
    assert len(make("text", max_length=10).mask(value)) == 10


def test_text_x_style_keeps_layout():
    out = make("text", style="x").mask("Dear Mr. Müller, call 555-0100!\nThanks")
    assert out == "Xxxx Xx. Xxxxxx, xxxx 000-0000!\nXxxxxx"


# ----------------------------------------------------------------------------- hash

def test_hash_length():
    assert re.fullmatch(r"[0-9a-f]{64}", make("hash").mask("x"))
    assert len(make("hash", length=12).mask("x")) == 12
    assert len(make("hash", max_length=8).mask("x")) == 8
    assert make("hash", length=16).unique and not make("hash", length=8).unique


# --------------------------------------------------------------------------- number

@pytest.mark.parametrize("percent", [1, 10, 2.5, 50, 100])
def test_integers_stay_integers_within_percent(percent):
    m = make("number", percent=percent)
    outs = []
    for value in list(range(-300, 300, 7)) + [10 ** 30, 123456789]:
        out = m.mask(value)
        assert isinstance(out, int) and not isinstance(out, bool)
        assert abs(out - value) <= abs(value) * percent / 100
        assert out == 0 or (out > 0) == (value > 0)
        if abs(value) * percent >= 100:  # room for at least one step
            outs.append(out != value)
    assert sum(outs) > len(outs) // 2


def test_floats_decimals_and_numeric_strings():
    m = make("number", percent=10)
    for value in (12.75, -0.5, 1e9):
        out = m.mask(value)
        assert isinstance(out, float) and abs(out - value) <= abs(value) * 0.1 + 1e-9
    out = m.mask(Decimal("1234.50"))
    assert isinstance(out, Decimal) and out.as_tuple().exponent == -2
    assert abs(out - Decimal("1234.50")) <= Decimal("123.45")
    out = m.mask("99.90")
    assert isinstance(out, str) and re.fullmatch(r"\d+\.\d\d", out)
    assert abs(Decimal(out) - Decimal("99.90")) <= Decimal("9.99")
    p = make("number", precision=1).mask(12.345)
    assert p == round(p, 1) and abs(p - 12.3) <= 1.24
    assert make("number").mask(True) is True and make("number").mask(0) == 0
    assert make("number", percent=0).mask(1234) == 1234


def test_numeric_string_fits_max_length():
    m = make("number", percent=50, max_length=5)
    for i in range(200):
        value = f"{60 + i / 10:.2f}"  # 60.00 .. 79.90: +50% would need 6 characters
        assert len(m.mask(value)) <= 5


def test_number_refuses_text_without_showing_it():
    with pytest.raises(MaskingError) as info:
        make("number").mask("John Smith")
    assert "John" not in str(info.value) and "str" in str(info.value)


# ----------------------------------------------------------------------------- date

@pytest.mark.parametrize("days", [1, 30, 365])
def test_dates_shift_within_days_and_keep_their_kind(days):
    m = make("date", days=days)
    start = datetime.date(1950, 1, 1)
    shifts = set()
    for i in range(0, 20000, 37):
        day = start + datetime.timedelta(days=i)
        out = m.mask(day)
        assert isinstance(out, datetime.date) and not isinstance(out, datetime.datetime)
        shift = (out - day).days
        assert 0 < abs(shift) <= days
        shifts.add(shift)
        stamp = datetime.datetime.combine(day, datetime.time(13, 14, 15))
        assert m.mask(stamp) == datetime.datetime.combine(out, datetime.time(13, 14, 15))
        assert m.mask(day.isoformat()) == out.isoformat()
        assert m.mask(f"{day.isoformat()} 13:14:15") == f"{out.isoformat()} 13:14:15"
    if days < 100:
        assert len(shifts) == 2 * days  # every non-zero shift occurs
    else:
        assert len(shifts) > 100


def test_date_strings_keep_their_time_part_and_bad_ones_are_refused():
    m = make("date")
    out = m.mask("2021-03-04T05:06:07.123456+02:00")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT05:06:07\.123456\+02:00", out)
    for edge in (datetime.date.min, datetime.date.max):  # shifted the other way, no error
        assert 0 < abs((m.mask(edge) - edge).days) <= 30
    for bad in ("04/03/2021", "2021-02-30", "2021-03-04 junk", 20210304):
        with pytest.raises(MaskingError, match="'date'"):
            m.mask(bad)


# ------------------------------------------------------------------------------- ip

def test_ip_documentation_ranges():
    m = make("ip")
    for i in range(300):
        out = m.mask(f"10.0.{i}.1")
        assert ipaddress.ip_address(out) in ipaddress.ip_network("192.0.2.0/24")
    out = m.mask("fe80::1234")
    assert ipaddress.ip_address(out) in ipaddress.ip_network("2001:db8::/32")
    assert isinstance(m.mask(ipaddress.ip_address("10.1.1.1")), ipaddress.IPv4Address)
    assert make("ip", max_length=11).mask("fe80::1234").startswith("192.0.2.")
    assert make("ip", style="clear").mask("10.1.1.1") is None


# ------------------------------------------------------------------- factory errors

def test_unknown_rule_names_the_valid_rules():
    with pytest.raises(MaskingError) as info:
        masker("emial", KEY)
    assert "'emial'" in str(info.value)
    assert all(rule in str(info.value) for rule in RULES)
    assert isinstance(info.value, ValueError) and isinstance(info.value, JamDeployError)
    with pytest.raises(MaskingError, match="valid rules"):
        masker(["email"], KEY)


@pytest.mark.parametrize("rule, options, message", [
    ("email", {"domian": "x.org"}, "no option 'domian'; its options are: domain, max_length"),
    ("email", {"domain": "not a domain"}, "option 'domain' must be a domain"),
    ("fixed", {}, "needs the option 'value'"),
    ("fixed", {"value": "too long", "max_length": 3}, "more than max_length 3"),
    ("number", {"percent": 150}, "'percent' must be a number from 0 to 100"),
    ("number", {"percent": "ten"}, "'percent' must be a number"),
    ("number", {"precision": True}, "'precision' must be a whole number"),
    ("hash", {"length": 65}, "from 1 to 64"),
    ("text", {"style": "klingon"}, "one of: lorem, x"),
    ("date", {"days": 0}, "'days' must be a whole number"),
    ("ip", {"max_length": 7}, "cannot hold"),
    ("keep", {"max_length": 0}, "'max_length'"),
])
def test_bad_options(rule, options, message):
    with pytest.raises(MaskingError, match=re.escape(message)):
        masker(rule, KEY, **options)


def test_numeric_options_given_as_strings():
    # Templated playbook values arrive as strings.
    assert make("number", percent="2.5").options["percent"] == 2.5
    assert make("date", days="7").options["days"] == 7


# ---------------------------------------------------------------------- parse_rules

def test_parse_rules():
    spec = {"customers.email": "email", "customers.lastname": "last_name",
            "invoices.notes": "blank", "customers.phone": {"rule": "phone"},
            "orders.total": {"rule": "number", "percent": 10}}
    rules = parse_rules(spec, KEY)
    assert set(rules) == {("customers", "email"), ("customers", "lastname"),
                          ("invoices", "notes"), ("customers", "phone"), ("orders", "total")}
    assert all(isinstance(m, Masker) for m in rules.values())
    assert rules["orders", "total"].options["percent"] == 10
    assert rules["customers", "email"].mask("a@b.com") == make("email").mask("a@b.com")
    assert parse_rules(None, KEY) == {} and parse_rules({}, KEY) == {}


def test_parse_rules_applies_column_sizes():
    rules = parse_rules({"customers.email": "email",
                         "customers.name": {"rule": "full_name", "max_length": 8}},
                        KEY, max_lengths={("customers", "email"): 30,
                                          ("customers", "name"): 20})
    assert rules["customers", "email"].options["max_length"] == 30
    assert rules["customers", "name"].options["max_length"] == 8


def test_parse_rules_names_every_offending_key():
    spec = {"customers.email": "emial", "customers": "email", "a.b.c": "keep",
            "orders.total": {"percent": 10}, "orders.note": {"rule": "text", "size": 3},
            "orders.ok": "keep", "orders.x": 5, "users.ip": {"rule": "ip", "style": "x"}}
    with pytest.raises(MaskingError) as info:
        parse_rules(spec, KEY)
    message = str(info.value)
    for key in ("customers.email", "'customers'", "a.b.c", "orders.total", "orders.note",
                "orders.x", "users.ip"):
        assert key in message
    assert "orders.ok" not in message
    assert "valid rules: blank, date, email" in message
    with pytest.raises(MaskingError, match="mapping"):
        parse_rules(["customers.email"], KEY)


# --------------------------------------------------------------------- verification

def test_leaks_and_domains():
    source = ["ann@corp.com", "bob@corp.com", None, "", "Carl@Mail.org", "ann@corp.com"]
    m = make("email")
    masked = [m.mask(v) for v in source]
    assert leaks(source, masked) == []
    assert domains(masked) == {"example.invalid": 4}
    assert domains(source) == {"corp.com": 3, "mail.org": 1}
    half = masked[:2] + ["carl@mail.org", "ann@corp.com"]
    assert leaks(source, half) == ["ann@corp.com"]
    assert leaks(source, half, ignore_case=True) == ["ann@corp.com", "Carl@Mail.org"]
    assert domains(["write to Ann <ann@Corp.COM> or bob@x.io.", "@handle", 5, None]) == \
        {"corp.com": 1, "x.io": 1}


# ---------------------------------------------------------------------- performance

def test_100k_values_per_rule_is_fast():
    # Not a benchmark: shows that a refresh of millions of values is not bound by masking.
    values = [f"customer{i}@corp.example.com" for i in range(100_000)]
    for rule in ("email", "full_name", "hash"):
        m = make(rule)
        started = time.perf_counter()
        out = list(map(m.mask, values))
        elapsed = time.perf_counter() - started
        assert len(out) == 100_000
        print(f"{rule}: {elapsed / len(values) * 1e6:.2f} µs per value")
    numbers = list(range(100_000))
    m = make("number")
    started = time.perf_counter()
    assert len(list(map(m.mask, numbers))) == 100_000
    print(f"number: {(time.perf_counter() - started) * 10:.2f} µs per value")
