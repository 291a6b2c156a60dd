"""A customer's holdings: cards, deposits, wealth products, funds, insurance and loans.

Wealth is lognormal (σ = 1.7): the top 20% of customers hold about 80% of AUM (the 20/80 rule of PRODUCT.md).
Silver customers hold more and keep more of it in time deposits, so they hold about 38% of savings; their
risk appetite is conservative, which limits the wealth products and funds they may buy (suitability).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

from huoke.demo.cards import CardIssuer, CoffeeCard
from huoke.demo.catalogue import PRODUCTS_BY_CODE, Product, suitable
from huoke.demo.dates import DAYS_PER_YEAR
from huoke.demo.ledger import HoldingRow, Ledger
from huoke.demo.people import Person
from huoke.demo.sampling import Weighted, by_age

_WEALTH_MEDIAN_LOG = math.log(8_000)
_WEALTH_SIGMA = 1.7
_MAX_WEALTH = 60_000_000.0
_WEALTH_SHIFT_BY_AGE = by_age(((24, -1.2), (34, -0.4), (44, 0.0), (59, 0.25), (200, 0.1)))  # log-scale shift
_OCCUPATION_WEALTH = {
    "私营企业主": 0.8,
    "金融从业人员": 0.4,
    "IT从业人员": 0.3,
    "个体工商户": 0.3,
    "学生": -0.5,
}
_RISK_SILVER = Weighted([("C1", 45), ("C2", 35), ("C3", 15), ("C4", 4), ("C5", 1)])
_RISK_OTHERS = Weighted([("C1", 10), ("C2", 25), ("C3", 35), ("C4", 20), ("C5", 10)])
_TIME_SILVER = Weighted([("TD-PENSION", 35), ("TD-3Y", 30), ("TD-1Y", 25), ("TD-3M", 10)])
_TIME_OTHERS = Weighted([("TD-1Y", 40), ("TD-3M", 30), ("TD-3Y", 30)])
_TERM_DAYS = {"TD-3M": 91, "TD-1Y": 365, "TD-3Y": 1095, "TD-LCD": 1095, "TD-PENSION": 1825}
_PRIVATE_BANKING_FLOOR = 1_000_000
_BUSINESS_OWNERS = frozenset({"个体工商户", "私营企业主"})
# (product, youngest, oldest, share, smallest, largest amount): loans and mortgages, drawn independently.
_LOANS = (
    ("LN-CONSUMER", 22, 55, 0.05, 5_000, 200_000),
    ("LN-CAR", 25, 50, 0.02, 30_000, 300_000),
    ("MG-HOME", 28, 55, 0.07, 200_000, 2_500_000),
    ("MG-RESALE", 28, 60, 0.03, 150_000, 2_000_000),
)
# (product, youngest, oldest, share, least wealth, cash value as a share of wealth)
_INSURANCE = (
    ("IN-HEALTH", 25, 59, 0.05, 0, 0.0),
    ("IN-ANNUITY", 45, 59, 0.04, 20_000, 0.15),
    ("IN-ANNUITY", 60, 200, 0.06, 20_000, 0.2),
    ("IN-LIFE", 30, 200, 0.12, 300_000, 0.2),
    ("IN-ACCIDENT", 18, 200, 0.02, 0, 0.0),
)


@dataclass(frozen=True, slots=True)
class Portfolio:
    rows: list[HoldingRow]
    aum: float  # demand + time deposits + wealth + funds, in yuan
    coffee: CoffeeCard | None  # an open primary coffee card, for a spouse's supplementary card

    def holds(self, product_code: str) -> bool:
        return any(row[2] == product_code for row in self.rows)


class PortfolioBuilder:
    def __init__(self, rng: Random, ledger: Ledger) -> None:
        self._rng = rng
        self._ledger = ledger
        self.cards = CardIssuer(rng, ledger)

    def build(self, person: Person) -> Portfolio:
        """All holdings of one customer; also settles the customer's risk level (C1–C5 or unassessed)."""
        rng = self._rng
        wealth = self._wealth(person)
        if rng.random() < (0.9 if wealth > 50_000 else 0.5):
            person.risk_level = (_RISK_SILVER if person.silver else _RISK_OTHERS).pick(rng)
        allocation = self._allocate(person, wealth)
        aum = sum(amount for _, amount in allocation)
        dormant = aum < 100 and rng.random() < 0.6
        rows: list[HoldingRow] = []
        if rng.random() < 0.95:
            rows.append(self.cards.debit_card(person, aum, dormant=dormant))
        rows.extend(self._asset(person, product, amount, dormant) for product, amount in allocation)
        rows.extend(self._insurance(person, wealth))
        rows.extend(self._loans(person))
        rows.extend(self._other(person, wealth))
        coffee = self._credit_cards(person, aum, rows)
        return Portfolio(rows, aum, coffee)

    def _wealth(self, person: Person) -> float:
        shift = _WEALTH_SHIFT_BY_AGE[person.age]
        shift += _OCCUPATION_WEALTH.get(person.occupation, 0.0)
        return min(self._rng.lognormvariate(_WEALTH_MEDIAN_LOG + shift, _WEALTH_SIGMA), _MAX_WEALTH)

    def _allocate(self, person: Person, wealth: float) -> list[tuple[Product, float]]:
        """Split wealth over the AUM products the customer holds (weights favour deposits for the old)."""
        rng = self._rng
        weighted: list[tuple[Product, float]] = []
        if rng.random() < 0.96:
            code = "DD-PAYROLL" if 22 <= person.age < 60 and rng.random() < 0.15 else "DD-SAVE"
            weighted.append((PRODUCTS_BY_CODE[code], 0.5))
        if rng.random() < _time_deposit_share(person, wealth):
            weighted.append((self._time_deposit(person, wealth), 2.0 if person.silver else 1.2))
        if person.risk_level and rng.random() < _investment_share(wealth, (0.04, 0.25, 0.6), person.silver, 0.8):
            weighted.append((self._investment("wealth", person, wealth), 1.6))
        if person.risk_level and rng.random() < _investment_share(wealth, (0.02, 0.12, 0.3), person.silver, 0.35):
            weighted.append((self._investment("fund", person, wealth), 0.8))
        noisy = [(product, weight * (0.3 + 1.4 * rng.random())) for product, weight in weighted]
        total = sum(weight for _, weight in noisy)
        return [(product, round(wealth * weight / total, 2)) for product, weight in noisy]

    def _time_deposit(self, person: Person, wealth: float) -> Product:
        if wealth >= 400_000 and self._rng.random() < 0.5:
            return PRODUCTS_BY_CODE["TD-LCD"]
        return PRODUCTS_BY_CODE[(_TIME_SILVER if person.silver else _TIME_OTHERS).pick(self._rng)]

    def _investment(self, product_type: str, person: Person, wealth: float) -> Product:
        """A product the customer's risk level allows; silver customers favour the pension product."""
        options = [
            p
            for p in suitable(product_type, person.risk_level)
            if p.code != "WM-PRIVATE" or wealth >= _PRIVATE_BANKING_FLOOR
        ]
        pension = PRODUCTS_BY_CODE["WM-PENSION"]
        if person.silver and pension in options and self._rng.random() < 0.4:
            return pension
        return options[int(self._rng.random() * len(options))]

    def _asset(self, person: Person, product: Product, amount: float, dormant: bool) -> HoldingRow:
        term = _TERM_DAYS.get(product.code, 730 if product.product_type in ("wealth", "fund") else 0)
        opened = person.opened
        if term:
            opened = self._ledger.last_day - int(self._rng.random() * term)
        status = "dormant" if dormant and product.product_type == "demand_deposit" else "active"
        return self._ledger.open(person, product, opened=opened, balance=amount, status=status)

    def _insurance(self, person: Person, wealth: float) -> list[HoldingRow]:
        rows = []
        for code, youngest, oldest, share, least_wealth, cash_share in _INSURANCE:
            if youngest <= person.age <= oldest and wealth >= least_wealth and self._rng.random() < share:
                opened = self._ledger.last_day - int(self._rng.random() * 5 * DAYS_PER_YEAR)
                cash_value = wealth * cash_share * self._rng.random()
                rows.append(self._ledger.open(person, PRODUCTS_BY_CODE[code], opened=opened, balance=cash_value))
        return rows

    def _loans(self, person: Person) -> list[HoldingRow]:
        rng = self._rng
        offers = list(_LOANS)
        if person.occupation in _BUSINESS_OWNERS:
            offers.append(("LN-BUSINESS", 22, 70, 0.25, 100_000, 3_000_000))
        rows = []
        for code, youngest, oldest, share, smallest, largest in offers:
            if youngest <= person.age <= oldest and rng.random() < share:
                opened = self._ledger.last_day - int(rng.random() * 8 * DAYS_PER_YEAR)
                principal = smallest * (largest / smallest) ** rng.random()
                status = "closed" if rng.random() < 0.1 else "active"  # paid off
                rows.append(
                    self._ledger.open(
                        person,
                        PRODUCTS_BY_CODE[code],
                        opened=opened,
                        balance=principal * (0.2 + 0.8 * rng.random()),
                        status=status,
                    )
                )
        return rows

    def _other(self, person: Person, wealth: float) -> list[HoldingRow]:
        """Gold accumulation plans for a few affluent customers; matured time deposits for some."""
        rng = self._rng
        rows = []
        if wealth > 100_000 and rng.random() < 0.05:
            rows.append(
                self._ledger.open(
                    person,
                    PRODUCTS_BY_CODE["OT-GOLD"],
                    opened=person.opened,
                    balance=wealth * 0.05 * rng.random(),
                )
            )
        if rng.random() < 0.03:
            opened = self._ledger.last_day - 365 - int(rng.random() * 5 * DAYS_PER_YEAR)
            rows.append(
                self._ledger.open(
                    person,
                    PRODUCTS_BY_CODE["TD-1Y"],
                    opened=opened,
                    status="closed",
                    closed=min(max(opened, person.opened) + 365, self._ledger.last_day),
                )
            )
        return rows

    def _credit_cards(self, person: Person, aum: float, rows: list[HoldingRow]) -> CoffeeCard | None:
        rng = self._rng
        card_share = 0.08 if person.silver else (0.10 if person.occupation == "学生" else 0.27)
        if rng.random() < card_share:
            rows.append(self.cards.credit_card(person, aum))
        coffee_share = 0.008 if person.silver else (0.045 if person.age < 50 else 0.025)
        if rng.random() >= coffee_share:
            return None
        coffee_rows, coffee = self.cards.coffee_card(person, aum)
        rows.extend(coffee_rows)
        return coffee


def _time_deposit_share(person: Person, wealth: float) -> float:
    base = 0.42 if person.silver else 0.16
    factor = 0.3 if wealth < 5_000 else (1.0 if wealth < 100_000 else 1.6)
    return min(base * factor, 0.9)


def _investment_share(wealth: float, by_tier: tuple[float, float, float], silver: bool, silver_factor: float) -> float:
    small, middle, large = by_tier
    share = small if wealth < 50_000 else (middle if wealth < 500_000 else large)
    return share * (silver_factor if silver else 1.0)
