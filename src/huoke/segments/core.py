"""The small core tree every rule normalises to: and / or / not over a handful of leaf kinds.

Values are ready to compare: numbers are exact ``Fraction``s, money is in fen, dates are ``date``s, lists are
tuples. The evaluator here and the query compiler work on this tree only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal

Scalar = str | bool | Fraction | date
CompareValue = Scalar | int | tuple[Scalar, ...] | None


@dataclass(frozen=True)
class Compare:
    """``op`` applied to a value; ``value`` is None for is_null / not_null, an int of days for day counts."""

    op: str
    value: CompareValue = None


@dataclass(frozen=True)
class And:
    items: tuple[Core, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Core, ...]


@dataclass(frozen=True)
class Not:
    """Negation; after normalisation it wraps a leaf only."""

    item: Core


@dataclass(frozen=True)
class AttrTest:
    """A profile attribute (``kind`` number / text / date, or any for custom attributes) passes the test."""

    attr: str
    kind: str
    test: Compare


@dataclass(frozen=True)
class InOrg:
    code: str


@dataclass(frozen=True)
class HasTag:
    name: str


@dataclass(frozen=True)
class InSegment:
    name: str


@dataclass(frozen=True)
class HoldingMatch:
    """Holdings whose fields are among the given values (None = any) and opened / approved in the last N days."""

    product_type: tuple[str, ...] | None = None
    product_code: tuple[str, ...] | None = None
    card_level: tuple[str, ...] | None = None
    card_role: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    opened_within_days: int | None = None
    approved_within_days: int | None = None


@dataclass(frozen=True)
class TxnMatch:
    """Transactions whose fields are among the given values (None = any), amounts within [min_fen, max_fen]."""

    txn_type: tuple[str, ...] | None = None
    direction: tuple[str, ...] | None = None
    channel: tuple[str, ...] | None = None
    mcc: tuple[str, ...] | None = None
    product_code: tuple[str, ...] | None = None
    min_fen: Fraction | None = None
    max_fen: Fraction | None = None


@dataclass(frozen=True)
class EventMatch:
    """Events of ``type`` whose properties pass every test."""

    type: str
    where: tuple[tuple[str, Compare], ...] = ()


@dataclass(frozen=True)
class Period:
    """A window: ``last_days`` N, an inclusive ``range`` of business dates, or a ``calendar`` period."""

    kind: Literal["last_days", "range", "calendar"]
    days: int | None = None
    start: date | None = None
    end: date | None = None
    calendar: str | None = None


@dataclass(frozen=True)
class HoldingAgg:
    """``count`` or ``sum_balance`` (fen) of matching holdings passes the test."""

    match: HoldingMatch
    agg: str
    test: Compare


@dataclass(frozen=True)
class TxnAgg:
    """An aggregate of matching transactions in the window (amounts in fen) passes the test."""

    match: TxnMatch
    window: Period
    agg: str
    test: Compare


@dataclass(frozen=True)
class EventAgg:
    """An aggregate of matching events in the window (sum/avg/min/max over ``field``) passes the test."""

    match: EventMatch
    window: Period
    agg: str
    field: str | None
    test: Compare


@dataclass(frozen=True)
class DidNot:
    """Some ``did`` in the window, with did.time + hours ≤ evaluation time, had no ``then_not`` within the hours."""

    did: TxnMatch | EventMatch
    window: Period
    then_not: TxnMatch | EventMatch
    hours: int


Leaf = AttrTest | InOrg | HasTag | InSegment | HoldingAgg | TxnAgg | EventAgg | DidNot
Core = And | Or | Not | Leaf
CORE_TYPES = (And, Or, Not, AttrTest, InOrg, HasTag, InSegment, HoldingAgg, TxnAgg, EventAgg, DidNot)
