"""The example segments of examples/segments/ on a synthetic bank: the compiled query finds exactly the customers
the reference evaluator finds, some customers but not everyone, and each member found is one for the right reason.

One bank of 2,000 customers with 180 days of activity is built once for the module and loaded the way
`huoke demo` loads it (import files into the embedded store, activity history into the lake, lake sync and
compaction). 180 days, not 90: "at risk" customers last spent 91 to 365 days ago, which a 90-day history
cannot hold. The evaluator's facts are read back from the lake tables; the evaluation time is the very end of
the last generated day. One customer deliberately gets an earlier, closed card of the co-brand coffee product,
so the bank holds a recent gold cardholder who is not a *new* cardholder (PRODUCT.md).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from huoke.customers.import_service import import_file
from huoke.demo.generator import generate_bank
from huoke.demo.showcase_activity import load_activity
from huoke.platform import migrate
from huoke.platform.clockstate import set_clock
from huoke.platform.query import QueryEngine, open_engine
from huoke.platform.runtime import build_runtime
from huoke.segments.compile import compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.evaluate import evaluate
from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact
from huoke.segments.normalise import normalise
from tests.conftest import make_settings
from tests.unit.segments.test_examples import EXAMPLES, SCENARIOS

Z = ZoneInfo("Asia/Shanghai")
CUSTOMERS, DAYS, SEED = 2_000, 180, 11
BANK_DAY = date(2026, 11, 24)  # the bank is generated at this date; its activity ends the day before
LAST_DAY = BANK_DAY - timedelta(days=1)
AS_OF = datetime.combine(LAST_DAY, time.max, Z)
COFFEE = "CC-COFFEE"


@dataclass(frozen=True)
class Bank:
    engine: QueryEngine
    facts: dict[str, CustomerFacts]  # by customer number
    numbers: dict[str, str]  # one_id → customer number
    not_new: str  # the recent gold cardholder given an earlier coffee card


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bank]:
    root = tmp_path_factory.mktemp("examples")
    runtime = build_runtime(make_settings(root / "data"))
    migrate.upgrade(runtime.engine)
    with runtime.uow() as uow:
        set_clock(uow.session, "simulated", datetime.combine(BANK_DAY, time(9), Z))
        uow.commit()
    generated = generate_bank(root / "bank", customers=CUSTOMERS, seed=SEED, as_of=BANK_DAY)
    not_new = _add_earlier_coffee_card(generated.files["holdings"], root / "earlier_card.csv")
    for kind, path in [*((k, generated.files[k]) for k in ("org", "staff", "products", "customers", "holdings")),
                       ("holdings", root / "earlier_card.csv")]:  # fmt: skip
        assert import_file(runtime, kind=kind, path=path, actor="test").rejected == 0, kind
    load_activity(runtime, generated, days=DAYS, end=LAST_DAY, seed=SEED, quiet=True)
    engine = open_engine(runtime.settings)
    try:
        numbers, facts = _facts(engine)
        yield Bank(engine, facts, numbers, not_new)
    finally:
        engine.close()
        runtime.close()


def _add_earlier_coffee_card(holdings: Path, out: Path) -> str:
    """An earlier, closed coffee card for the first gold primary cardholder approved within 60 days."""
    with holdings.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    wanted = (COFFEE, "gold", "primary", "active")
    recent = next(
        row for row in rows
        if (row["product_code"], row["card_level"], row["card_role"], row["status"]) == wanted
        and 0 <= (LAST_DAY - datetime.fromisoformat(row["approved_at"]).astimezone(Z).date()).days <= 60
    )  # fmt: skip
    earlier = {**recent, "account_no": "6283620000000019", "status": "closed", "opened_at": "2025-02-01",
               "closed_at": "2025-09-30", "balance": "0.00", "approved_at": "2025-02-01T10:00:00+08:00"}  # fmt: skip
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(earlier))
        writer.writeheader()
        writer.writerow(earlier)
    return recent["customer_no"]


def _rows(engine: QueryEngine, name: str) -> list[dict[str, Any]]:
    table: pa.Table = engine.backend.to_pyarrow(getattr(Tables.from_engine(engine), name))
    return table.to_pylist()


def _facts(engine: QueryEngine) -> tuple[dict[str, str], dict[str, CustomerFacts]]:
    """Every profile's facts as the evaluator takes them, read from the lake tables."""
    paths = {row["code"]: tuple(reversed(row["path"].strip("/").split("/"))) for row in _rows(engine, "org_units")}
    people = _rows(engine, "customers")
    owner = {p["one_id"]: p["merged_into"] or p["one_id"] for p in people}
    owner[None] = None  # app events of visitors never identified belong to nobody
    rows: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for h in _rows(engine, "holdings"):
        opened = datetime.combine(h["opened_at"], time(0), Z) if h["opened_at"] else None
        fields = ("product_type", "product_code", "card_level", "card_role", "status", "approved_at", "balance_fen")
        rows[owner[h["one_id"]]]["holdings"].append(HoldingFact(**{f: h[f] for f in fields}, opened_at=opened))
    for t in _rows(engine, "transactions"):
        fields = ("occurred_at", "amount_fen", "direction", "txn_type", "channel", "mcc", "product_code")
        rows[owner[t["one_id"]]]["transactions"].append(TxnFact(**{f: t[f] for f in fields}))
    for e in _rows(engine, "events"):
        rows[owner[e["one_id"]]]["events"].append(EventFact(e["type"], e["occurred_at"], json.loads(e["properties"])))
    profiles = [p for p in people if p["merged_into"] is None and p["status"] != "merged"]
    facts = {p["customer_no"]: _customer(p, paths, rows[p["one_id"]]) for p in profiles}
    return {p["one_id"]: p["customer_no"] for p in profiles}, facts


def _customer(profile: dict[str, Any], paths: dict[str, tuple[str, ...]], rows: dict[str, list[Any]]) -> CustomerFacts:
    attributes = {k: v for k, v in profile.items() if k not in ("attributes", "one_id", "merged_into", "status")}
    return CustomerFacts(
        Z,
        attributes | json.loads(profile["attributes"]),
        paths.get(profile["branch_code"], ()),
        holdings=tuple(rows["holdings"]),
        transactions=tuple(rows["transactions"]),
        events=tuple(rows["events"]),
    )


def _rule(name: str) -> Any:
    return normalise(parse_rule(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))))


def compiled(bank: Bank, name: str) -> set[str]:
    members = compile_rule(_rule(name), Tables.from_engine(bank.engine), AS_OF, Z)
    return {bank.numbers[one_id] for one_id in bank.engine.backend.to_pyarrow(members).column("one_id").to_pylist()}


# --- each example read by hand, straight from the facts ------------------------------------------------------


def ago(instant: datetime) -> int:
    """Whole days from the business date of ``instant`` to the evaluation date."""
    return (LAST_DAY - instant.astimezone(Z).date()).days


def last(rows: Any, days: int) -> list[Any]:
    return [r for r in rows if r.occurred_at <= AS_OF and 0 <= ago(r.occurred_at) < days]


def spends(facts: CustomerFacts) -> list[TxnFact]:
    return last((t for t in facts.transactions if t.txn_type == "card_spend"), 365)


def logins(facts: CustomerFacts, days: int) -> list[EventFact]:
    return last((e for e in facts.events if e.type == "login"), days)


def silver_with_deposits_in_hangzhou(facts: CustomerFacts) -> bool:
    born: date | None = facts.attributes["birth_date"]
    if born is None:
        return False
    age = LAST_DAY.year - born.year - ((LAST_DAY.month, LAST_DAY.day) < (born.month, born.day))
    deposits = [h for h in facts.holdings if h.product_type in ("demand_deposit", "time_deposit")]
    in_sum = sum(h.balance_fen or 0 for h in deposits if h.status == "active")
    return 60 <= age <= 75 and "BR01" in facts.org_path and in_sum >= 100_000_00


def logs_in_often(facts: CustomerFacts) -> bool:
    return len({e.occurred_at.astimezone(Z).date() for e in logins(facts, 30)}) >= 15


def spends_a_lot(facts: CustomerFacts) -> bool:
    return sum(t.amount_fen for t in spends(facts) if t.direction == "debit") >= 10_000_00


def sleeps(facts: CustomerFacts) -> bool:
    return not logins(facts, 90) and not last(facts.transactions, 90)


def viewed_wealth_and_did_not_buy(facts: CustomerFacts) -> bool:
    buys = [t.occurred_at for t in facts.transactions if t.txn_type == "wealth_purchase"]
    views = [
        e.occurred_at for e in last(facts.events, 7)
        if e.type == "product_view" and str(e.properties.get("product_code", "")).startswith("WM-")
        and e.properties.get("dwell_seconds", 0) >= 60 and e.occurred_at + timedelta(hours=48) <= AS_OF
    ]  # fmt: skip
    return any(not any(seen < bought <= seen + timedelta(hours=48) for bought in buys) for seen in views)


def new_gold_coffee_cardholder(facts: CustomerFacts) -> bool:
    coffee = [h for h in facts.holdings if h.product_code == COFFEE]
    if len(coffee) != 1 or coffee[0].approved_at is None:
        return False
    card = coffee[0]
    fits = (card.card_level, card.card_role, card.status) == ("gold", "primary", "active")
    return fits and card.approved_at <= AS_OF and 0 <= ago(card.approved_at) <= 60


def birthday_this_week(facts: CustomerFacts) -> bool:
    born: date | None = facts.attributes["birth_date"]
    if born is None:
        return False
    day = 28 if (born.month, born.day) == (2, 29) else born.day  # neither 2026 nor 2027 has a Feb 29
    upcoming = min(d for d in (date(y, born.month, day) for y in (LAST_DAY.year, LAST_DAY.year + 1)) if d >= LAST_DAY)
    return (upcoming - LAST_DAY).days < 7


def champion(facts: CustomerFacts) -> bool:
    found = spends(facts)
    recency = min((ago(t.occurred_at) for t in found), default=None)
    return recency is not None and recency <= 30 and len(found) >= 24 and sum(t.amount_fen for t in found) >= 20_000_00


def at_risk(facts: CustomerFacts) -> bool:
    found = spends(facts)
    recency = min((ago(t.occurred_at) for t in found), default=None)
    return (
        recency is not None
        and 91 <= recency <= 365
        and len(found) >= 12
        and sum(t.amount_fen for t in found) >= 5_000_00
    )


BY_HAND: dict[str, Callable[[CustomerFacts], bool]] = {
    "silver_60_75_deposits_branch": silver_with_deposits_in_hangzhou,
    "active_users": logs_in_often,
    "high_spenders": spends_a_lot,
    "dormant_90_days": sleeps,
    "wealth_view_no_purchase": viewed_wealth_and_did_not_buy,
    "new_gold_coffee_primary": new_gold_coffee_cardholder,
    "birthday_next_7_days": birthday_this_week,
    "rfm_champions": champion,
    "rfm_at_risk": at_risk,
}


def test_every_example_is_checked_on_data() -> None:
    assert sorted(BY_HAND) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_query_finds_the_evaluated_members_some_but_not_all(bank: Bank, name: str) -> None:
    found = compiled(bank, name)
    rule = _rule(name)
    assert found == {number for number, facts in bank.facts.items() if evaluate(rule, facts, AS_OF)}
    assert 0 < len(found) < len(bank.facts)


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_members_are_the_customers_whose_facts_say_so(bank: Bank, name: str) -> None:
    """Each example's meaning, written out by hand over the facts, picks out the same customers."""
    by_hand = {number for number, facts in bank.facts.items() if BY_HAND[name](facts)}
    assert compiled(bank, name) == by_hand


def test_a_recent_gold_cardholder_with_an_earlier_coffee_card_is_not_new(bank: Bank) -> None:
    facts = bank.facts[bank.not_new]
    coffee = sorted((h.status, h.card_level, h.card_role, ago(h.approved_at or AS_OF) <= 60) for h in facts.holdings
                    if h.product_code == COFFEE)  # fmt: skip
    assert coffee == [("active", "gold", "primary", True), ("closed", "gold", "primary", False)]
    assert bank.not_new not in compiled(bank, "new_gold_coffee_primary")


def test_the_evaluation_day_is_the_last_generated_day(bank: Bank) -> None:
    latest = max(t.occurred_at for facts in bank.facts.values() for t in facts.transactions)
    assert latest.astimezone(Z).date() == LAST_DAY
    assert latest <= AS_OF
