"""The bank the activity belongs to: its customers, products and holdings, read from the generated CSV files.

Columnar (pyarrow) reading keeps a million-customer book to seconds; everything the activity model needs ends
up in numpy arrays indexed by customer (the row of customers.csv) with one chosen holding per role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huoke.demo.activity_csv import (
    ages_on,
    day_ordinals,
    index_of,
    positions_in,
    read_columns,
    required_column,
    risk_ranks,
)
from huoke.demo.activity_draws import Bools, Floats, Ints
from huoke.demo.generator import GeneratedBank
from huoke.platform.errors import InvalidInput

CUSTOMER_FIELDS = ("customer_no", "birth_date", "opened_at", "occupation", "wechat_openid", "risk_level")
HOLDING_FIELDS = ("account_no", "customer_no", "product_code", "product_type", "status", "opened_at", "balance")
PRODUCT_FIELDS = ("product_code", "product_type", "risk_level")
SALARIED, STUDENT, RETIRED, SELF_EMPLOYED = range(4)
_SALARIED = (
    "企业职员",
    "制造业工人",
    "公务员",
    "事业单位人员",
    "教师",
    "医务人员",
    "金融从业人员",
    "IT从业人员",
    "军人",
)
_STUDENTS, _RETIRED = ("学生",), ("离退休人员",)
STATUSES = ("active", "dormant", "closed")
PRODUCT_TYPES = (
    "debit_card", "credit_card", "demand_deposit", "time_deposit", "wealth", "fund", "insurance", "loan", "mortgage",
    "other",
)  # fmt: skip
COFFEE_CARD, SOCIAL_CARD, PAYROLL_ACCOUNT = "CC-COFFEE", "DC-SOCIAL", "DD-PAYROLL"


@dataclass(frozen=True)
class Slot:
    """One chosen holding per customer for a role (settlement account, card, ...); `row` is -1 where none."""

    row: Ints  # index into Book.accounts
    opened: Ints  # day ordinal
    product: Ints  # index into Book.product_codes
    balance: Floats  # yuan

    @property
    def held(self) -> Bools:
        return self.row >= 0


@dataclass(frozen=True)
class Book:
    customer_no: Any  # pyarrow string array, one per customer
    accounts: Any  # pyarrow string array of every holding's account number
    product_codes: Any  # pyarrow string array of the catalogue
    product_types: tuple[str, ...]
    product_risk: Ints  # 1–5 for R1–R5, 0 for products without a risk level
    age: Ints  # whole years on the window's last day, -1 when unknown
    opened: Ints
    occupation: Ints  # SALARIED | STUDENT | RETIRED | SELF_EMPLOYED
    wechat: Bools
    risk: Ints  # 1–5 for C1–C5, 0 when not assessed
    settlement: Slot  # demand deposit (payroll account first)
    debit: Slot  # debit card (social-security card first)
    credit: Slot  # credit card (the coffee card first)
    wealth: Slot  # wealth product or fund
    loan: Slot  # loan or mortgage
    deposit: Slot  # time deposit
    coffee: Bools
    social_card: Bools
    dormant_accounts: Bools  # a settlement account or debit card is marked dormant
    latest_holding: Ints  # the latest opening day of any open holding

    @property
    def size(self) -> int:
        return len(self.age)


def bank_files(bank: Path | GeneratedBank) -> dict[str, Path]:
    """customers.csv, holdings.csv and products.csv of a generated bank (a GeneratedBank or its folder)."""
    if isinstance(bank, GeneratedBank):
        return bank.files
    return {kind: Path(bank) / f"{kind}.csv" for kind in ("customers", "holdings", "products")}


def read_book(files: dict[str, Path], *, end: date) -> Book:
    """Read the bank; ages are taken on `end`."""
    customers = read_columns(files["customers"], CUSTOMER_FIELDS)
    products = read_columns(files["products"], PRODUCT_FIELDS)
    holdings = _Holdings(read_columns(files["holdings"], HOLDING_FIELDS), customers, products, files["holdings"])
    n = customers.num_rows
    opened = day_ordinals(customers, "opened_at", files["customers"], fill=end.toordinal())
    occupation = customers.column("occupation").fill_null("")
    return Book(
        customer_no=required_column(customers, "customer_no", files["customers"]).combine_chunks(),
        accounts=required_column(holdings.table, "account_no", files["holdings"]).combine_chunks(),
        product_codes=products.column("product_code").combine_chunks(),
        product_types=tuple(products.column("product_type").fill_null("other").to_pylist()),
        product_risk=risk_ranks(products.column("risk_level")),
        age=ages_on(customers, files["customers"], end),
        opened=opened,
        occupation=_occupations(occupation),
        wechat=customers.column("wechat_openid").is_valid().to_numpy(zero_copy_only=False),
        risk=risk_ranks(customers.column("risk_level")),
        settlement=holdings.slot(n, ("demand_deposit",), first=PAYROLL_ACCOUNT),
        debit=holdings.slot(n, ("debit_card",), first=SOCIAL_CARD),
        credit=holdings.slot(n, ("credit_card",), first=COFFEE_CARD),
        wealth=holdings.slot(n, ("wealth", "fund")),
        loan=holdings.slot(n, ("loan", "mortgage"), active_only=True),
        deposit=holdings.slot(n, ("time_deposit",)),
        coffee=holdings.holds(n, COFFEE_CARD),
        social_card=holdings.holds(n, SOCIAL_CARD),
        dormant_accounts=holdings.dormant(n),
        latest_holding=np.maximum(holdings.latest(n), opened),
    )


class _Holdings:
    """holdings.csv as integer arrays: the customer, product, type and status of each row as indices."""

    def __init__(self, table: pa.Table, customers: pa.Table, products: pa.Table, path: Path) -> None:
        self.table = table
        self.codes = products.column("product_code").combine_chunks()
        self.customer = index_of(table, "customer_no", customers.column("customer_no"), path)
        self.product = index_of(table, "product_code", products.column("product_code"), path)
        self.type = positions_in(table.column("product_type"), PRODUCT_TYPES)
        self.status = np.maximum(positions_in(table.column("status"), STATUSES), 0)  # empty status means active
        self.opened = day_ordinals(table, "opened_at", path, fill=0)
        try:
            balance = pc.cast(table.column("balance"), pa.float64())
        except pa.ArrowInvalid as exc:
            raise InvalidInput(f"{path.name}: column balance: {exc}", code="bad_bank_file") from exc
        self.balance = np.asarray(pc.fill_null(balance, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
        self.open = self.status != STATUSES.index("closed")

    def slot(self, n: int, types: tuple[str, ...], *, first: str = "", active_only: bool = False) -> Slot:
        """Per customer the first open holding of the given types, preferring product `first`."""
        wanted = np.isin(self.type, [PRODUCT_TYPES.index(t) for t in types]) & self.open
        if active_only:
            wanted &= self.status == STATUSES.index("active")
        rows = np.flatnonzero(wanted)
        preferred = (self.product[rows] != self._code(first)).astype(np.int64)
        rows = rows[np.lexsort((rows, preferred, self.customer[rows]))]
        owners = self.customer[rows]
        leading = np.ones(len(rows), dtype=bool)
        leading[1:] = owners[1:] != owners[:-1]
        chosen = np.full(n, -1, dtype=np.int64)
        chosen[owners[leading]] = rows[leading]
        pick = np.maximum(chosen, 0)
        held = chosen >= 0
        return Slot(
            row=chosen,
            opened=np.where(held, self.opened[pick], 0),
            product=np.where(held, self.product[pick], -1),
            balance=np.where(held, self.balance[pick], 0.0),
        )

    def holds(self, n: int, code: str) -> Bools:
        mine = np.zeros(n, dtype=bool)
        mine[self.customer[(self.product == self._code(code)) & self.open]] = True
        return mine

    def dormant(self, n: int) -> Bools:
        marked = np.zeros(n, dtype=bool)
        settles = np.isin(self.type, [PRODUCT_TYPES.index("demand_deposit"), PRODUCT_TYPES.index("debit_card")])
        marked[self.customer[settles & (self.status == STATUSES.index("dormant"))]] = True
        return marked

    def latest(self, n: int) -> Ints:
        latest = np.zeros(n, dtype=np.int64)
        np.maximum.at(latest, self.customer[self.open], self.opened[self.open])
        return latest

    def _code(self, code: str) -> int:
        found = pc.index(self.codes, code).as_py() if code else -1
        return int(found)


def _occupations(occupation: Any) -> Ints:
    kind = np.full(len(occupation), SELF_EMPLOYED, dtype=np.int64)
    for code, names in ((SALARIED, _SALARIED), (STUDENT, _STUDENTS), (RETIRED, _RETIRED)):
        kind[pc.is_in(occupation, value_set=pa.array(names)).to_numpy(zero_copy_only=False)] = code
    return kind
