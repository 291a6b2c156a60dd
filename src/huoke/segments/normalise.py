"""Rules to the core tree: sugar becomes core nodes, ``not`` moves to the leaves, nested groups flatten.

``desugar`` translates a parsed rule node for node (``not`` stays where it is); ``normalise`` also pushes
negation down with De Morgan's laws and flattens ``all``/``any``. Leaf negation stays an explicit ``Not(leaf)``
because a comparison with a missing value is false either way: ``not (age gt 60)`` is true for a customer
without an age, ``age le 60`` is not. Only ``is_null`` / ``not_null`` swap, as they are exact complements.
Neither function mutates its input: every node is immutable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from fractions import Fraction
from typing import Any

from huoke.segments import core
from huoke.segments.core import CORE_TYPES, And, Compare, Core, Not, Or
from huoke.segments.dsl import (
    AllRule,
    AnyRule,
    AttrRule,
    DidRule,
    EventActivity,
    EventRule,
    HoldingRule,
    InOrgRule,
    NotRule,
    Rule,
    SegmentRule,
    TagRule,
    TxnActivity,
    TxnRule,
)  # fmt: skip
from huoke.segments.filters import CalendarWindow, DateRange, EventFilter, HoldingFilter, LastDays, TxnFilter
from huoke.segments.operators import STANDARD_ATTRIBUTES

FEN_PER_YUAN = 100
_AMOUNT_AGGS = ("sum", "avg", "min", "max")
_SWAPPED = {"is_null": "not_null", "not_null": "is_null"}
_TESTED = (core.AttrTest, core.HoldingAgg, core.TxnAgg, core.EventAgg)


def normalise(rule: Rule | Core) -> Core:
    """The core tree of a rule (or of a core tree): negation on leaves only, no group directly inside its kind."""
    tree = rule if isinstance(rule, CORE_TYPES) else desugar(rule)
    return _push(tree, negate=False)


def desugar(rule: Rule) -> Core:
    """The rule as core nodes, one for one; values converted (numbers exact, money in fen, dates as dates)."""
    return _DESUGAR[type(rule)](rule)


def _push(node: Core, *, negate: bool) -> Core:
    if isinstance(node, Not):
        return _push(node.item, negate=not negate)
    if isinstance(node, And | Or):
        conjunction = isinstance(node, And) != negate  # De Morgan: not (a and b) = (not a) or (not b)
        return _group(And if conjunction else Or, [_push(item, negate=negate) for item in node.items])
    return _negated(node) if negate else node


def _group(kind: type[And] | type[Or], items: list[Core]) -> Core:
    flat: list[Core] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _negated(leaf: Core) -> Core:
    if isinstance(leaf, _TESTED) and leaf.test.op in _SWAPPED:
        swapped: Core = replace(leaf, test=Compare(_SWAPPED[leaf.test.op]))
        return swapped
    return Not(leaf)


def compare(op: str, value: Any, kind: str, scale: int = 1) -> Compare:
    """A comparison with its value converted: ISO dates to dates for date kinds, numbers to exact fractions."""
    if op in ("is_null", "not_null"):
        return Compare(op)
    if op in ("within_last_days", "anniversary_within_days"):
        return Compare(op, int(value))
    if op in ("before", "after"):
        return Compare(op, date.fromisoformat(value))
    if isinstance(value, list | tuple):
        return Compare(op, tuple(_scalar(item, kind, scale) for item in value))
    return Compare(op, _scalar(value, kind, scale))


def _scalar(value: Any, kind: str, scale: int) -> core.Scalar:
    if isinstance(value, bool | date | str) and not (kind == "date" and isinstance(value, str)):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    return exact(value) * scale


def exact(number: int | float | Fraction) -> Fraction:
    """The number as a fraction, reading floats as written (0.1 is one tenth)."""
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def _all(rule: AllRule) -> Core:
    return And(tuple(desugar(item) for item in rule.all))


def _any(rule: AnyRule) -> Core:
    return Or(tuple(desugar(item) for item in rule.any))


def _not(rule: NotRule) -> Core:
    return Not(desugar(rule.not_))


def _attr(rule: AttrRule) -> Core:
    kind = STANDARD_ATTRIBUTES.get(rule.attr, "any")
    return core.AttrTest(rule.attr, kind, compare(rule.op, rule.value, kind))


def _holding(rule: HoldingRule) -> Core:
    if rule.agg is None or rule.op is None:  # {"holding": F} = at least one matching holding
        return core.HoldingAgg(holding_match(rule.holding), "count", Compare("ge", Fraction(1)))
    scale = FEN_PER_YUAN if rule.agg == "sum_balance" else 1
    return core.HoldingAgg(holding_match(rule.holding), rule.agg, compare(rule.op, rule.value, "number", scale))


def _txn(rule: TxnRule) -> Core:
    scale = FEN_PER_YUAN if rule.agg in _AMOUNT_AGGS else 1
    test = compare(rule.op, rule.value, "number", scale)
    return core.TxnAgg(txn_match(rule.txn), period(rule.window), rule.agg, test)


def _event(rule: EventRule) -> Core:
    test = compare(rule.op, rule.value, "number")
    return core.EventAgg(event_match(rule.event), period(rule.window), rule.agg, rule.field, test)


def _did(rule: DidRule) -> Core:
    return core.DidNot(_activity(rule.did), period(rule.window), _activity(rule.then_not), rule.within_hours)


def _activity(activity: EventActivity | TxnActivity) -> core.TxnMatch | core.EventMatch:
    return event_match(activity.event) if isinstance(activity, EventActivity) else txn_match(activity.txn)


def holding_match(found: HoldingFilter) -> core.HoldingMatch:
    """The holding filter as a core match."""
    return core.HoldingMatch(**found.model_dump())


def txn_match(found: TxnFilter) -> core.TxnMatch:
    """The transaction filter as a core match, amount bounds in fen."""
    fields = found.model_dump(exclude={"min_amount", "max_amount"})
    low, high = found.min_amount, found.max_amount
    return core.TxnMatch(
        **fields,
        min_fen=None if low is None else exact(low) * FEN_PER_YUAN,
        max_fen=None if high is None else exact(high) * FEN_PER_YUAN,
    )


def event_match(found: EventFilter) -> core.EventMatch:
    """The event filter as a core match; property tests compare like custom attributes."""
    tests = tuple((name, compare(test.op, test.value, "any")) for name, test in found.where.items())
    return core.EventMatch(found.type, tests)


def period(window: LastDays | DateRange | CalendarWindow) -> core.Period:
    """The window as a core period."""
    if isinstance(window, LastDays):
        return core.Period("last_days", days=window.last_days)
    if isinstance(window, DateRange):
        return core.Period("range", start=window.from_, end=window.to)
    return core.Period("calendar", calendar=window.calendar)


_DESUGAR: dict[type[Any], Callable[[Any], Core]] = {
    AllRule: _all, AnyRule: _any, NotRule: _not, AttrRule: _attr, InOrgRule: lambda r: core.InOrg(r.in_org),
    TagRule: lambda r: core.HasTag(r.tag), SegmentRule: lambda r: core.InSegment(r.segment),
    HoldingRule: _holding, TxnRule: _txn, EventRule: _event, DidRule: _did,
}  # fmt: skip
