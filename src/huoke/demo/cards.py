"""Debit and credit cards, including the co-branded coffee credit card (CC-COFFEE) of PRODUCT.md.

Coffee cards: a few percent of customers hold a gold or platinum primary card; four in ten of them were
approved within the last 120 days, so "new primary cardholders" exist at as_of; a few of those had an earlier,
closed card of the product (and so are not new); spouses may hold a supplementary card of the same product.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from huoke.demo.catalogue import COFFEE_CARD, PRODUCTS_BY_CODE
from huoke.demo.ledger import HoldingRow, Ledger
from huoke.demo.people import Person
from huoke.demo.sampling import Weighted, days_between

COFFEE_LAUNCH_DAYS = 700  # the co-brand product has been on sale for about two years
RECENT_APPROVAL_DAYS = 120
_LIMITS = {"standard": (3_000, 20_000), "gold": (20_000, 50_000), "platinum": (50_000, 150_000)}
_COFFEE_LIMITS = {"gold": (10_000, 50_000), "platinum": (50_000, 100_000)}
_CARD_STATUS = Weighted([("active", 90), ("dormant", 6), ("closed", 4)])


@dataclass(frozen=True, slots=True)
class CoffeeCard:
    """The primary coffee card of a household, for a spouse's supplementary card."""

    level: str
    approved: int
    credit_limit: float


class CardIssuer:
    def __init__(self, rng: Random, ledger: Ledger) -> None:
        self._rng = rng
        self._ledger = ledger
        self._coffee = PRODUCTS_BY_CODE[COFFEE_CARD]

    def debit_card(self, person: Person, aum: float, *, dormant: bool) -> HoldingRow:
        """The card on the customer's settlement account; its level follows the customer's AUM."""
        code = "DC-STD"
        if person.silver and self._rng.random() < 0.4:
            code = "DC-SOCIAL"
        elif person.age < 28 and self._rng.random() < 0.3:
            code = "DC-YOUTH"
        level = debit_card_level(aum)
        status = "dormant" if dormant else "active"
        return self._ledger.open(person, PRODUCTS_BY_CODE[code], opened=person.opened, status=status, card_level=level)

    def credit_card(self, person: Person, aum: float) -> HoldingRow:
        """A standard, gold or platinum credit card (not the co-brand product)."""
        rng = self._rng
        if aum > 200_000 and rng.random() < 0.35:
            product, level = PRODUCTS_BY_CODE["CC-TRAVEL"], "platinum"
        else:
            product = PRODUCTS_BY_CODE["CC-STD"]
            level = "gold" if aum > 50_000 and rng.random() < 0.5 else "standard"
        opened = days_between(rng, person.opened, self._ledger.last_day)
        credit_limit = _round_limit(rng, *_LIMITS[level])
        return self._ledger.open(
            person,
            product,
            opened=opened,
            status=_CARD_STATUS.pick(rng),
            balance=_card_debt(rng, credit_limit),
            credit_limit=credit_limit,
            card_level=level,
            card_role="primary",
            approved=opened,
        )

    def coffee_card(self, person: Person, aum: float) -> tuple[list[HoldingRow], CoffeeCard | None]:
        """A primary coffee card (and now and then an earlier closed one); the card if still open."""
        rng = self._rng
        platinum = (aum > 200_000 and rng.random() < 0.6) or rng.random() < 0.15
        level = "platinum" if platinum else "gold"
        last_day = self._ledger.last_day
        recent = rng.random() < 0.4
        if recent:
            approved = last_day - int(rng.random() * RECENT_APPROVAL_DAYS)
        else:
            approved = last_day - RECENT_APPROVAL_DAYS - int(rng.random() * (COFFEE_LAUNCH_DAYS - RECENT_APPROVAL_DAYS))
        approved = max(approved, person.opened)
        credit_limit = _round_limit(rng, *_COFFEE_LIMITS[level])
        status = "active" if recent else _CARD_STATUS.pick(rng)
        rows = [self._coffee_row(person, level, approved, credit_limit, status, role="primary")]
        existed_before_launch = person.opened < last_day - COFFEE_LAUNCH_DAYS
        if recent and existed_before_launch and rng.random() < 0.03:
            rows.insert(0, self._earlier_coffee_card(person, level))
        card = None if status == "closed" else CoffeeCard(level, approved, credit_limit)
        return rows, card

    def supplementary(self, person: Person, primary: CoffeeCard) -> HoldingRow:
        """A family member's supplementary card sharing the primary card's level and limit."""
        approved = days_between(self._rng, max(primary.approved, person.opened), self._ledger.last_day)
        return self._coffee_row(person, primary.level, approved, primary.credit_limit, "active", role="supplementary")

    def _earlier_coffee_card(self, person: Person, level: str) -> HoldingRow:
        """A card of the product approved soon after launch and closed months before the current one."""
        rng = self._rng
        approved = self._ledger.last_day - COFFEE_LAUNCH_DAYS + int(rng.random() * 200)
        closed = approved + 30 + int(rng.random() * 270)
        credit_limit = _round_limit(rng, *_COFFEE_LIMITS[level])
        return self._ledger.open(
            person,
            self._coffee,
            opened=approved,
            status="closed",
            closed=closed,
            credit_limit=credit_limit,
            card_level=level,
            card_role="primary",
            approved=approved,
        )

    def _coffee_row(
        self, person: Person, level: str, approved: int, credit_limit: float, status: str, *, role: str
    ) -> HoldingRow:
        return self._ledger.open(
            person,
            self._coffee,
            opened=approved,
            status=status,
            balance=_card_debt(self._rng, credit_limit),
            credit_limit=credit_limit,
            card_level=level,
            card_role=role,
            approved=approved,
        )


def _round_limit(rng: Random, low: int, high: int) -> float:
    """A credit limit in whole thousands of yuan."""
    return float(1000 * (low // 1000 + int(rng.random() * ((high - low) // 1000 + 1))))


def _card_debt(rng: Random, credit_limit: float) -> float:
    """The outstanding balance: none for four in ten cards, otherwise up to half the limit."""
    return 0.0 if rng.random() < 0.4 else round(rng.random() * 0.5 * credit_limit, 2)


def debit_card_level(aum: float) -> str:
    """Debit card tiers by AUM: diamond from 5 million, platinum from 500,000, gold from 50,000 yuan."""
    if aum >= 5_000_000:
        return "diamond"
    if aum >= 500_000:
        return "platinum"
    return "gold" if aum >= 50_000 else "standard"
