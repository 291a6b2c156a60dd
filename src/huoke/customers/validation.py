"""Validation and normalisation of identifying fields: China mobile numbers, resident IDs, e-mail.

Pure: values in, normalised values (or a ValueError with the reason) out.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# GB 11643-1999: weights of the first 17 digits and the check character for (sum mod 11).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits: province-level division codes (GB/T 2260), 11 Beijing … 82 Macao.
_PROVINCES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
    }
)
_ID_LENGTH = 18
_EARLIEST_BIRTH = date(1900, 1, 1)
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})
# The shape nearly every file uses: 11 national digits, maybe after +86 or 0086. Such a number needs no parsing;
# phonenumbers still decides whether it is a mobile number.
_PLAIN_MOBILE = re.compile(r"(?:\+86|0086)?(1[3-9][0-9]{9})")


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_resident_id(raw: str, *, today: date) -> str:
    """An 18-character mainland resident ID, upper-case X; checks region, birth date and check digit."""
    value = raw.strip().upper()
    if len(value) != _ID_LENGTH or not value[:17].isdigit():
        raise ValueError("resident ID must be 17 digits followed by a digit or X")
    if int(value[:2]) not in _PROVINCES:
        raise ValueError("resident ID region code is not a mainland province code")
    birth = resident_id_birth_date(value)
    if birth is None:
        raise ValueError("resident ID embeds an impossible birth date")
    if not _EARLIEST_BIRTH <= birth <= today:
        raise ValueError("resident ID embeds a birth date outside 1900 to today")
    if resident_id_check_char(value[:17]) != value[17]:
        raise ValueError("resident ID check digit does not match (GB 11643)")
    return value


def resident_id_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def normalize_mobile(raw: str) -> str:
    """A valid China mobile number as 11 national digits (accepts +86, spaces and dashes)."""
    value = raw.strip()
    plain = _PLAIN_MOBILE.fullmatch(value)
    if plain and _plain_is_mobile(plain.group(1)):
        return plain.group(1)
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):  # noqa: PLR2004
        raise ValueError("not a valid China phone number")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValueError("not a China mobile number")
    return str(number.national_number)


def _plain_is_mobile(national: str) -> bool:
    """True when phonenumbers types these 11 digits as a China mobile number. Digits that parsing could read
    differently (an international or carrier prefix at their start) answer False and take the full path."""
    if _prefixes_for_parsing().match(national):
        return False
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
    return phonenumbers.number_type(number) in _MOBILE_TYPES


@cache
def _prefixes_for_parsing() -> re.Pattern[str]:
    """The prefixes phonenumbers strips from the start of a China number while parsing it."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    if metadata is None:  # nothing to reason with: every number takes the full path
        return re.compile("")
    patterns = [p for p in (metadata.international_prefix, metadata.national_prefix_for_parsing) if p]
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)")


def normalize_email(raw: str) -> str:
    """Syntax-checked e-mail address, domain lower-cased (no DNS lookup)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address: {exc}") from exc
    return checked.normalized.lower()
