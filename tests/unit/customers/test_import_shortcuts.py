"""The shortcuts bulk imports take for common values decide exactly as the full rules do."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.customers import profile_import
from huoke.customers.fields import parse_day, yuan_to_fen
from huoke.customers.validation import normalize_mobile

MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def full_mobile_rules(raw: str) -> str:
    """The mobile rules without any shortcut: phonenumbers parses and decides everything."""
    try:
        number = phonenumbers.parse(raw.strip(), "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid China phone number")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ValueError("not a China mobile number")
    return str(number.national_number)


def outcome(rule: object, *args: object, **kwargs: object) -> object:
    try:
        return rule(*args, **kwargs)  # type: ignore[operator]
    except ValueError as exc:
        return ("refused", str(exc))


eleven_digits = st.text(alphabet="0123456789", min_size=10, max_size=10).map(lambda rest: "1" + rest)


@given(eleven_digits, st.sampled_from(["", "+86", "0086", " +86", "86", "+86 "]))
def test_a_mobile_number_is_accepted_or_refused_exactly_as_phonenumbers_decides(digits: str, prefix: str) -> None:
    raw = prefix + digits

    assert outcome(normalize_mobile, raw) == outcome(full_mobile_rules, raw)


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "+8613812345678", "008613812345678", "17912345678", "17900000000", "1791200123", "14012345678"],
)
def test_numbers_near_carrier_and_international_prefixes_match_phonenumbers(raw: str) -> None:
    assert outcome(normalize_mobile, raw) == outcome(full_mobile_rules, raw)


def strptime_day(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError("is not a date (YYYY-MM-DD)")


@given(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"))
def test_an_iso_shaped_day_reads_as_strptime_reads_it(value: str) -> None:
    assert outcome(parse_day, value) == outcome(strptime_day, value)


@pytest.mark.parametrize("value", ["2026-02-29", "2024-02-29", "0000-01-01", "2026-13-01", "2026-00-10", "2026-3-1"])
def test_impossible_and_unpadded_days_follow_the_full_rules(value: str) -> None:
    assert outcome(parse_day, value) == outcome(strptime_day, value)


def decimal_fen(value: str, *, positive: bool = False) -> int:
    """Yuan → fen by the full Decimal rules."""
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("is not an amount in yuan") from exc
    if not amount.is_finite():
        raise ValueError("is not an amount in yuan")
    if amount.copy_abs() > Decimal("100000000000"):
        raise ValueError("is implausibly large")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("has more than 2 decimals (amounts are yuan.fen)")
    if amount < 0 or (positive and amount == 0):
        raise ValueError("must be greater than 0" if positive else "must not be negative")
    return int(amount * 100)


@given(st.from_regex(r"\A[0-9]{1,13}(\.[0-9]{0,3})?\Z"), st.booleans())
def test_a_plain_amount_converts_to_the_same_fen_as_decimal_arithmetic(value: str, positive: bool) -> None:
    assert outcome(yuan_to_fen, value, positive=positive) == outcome(decimal_fen, value, positive=positive)


@pytest.mark.parametrize("value", ["0", "0.00", "99999999999.99", "100000000000", "100000000000.01", "007.1", "5."])
def test_amounts_at_the_edges_follow_the_full_rules(value: str) -> None:
    for positive in (False, True):
        assert outcome(yuan_to_fen, value, positive=positive) == outcome(decimal_fen, value, positive=positive)


def test_new_profile_ids_are_uuid7_hex_and_later_ones_sort_after_earlier_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    instants = iter([1_790_000_000_000_000_000, 1_790_000_000_001_000_000, 1_790_000_000_002_000_000])
    monkeypatch.setattr(profile_import.time, "time_ns", lambda: next(instants))

    ids = [profile_import.new_one_id() for _ in range(3)]

    assert ids == sorted(ids)
    for one_id in ids:
        parsed = uuid.UUID(one_id)
        assert (len(one_id), parsed.version, parsed.variant) == (32, 7, uuid.RFC_4122)
        assert parsed.hex == one_id


def test_new_profile_ids_made_in_the_same_millisecond_differ() -> None:
    assert len({profile_import.new_one_id() for _ in range(10_000)}) == 10_000
