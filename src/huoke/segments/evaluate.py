"""The reference evaluator: does one customer match a rule at evaluation time ``as_of``?

Pure and in memory (used for real-time membership), it implements CONTRACTS.md §3 literally and is the answer
the query compiler must agree with. Rows after ``as_of`` never count; business dates are in ``facts.zone``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from huoke.segments import core
from huoke.segments.comparison import passes, period_dates
from huoke.segments.core import CORE_TYPES, Core
from huoke.segments.dsl import Rule
from huoke.segments.facts import CustomerFacts, EventFact, HoldingFact, TxnFact, as_date, as_number, whole_years
from huoke.segments.normalise import desugar


@dataclass(frozen=True)
class _Now:
    """The evaluation context: the customer, the instant and its business date."""

    facts: CustomerFacts
    as_of: datetime
    today: date


def evaluate(rule: Rule | Core, facts: CustomerFacts, as_of: datetime) -> bool:
    """Whether the customer matches the rule (a parsed rule or any core tree) at the aware instant ``as_of``."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    tree = rule if isinstance(rule, CORE_TYPES) else desugar(rule)
    return _eval(tree, _Now(facts, as_of, facts.business_date(as_of)))


def _eval(node: Core, now: _Now) -> bool:
    return _VISIT[type(node)](node, now)


def _attr(node: core.AttrTest, now: _Now) -> bool:
    return passes(node.test, attribute(node.attr, now.facts, now.today), now.today, now.facts.zone)


def attribute(name: str, facts: CustomerFacts, today: date) -> Any:
    """A profile attribute's value; ``age`` is whole years from ``birth_date`` on the evaluation date."""
    if name != "age":
        return facts.attributes.get(name)
    born = as_date(facts.attributes.get("birth_date"), facts.zone)
    return None if born is None else whole_years(born, today)


def _in_org(node: core.InOrg, now: _Now) -> bool:
    branch = now.facts.attributes.get("branch_code")
    return branch is not None and (node.code == branch or node.code in now.facts.org_path)


def _holding(node: core.HoldingAgg, now: _Now) -> bool:
    rows = [h for h in now.facts.holdings if _holding_matches(node.match, h, now)]
    total = len(rows) if node.agg == "count" else sum(h.balance_fen or 0 for h in rows)
    return passes(node.test, Fraction(total), now.today, now.facts.zone)


def _holding_matches(match: core.HoldingMatch, row: HoldingFact, now: _Now) -> bool:
    if row.opened_at is not None and row.opened_at > now.as_of:
        return False
    return (
        _among(match.product_type, row.product_type) and _among(match.product_code, row.product_code)
        and _among(match.card_level, row.card_level) and _among(match.card_role, row.card_role)
        and _among(match.status, row.status)
        and _recent(match.opened_within_days, row.opened_at, now)
        and _recent(match.approved_within_days, row.approved_at, now)
    )  # fmt: skip


def _among(allowed: tuple[str, ...] | None, value: str | None) -> bool:
    return allowed is None or value in allowed


def _recent(days: int | None, instant: datetime | None, now: _Now) -> bool:
    if days is None:
        return True
    if instant is None or instant > now.as_of:
        return False
    return 0 <= (now.today - now.facts.business_date(instant)).days < days


def txn_matches(match: core.TxnMatch, row: TxnFact) -> bool:
    """Whether a transaction passes the filter."""
    return (
        _among(match.txn_type, row.txn_type) and _among(match.direction, row.direction)
        and _among(match.channel, row.channel) and _among(match.mcc, row.mcc)
        and _among(match.product_code, row.product_code)
        and (match.min_fen is None or row.amount_fen >= match.min_fen)
        and (match.max_fen is None or row.amount_fen <= match.max_fen)
    )  # fmt: skip


def event_matches(match: core.EventMatch, row: EventFact, now: _Now) -> bool:
    """Whether an event has the type and passes every property test."""
    if row.type != match.type:
        return False
    return all(passes(test, row.properties.get(name), now.today, now.facts.zone) for name, test in match.where)


def _activity(match: core.TxnMatch | core.EventMatch, now: _Now) -> list[TxnFact] | list[EventFact]:
    """Matching rows up to the evaluation time."""
    if isinstance(match, core.TxnMatch):
        return [r for r in now.facts.transactions if r.occurred_at <= now.as_of and txn_matches(match, r)]
    return [r for r in now.facts.events if r.occurred_at <= now.as_of and event_matches(match, r, now)]


def _in_window(rows: Sequence[TxnFact | EventFact], window: core.Period, now: _Now) -> list[Any]:
    first, last = period_dates(window, now.today)
    return [row for row in rows if first <= now.facts.business_date(row.occurred_at) <= last]


def _txn(node: core.TxnAgg, now: _Now) -> bool:
    rows: list[TxnFact] = _in_window(_activity(node.match, now), node.window, now)
    result = aggregate(node.agg, rows, [Fraction(row.amount_fen) for row in rows], now)
    return passes(node.test, result, now.today, now.facts.zone)


def _event(node: core.EventAgg, now: _Now) -> bool:
    rows: list[EventFact] = _in_window(_activity(node.match, now), node.window, now)
    numbers = [as_number(row.properties.get(node.field)) for row in rows] if node.field else []
    result = aggregate(node.agg, rows, [n for n in numbers if n is not None], now)
    return passes(node.test, result, now.today, now.facts.zone)


def aggregate(agg: str, rows: Sequence[TxnFact | EventFact], values: list[Fraction], now: _Now) -> Fraction | None:
    """count and sum are 0 without rows; avg, min, max and days_since_last are then missing (None)."""
    days = {now.facts.business_date(row.occurred_at) for row in rows}
    if agg == "count":
        return Fraction(len(rows))
    if agg == "sum":
        return sum(values, Fraction(0))
    if agg == "distinct_days":
        return Fraction(len(days))
    if agg == "days_since_last":
        return Fraction((now.today - max(days)).days) if days else None
    return _of_values(agg, values)


def _of_values(agg: str, values: list[Fraction]) -> Fraction | None:
    if not values:
        return None
    if agg == "avg":
        return sum(values, Fraction(0)) / len(values)
    return min(values) if agg == "min" else max(values)


def _did(node: core.DidNot, now: _Now) -> bool:
    hours = timedelta(hours=node.hours)
    done = [x.occurred_at for x in _in_window(_activity(node.did, now), node.window, now)]
    followed = [y.occurred_at for y in _activity(node.then_not, now)]
    return any(x + hours <= now.as_of and not any(x < y <= x + hours for y in followed) for x in done)


_VISIT: dict[type[Any], Callable[[Any, _Now], bool]] = {
    core.And: lambda node, now: all(_eval(item, now) for item in node.items),
    core.Or: lambda node, now: any(_eval(item, now) for item in node.items),
    core.Not: lambda node, now: not _eval(node.item, now),
    core.AttrTest: _attr,
    core.InOrg: _in_org,
    core.HasTag: lambda node, now: node.name in now.facts.tags,
    core.InSegment: lambda node, now: node.name in now.facts.segments,
    core.HoldingAgg: _holding,
    core.TxnAgg: _txn,
    core.EventAgg: _event,
    core.DidNot: _did,
}
