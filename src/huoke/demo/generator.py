"""A synthetic city commercial bank as import files (CONTRACTS.md §2): org, staff, products, customers,
holdings and consents.

Deterministic: one `random.Random(seed)` drives every draw and all dates are relative to `as_of`, so the same
arguments give byte-identical files. Streaming: customers are drawn household by household and written row by
row, so a million customers take bounded memory.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from huoke.customers import model
from huoke.demo.catalogue import COFFEE_CARD, PRODUCTS
from huoke.demo.consent_history import CONSENT_COLUMNS, ConsentHistories
from huoke.demo.dates import iso_day
from huoke.demo.identifiers import AccountNumbers, MobileNumbers
from huoke.demo.ledger import HOLDING_COLUMNS, Ledger
from huoke.demo.names import NameBook
from huoke.demo.orgtree import OrgChart, build_org_chart
from huoke.demo.people import Person, Population
from huoke.demo.portfolio import Portfolio, PortfolioBuilder

KINDS = ("org", "staff", "products", "customers", "holdings", "consents")
ORG_COLUMNS = ("code", "name", "parent_code", "level")
STAFF_COLUMNS = ("staff_no", "name", "org_code", "role", "phone")
PRODUCT_COLUMNS = ("product_code", "name", "product_type", "risk_level")
CUSTOM_ATTRIBUTE_COLUMNS = ("member_since_channel", "preferred_language")
CUSTOMER_COLUMNS = (*model.CUSTOMER_COLUMNS, *CUSTOM_ATTRIBUTE_COLUMNS)
PROGRESS_EVERY = 10_000
SPOUSE_SHARE = 0.2  # of married customers whose spouse banks here too
SUPPLEMENTARY_SHARE = 0.35  # of such spouses of coffee cardholders who hold a supplementary card
# (least AUM, share with an assigned RM): most affluent customers have one, few mass customers do.
_RM_COVERAGE = ((500_000, 0.95), (100_000, 0.6), (20_000, 0.15), (0, 0.03))

ProgressCallback = Callable[[str, int], None]


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...

    def writerows(self, rows: Iterable[Iterable[Any]], /) -> None: ...


@dataclass(frozen=True)
class GeneratedBank:
    out_dir: Path
    files: dict[str, Path]  # kind → file
    counts: dict[str, int]  # kind → rows written


def generate_bank(
    out_dir: Path, *, customers: int, seed: int, as_of: date, progress: ProgressCallback | None = None
) -> GeneratedBank:
    """Write org.csv, staff.csv, products.csv, customers.csv, holdings.csv and consents.csv into `out_dir`."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # reproducible synthetic data, not a security use
    names = NameBook()
    phones = MobileNumbers(rng)
    org = build_org_chart(rng, customers=customers, names=names, phones=phones)
    files = {kind: out_dir / f"{kind}.csv" for kind in KINDS}
    counts = {
        "org": _write_table(files["org"], ORG_COLUMNS, _org_rows(org)),
        "staff": _write_table(files["staff"], STAFF_COLUMNS, _staff_rows(org)),
        "products": _write_table(files["products"], PRODUCT_COLUMNS, _product_rows()),
    }
    ticker = _Progress(progress)
    for kind in ("org", "staff", "products"):
        ticker.finish(kind, counts[kind])
    population = Population(rng, as_of=as_of, org=org, names=names, phones=phones)
    counts.update(_CustomerRun(rng, population, ticker).write(files, customers))
    return GeneratedBank(out_dir=out_dir, files=files, counts=counts)


def _org_rows(org: OrgChart) -> Iterator[tuple[str, ...]]:
    return ((u.code, u.name, u.parent_code, u.level) for u in org.units)


def _staff_rows(org: OrgChart) -> Iterator[tuple[str, ...]]:
    return ((s.staff_no, s.name, s.org_code, s.role, s.phone) for s in org.staff)


def _product_rows() -> Iterator[tuple[str, ...]]:
    return ((p.code, p.name, p.product_type, p.risk_level) for p in PRODUCTS)


def _open_csv(stack: ExitStack, path: Path, columns: tuple[str, ...]) -> _RowWriter:
    handle = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    return writer


def _write_table(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> int:
    with ExitStack() as stack:
        writer = _open_csv(stack, path, columns)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


class _Progress:
    """Calls back about every PROGRESS_EVERY rows of a kind, and once more with the final count."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._next: dict[str, int] = {}

    def update(self, kind: str, done: int) -> None:
        if self._callback is not None and done >= self._next.get(kind, PROGRESS_EVERY):
            self._callback(kind, done)
            self._next[kind] = (done // PROGRESS_EVERY + 1) * PROGRESS_EVERY

    def finish(self, kind: str, done: int) -> None:
        if self._callback is not None:
            self._callback(kind, done)


class _CustomerRun:
    """Draws households and streams their customer, holding and consent rows to three files at once."""

    def __init__(self, rng: random.Random, population: Population, ticker: _Progress) -> None:
        self._rng = rng
        self._population = population
        self._ticker = ticker
        ledger = Ledger(rng, AccountNumbers(rng), last_day=population.last_day)
        self._portfolios = PortfolioBuilder(rng, ledger)
        self._consents = ConsentHistories(rng, last_day=population.last_day)
        self._counts = dict.fromkeys(("customers", "holdings", "consents"), 0)

    def write(self, files: dict[str, Path], customers: int) -> dict[str, int]:
        with ExitStack() as stack:
            sinks = {
                kind: _open_csv(stack, files[kind], columns)
                for kind, columns in (
                    ("customers", CUSTOMER_COLUMNS),
                    ("holdings", HOLDING_COLUMNS),
                    ("consents", CONSENT_COLUMNS),
                )
            }
            serial = 0
            while serial < customers:
                serial += self._household(sinks, serial, customers)
        for kind, count in self._counts.items():
            self._ticker.finish(kind, count)
        return dict(self._counts)

    def _household(self, sinks: dict[str, _RowWriter], serial: int, customers: int) -> int:
        """One customer, sometimes with a spouse; returns how many customers were written."""
        head = self._population.customer(serial)
        head_portfolio = self._write_customer(sinks, head, self._portfolios.build(head))
        married = head.marital == "married"
        if serial + 1 >= customers or not married or self._rng.random() >= SPOUSE_SHARE:
            return 1
        spouse = self._population.spouse_of(head, serial + 1)
        portfolio = self._portfolios.build(spouse)
        gift = head_portfolio.coffee
        if gift is not None and not portfolio.holds(COFFEE_CARD) and self._rng.random() < SUPPLEMENTARY_SHARE:
            portfolio.rows.append(self._portfolios.cards.supplementary(spouse, gift))
        self._write_customer(sinks, spouse, portfolio)
        return 2

    def _write_customer(self, sinks: dict[str, _RowWriter], person: Person, portfolio: Portfolio) -> Portfolio:
        person.rm_staff_no = self._rm_for(person, portfolio.aum)
        consents = self._consents.for_customer(person)
        sinks["customers"].writerow(_customer_row(person))
        sinks["holdings"].writerows(portfolio.rows)
        sinks["consents"].writerows(consents)
        self._advance("customers", 1)
        self._advance("holdings", len(portfolio.rows))
        self._advance("consents", len(consents))
        return portfolio

    def _advance(self, kind: str, rows: int) -> None:
        self._counts[kind] += rows
        self._ticker.update(kind, self._counts[kind])

    def _rm_for(self, person: Person, aum: float) -> str:
        share = next(share for floor, share in _RM_COVERAGE if aum >= floor)
        rms = person.sub_branch.rm_staff_nos
        return rms[int(self._rng.random() * len(rms))] if self._rng.random() < share else ""


def _customer_row(p: Person) -> tuple[str, ...]:
    return (
        p.customer_no,
        p.name,
        p.gender,
        iso_day(p.birth),
        p.phone,
        p.email,
        p.id_card_no,
        p.openid,
        p.unionid,
        p.sub_branch.code,
        p.rm_staff_no,
        iso_day(p.opened),
        p.risk_level,
        p.occupation,
        p.marital,
        p.city,
        p.join_channel,
        p.language,
    )
