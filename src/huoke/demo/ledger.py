"""Holding rows in the column order of CONTRACTS.md §2 (holdings), with account numbers and closing dates."""

from __future__ import annotations

from random import Random

from huoke.customers import model
from huoke.demo.catalogue import Product
from huoke.demo.dates import iso_day, iso_timestamp
from huoke.demo.identifiers import AccountNumbers
from huoke.demo.people import Person
from huoke.demo.sampling import days_between, money

HOLDING_COLUMNS = model.HOLDING_COLUMNS
HoldingRow = tuple[str, str, str, str, str, str, str, str, str, str, str, str]

_ACCOUNT_KIND = {
    "demand_deposit": "01",
    "time_deposit": "02",
    "wealth": "03",
    "fund": "04",
    "insurance": "05",
    "loan": "06",
    "mortgage": "07",
    "other": "09",
}
_BUSINESS_HOURS = (9 * 3600, 18 * 3600)  # approvals happen while the card centre works


class Ledger:
    """Opens holdings: numbers the account, formats dates and amounts, closes when asked."""

    def __init__(self, rng: Random, accounts: AccountNumbers, *, last_day: int) -> None:
        self._rng = rng
        self._accounts = accounts
        self.last_day = last_day

    def open(
        self,
        person: Person,
        product: Product,
        *,
        opened: int,
        balance: float = 0.0,
        status: str = "active",
        credit_limit: float | None = None,
        card_level: str = "",
        card_role: str = "",
        approved: int | None = None,
        closed: int | None = None,
    ) -> HoldingRow:
        """One holding row; a closed holding gets a closing day after opening and a zero balance."""
        # Nothing opens before the customer relationship or after the last generated day.
        opened = person.opened if opened < person.opened else (self.last_day if opened > self.last_day else opened)
        closed_at = ""
        if status == "closed":
            closed_at = iso_day(closed if closed is not None else days_between(self._rng, opened, self.last_day))
            balance = 0.0
        return (
            self._number(person, product),
            person.customer_no,
            product.code,
            product.product_type,
            status,
            iso_day(opened),
            closed_at,
            money(balance),
            "" if credit_limit is None else money(credit_limit),
            card_level,
            card_role,
            "" if approved is None else self.approval_time(approved),
        )

    def approval_time(self, day: int) -> str:
        low, high = _BUSINESS_HOURS
        return iso_timestamp(day, low + int(self._rng.random() * (high - low)))

    def _number(self, person: Person, product: Product) -> str:
        if product.card_bin:
            return self._accounts.card(product.card_bin)
        return self._accounts.account(person.sub_branch.code[2:], _ACCOUNT_KIND[product.product_type])
