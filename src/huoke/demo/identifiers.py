"""Format-valid, collision-free identifiers: mobiles, resident IDs, card and account numbers, WeChat ids.

Uniqueness without remembering what was issued (memory stays bounded at a million customers): a serial
number goes through an affine bijection modulo 10**digits, so distinct serials give distinct digit strings
that still look scattered.
"""

from __future__ import annotations

import base64
from array import array
from collections.abc import Sequence
from random import Random

from huoke.customers.validation import resident_id_check_char
from huoke.demo.dates import compact_day
from huoke.demo.sampling import Weighted

# Number blocks of China Mobile, China Unicom, China Telecom and China Broadnet, weighted by rough share.
MOBILE_PREFIXES = Weighted(
    [(str(p), 3.0) for p in range(130, 140)]
    + [(str(p), 2.5) for p in (150, 151, 152, 153, 155, 156, 157, 158, 159)]
    + [(str(p), 2.5) for p in range(180, 190)]
    + [(str(p), 1.0) for p in (166, 173, 176, 177, 191, 193, 195, 198, 199)]
)
_SEQUENCES_PER_DAY = 500  # three-digit sequence per region, day and sex: 000-999, parity = sex


class ScrambledSerials:
    """serial → a fixed-width digit string; distinct serials below 10**digits never collide.

    An affine map alone leaves consecutive serials a constant step apart (fine for account numbers, which
    banks hand out in order); `rounds` pairs of Feistel rounds over the two halves of the digits hide it.
    """

    def __init__(self, rng: Random, digits: int, *, rounds: int = 0) -> None:
        self._modulus = 10**digits
        multiplier = rng.randrange(self._modulus // 10, self._modulus) | 1
        while multiplier % 5 == 0:  # coprime with 10**digits: odd and not a multiple of five
            multiplier += 2
        self._multiplier = multiplier
        self._offset = rng.randrange(self._modulus)
        self._format = f"0{digits}d"
        self._halves = (10 ** (digits // 2), 10 ** (digits - digits // 2))
        self._keys = tuple(rng.randrange(1, self._modulus) for _ in range(2 * rounds))

    def __call__(self, serial: int) -> str:
        value = (serial * self._multiplier + self._offset) % self._modulus
        high_mod, low_mod = self._halves
        for key in self._keys:
            # (high, low) → (low, high + F(low)): invertible whatever F is.
            high, low = divmod(value, low_mod)
            value = low * high_mod + (high + low * (low + key)) % high_mod
            high_mod, low_mod = low_mod, high_mod
        return format(value, self._format)


class MobileNumbers:
    """Valid mainland mobile numbers: a real carrier prefix and a unique eight-digit subscriber part."""

    def __init__(self, rng: Random) -> None:
        self._subscribers = ScrambledSerials(rng, 8, rounds=2)

    def issue(self, rng: Random, serial: int) -> str:
        return MOBILE_PREFIXES.pick(rng) + self._subscribers(serial)


class ResidentIds:
    """GB 11643 resident ID numbers, unique per region, birth date and sex.

    A small counter table (regions × days × 2 sexes) hands out the three-digit sequence, so no two customers
    share a number however many are generated.
    """

    def __init__(self, regions: Sequence[str], first_birth: int, last_birth: int) -> None:
        self._regions = tuple(regions)
        self._first_birth = first_birth
        self._span = last_birth - first_birth + 1
        self._issued = array("H", bytes(2 * 2 * len(self._regions) * self._span))

    def issue(self, region_index: int, birth_ordinal: int, odd_sequence: bool) -> str:
        """The number for someone born on `birth_ordinal`; odd sequence digits mean male, even female."""
        day = birth_ordinal - self._first_birth
        if not 0 <= day < self._span:
            raise ValueError("birth date outside the range the resident ID table was built for")
        for attempt in range(len(self._regions)):
            region = (region_index + attempt) % len(self._regions)
            slot = ((region * self._span + day) << 1) | odd_sequence
            issued = self._issued[slot]
            if issued < _SEQUENCES_PER_DAY:
                self._issued[slot] = issued + 1
                # 7 is coprime with 500, so the first 500 issues per slot are distinct sequence numbers.
                sequence = ((issued * 7 + slot) % _SEQUENCES_PER_DAY) * 2 + odd_sequence
                first17 = f"{self._regions[region]}{compact_day(birth_ordinal)}{sequence:03d}"
                return first17 + resident_id_check_char(first17)
        raise ValueError("every resident ID sequence for this birth date and sex is used")


# A digit doubled, with the digits of the product summed (Luhn): 5 → 10 → 1.
_DOUBLED = str.maketrans("0123456789", "0246813579")


def luhn_check_digit(body: str) -> str:
    """The Luhn (ISO/IEC 7812) check digit to append to `body`: double every second digit from the right."""
    total = sum(map(int, body[-1::-2].translate(_DOUBLED) + body[-2::-2]))
    return str(-total % 10)


class AccountNumbers:
    """Card numbers (16 digits: bank BIN, serial, Luhn digit) and 18-digit deposit/loan account numbers."""

    def __init__(self, rng: Random) -> None:
        self._card_serials = ScrambledSerials(rng, 9)
        self._account_serials = ScrambledSerials(rng, 11)
        self._cards = 0
        self._accounts = 0

    def card(self, bin_prefix: str) -> str:
        body = bin_prefix + self._card_serials(self._cards)
        self._cards += 1
        return body + luhn_check_digit(body)

    def account(self, branch_digits: str, kind_digits: str) -> str:
        number = "8" + branch_digits + kind_digits + self._account_serials(self._accounts)
        self._accounts += 1
        return number


def wechat_id(rng: Random) -> str:
    """A 28-character id shaped like WeChat openids/unionids ("o" + 27 URL-safe base64 characters)."""
    return "o" + base64.urlsafe_b64encode(rng.getrandbits(160).to_bytes(20, "big")).decode()[:27]
