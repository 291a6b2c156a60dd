"""Identifying fields: resident IDs (GB 11643), China mobile numbers and e-mail addresses."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.customers.validation import (
    normalize_email,
    normalize_mobile,
    normalize_resident_id,
    resident_id_birth_date,
    resident_id_check_char,
)

TODAY = date(2026, 11, 24)
PROVINCES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46)
PROVINCES += (50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82)
VALID_ID = "11010519491231002X"  # the worked example of GB 11643-1999


def with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(PROVINCES))
    area = draw(st.integers(0, 9999))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(0, 999))
    return with_check(f"{province:02d}{area:04d}{birth:%Y%m%d}{sequence:03d}")


# --- resident ID ----------------------------------------------------------------------------------------


def test_the_standards_worked_example_is_valid() -> None:
    assert resident_id_check_char(VALID_ID[:17]) == "X"
    assert normalize_resident_id(VALID_ID, today=TODAY) == VALID_ID
    assert resident_id_birth_date(VALID_ID) == date(1949, 12, 31)


@given(resident_ids())
def test_any_well_formed_id_with_its_check_character_is_accepted(number: str) -> None:
    assert normalize_resident_id(number, today=TODAY) == number


@given(resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_changing_any_single_character_is_rejected(number: str, position: int, replacement: str) -> None:
    if position < 17 and replacement == "X":
        replacement = "0"
    if number[position] == replacement:
        return
    changed = number[:position] + replacement + number[position + 1 :]

    with pytest.raises(ValueError, match="resident ID"):
        normalize_resident_id(changed, today=TODAY)


@given(st.text("0123456789", min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 9))
def test_check_character_changes_for_every_single_digit_substitution(first17: str, position: int, shift: int) -> None:
    digit = str((int(first17[position]) + shift) % 10)
    changed = first17[:position] + digit + first17[position + 1 :]

    assert resident_id_check_char(changed) != resident_id_check_char(first17)


def test_lower_case_x_is_accepted_and_upper_cased() -> None:
    assert normalize_resident_id("  11010519491231002x ", today=TODAY) == VALID_ID


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (with_check("11010520301231002"), "outside 1900 to today"),
        (with_check("11010518991231002"), "outside 1900 to today"),
        (with_check("11010519990231002"), "impossible birth date"),
        (with_check("11010519991301002"), "impossible birth date"),
        (with_check("99010519491231002"), "province"),
        (with_check("00010519491231002"), "province"),
        ("11010519491231002", "17 digits followed by a digit or X"),
        ("11010519491231002X1", "17 digits followed by a digit or X"),
        ("1101051949123100XX", "17 digits followed by a digit or X"),
        ("110105194912310027", "check digit"),
        ("", "17 digits"),
    ],
)
def test_invalid_resident_ids_are_rejected_with_the_reason(number: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_resident_id(number, today=TODAY)


def test_birth_date_today_is_accepted_tomorrow_is_not() -> None:
    born_today = with_check(f"110105{TODAY:%Y%m%d}001")

    assert normalize_resident_id(born_today, today=TODAY) == born_today
    with pytest.raises(ValueError, match="outside"):
        normalize_resident_id(born_today, today=date(2026, 11, 23))


# --- mobile ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "138-1234-5678",
        " 138 1234 5678 ",
        "+86-138-1234-5678",
        "008613812345678",
    ],
)
def test_mobile_numbers_are_normalised_to_eleven_digits(raw: str) -> None:
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["17012345678", "19912345678", "15012345678"])
def test_other_mobile_ranges_are_accepted(raw: str) -> None:
    assert normalize_mobile(raw) == raw


@pytest.mark.parametrize("raw", ["010 12345678", "021-62345678", "+86 10 8888 8888"])
def test_landlines_are_rejected_as_not_mobile(raw: str) -> None:
    with pytest.raises(ValueError, match="not a China mobile number"):
        normalize_mobile(raw)


@pytest.mark.parametrize("raw", ["1381234", "138123456789", "12345678901"])
def test_wrong_length_or_unassigned_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid China phone number"):
        normalize_mobile(raw)


@pytest.mark.parametrize("raw", ["+1 650 253 0000", "+852 9123 4567", "+44 7911 123456"])
def test_numbers_outside_china_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid China phone number"):
        normalize_mobile(raw)


@pytest.mark.parametrize("raw", ["", "abc", "phone"])
def test_text_that_is_no_number_is_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="phone number"):
        normalize_mobile(raw)


# --- e-mail ---------------------------------------------------------------------------------------------


def test_email_domain_is_lower_cased() -> None:
    normalized = normalize_email(" li.lei@Example.COM ")

    assert normalized.endswith("@example.com")
    assert normalized.split("@")[0].lower() == "li.lei"


@pytest.mark.parametrize("raw", ["li.lei.example.com", "li lei@example.com", "li@exa mple.com", "@example.com", ""])
def test_malformed_email_is_rejected(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid e-mail address"):
        normalize_email(raw)
