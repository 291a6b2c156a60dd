"""The segment rule DSL, version 1 (CONTRACTS.md §3), as typed immutable pydantic models.

A rule is one JSON object whose distinguishing key says what it is: ``all``, ``any``, ``not``, ``attr``,
``in_org``, ``tag``, ``segment``, ``holding``, ``txn``, ``event`` or ``did``. ``parse_rule`` turns a JSON
document into a ``Rule`` or raises ``InvalidInput`` naming the JSON path, the offending value and the choices.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, Tag, TypeAdapter, model_validator

from huoke.segments.dsl_base import Strict, form_of
from huoke.segments.filters import EventFilter, HoldingFilter, TxnFilter, Window
from huoke.segments.operators import CUSTOM_ATTRIBUTE, STANDARD_ATTRIBUTES, Op, check_op, check_value, fail
from huoke.segments.rule_errors import check_names, check_shape, to_invalid_input

__all__ = [
    "Activity", "AllRule", "AnyRule", "AttrRule", "DidRule", "EventActivity", "EventRule", "HoldingRule",
    "InOrgRule", "NotRule", "Rule", "SegmentRule", "TagRule", "TxnActivity", "TxnRule", "parse_rule",
]  # fmt: skip

Name = Annotated[str, Field(min_length=1, max_length=128)]
TxnAgg = Literal["count", "sum", "avg", "min", "max", "distinct_days", "days_since_last"]
AMOUNT_AGGS = ("sum", "avg", "min", "max")


class AllRule(Strict):
    """True when every rule in the list is true."""

    form: ClassVar[str] = "all"
    all: list[Rule] = Field(min_length=1)


class AnyRule(Strict):
    """True when at least one rule in the list is true."""

    form: ClassVar[str] = "any"
    any: list[Rule] = Field(min_length=1)


class NotRule(Strict):
    """True when the rule is false (a comparison with a missing value is false, so its ``not`` is true)."""

    form: ClassVar[str] = "not"
    not_: Rule = Field(alias="not")


class AttrRule(Strict):
    """A profile attribute compared with a value: standard ones (age, city, …) or custom attribute names."""

    form: ClassVar[str] = "attr"
    attr: str
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_fits(self) -> AttrRule:
        kind = STANDARD_ATTRIBUTES.get(self.attr)
        if kind is None and not CUSTOM_ATTRIBUTE.match(self.attr):
            raise fail("attr", "an attribute is a standard one or a custom name matching ^[a-z][a-z0-9_]{0,63}$",
                       sorted(STANDARD_ATTRIBUTES))  # fmt: skip
        check_op(self.op, kind or "any")
        check_value(self.op, self.value, kind or "any")
        return self


class InOrgRule(Strict):
    """The customer's branch is this org unit or below it in the org tree."""

    form: ClassVar[str] = "in_org"
    in_org: Annotated[str, Field(min_length=1, max_length=64)]


class TagRule(Strict):
    """The customer has the tag."""

    form: ClassVar[str] = "tag"
    tag: Name


class SegmentRule(Strict):
    """The customer is a member of another saved segment."""

    form: ClassVar[str] = "segment"
    segment: Name


class _Compared(Strict):
    """An aggregate compared with a number: ``op`` and ``value`` (``value`` absent for is_null / not_null)."""

    op: Op
    value: Any = None

    def _check_comparison(self) -> None:
        check_op(self.op, "number")
        check_value(self.op, self.value, "number")


class HoldingRule(_Compared):
    """Holdings matching the filter: at least one, or their count / summed balance (yuan) compared."""

    form: ClassVar[str] = "holding"
    holding: HoldingFilter
    agg: Literal["count", "sum_balance"] | None = None
    op: Op | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _agg_and_op_together(self) -> HoldingRule:
        if self.agg is None and (self.op is not None or self.value is not None):
            raise fail("agg", "op and value compare an aggregate: give agg too", ["count", "sum_balance"])
        if self.agg is not None:
            if self.op is None:
                raise fail("op", "an aggregate needs an operator", ["eq", "ne", "lt", "le", "gt", "ge", "between"])
            self._check_comparison()
        return self


class TxnRule(_Compared):
    """An aggregate over the customer's matching transactions in the window (amounts in yuan)."""

    form: ClassVar[str] = "txn"
    txn: TxnFilter
    window: Window
    agg: TxnAgg

    @model_validator(mode="after")
    def _comparison_fits(self) -> TxnRule:
        self._check_comparison()
        return self


class EventRule(_Compared):
    """An aggregate over the customer's matching events in the window; sum/avg/min/max need ``field``."""

    form: ClassVar[str] = "event"
    event: EventFilter
    window: Window
    agg: TxnAgg
    field: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _field_fits(self) -> EventRule:
        if self.agg in AMOUNT_AGGS and self.field is None:
            raise fail("field", f"{self.agg} over events needs the numeric property to use in field")
        if self.agg not in AMOUNT_AGGS and self.field is not None:
            raise fail("field", f"{self.agg} takes no field; field goes with sum, avg, min and max", list(AMOUNT_AGGS))
        self._check_comparison()
        return self


class EventActivity(Strict):
    """An event matching the filter (inside ``did``)."""

    form: ClassVar[str] = "event"
    event: EventFilter


class TxnActivity(Strict):
    """A transaction matching the filter (inside ``did``)."""

    form: ClassVar[str] = "txn"
    txn: TxnFilter


Activity = Annotated[
    Annotated[EventActivity, Tag("<event>")] | Annotated[TxnActivity, Tag("<txn>")],
    form_of(("event", "txn")),
]


class DidRule(Strict):
    """Some X in the window was followed by no Y within H hours; only X with X.time + H ≤ evaluation time count."""

    form: ClassVar[str] = "did"
    did: Activity
    window: Window
    then_not: Activity
    within_hours: Annotated[int, Field(strict=True, ge=1, le=8_760)]


FORMS = ("all", "any", "not", "attr", "in_org", "tag", "segment", "holding", "txn", "event", "did")
_MODELS = (AllRule, AnyRule, NotRule, AttrRule, InOrgRule, TagRule, SegmentRule, HoldingRule, TxnRule, EventRule,
           DidRule)  # fmt: skip

Rule = Annotated[
    Annotated[AllRule, Tag("<all>")]
    | Annotated[AnyRule, Tag("<any>")]
    | Annotated[NotRule, Tag("<not>")]
    | Annotated[AttrRule, Tag("<attr>")]
    | Annotated[InOrgRule, Tag("<in_org>")]
    | Annotated[TagRule, Tag("<tag>")]
    | Annotated[SegmentRule, Tag("<segment>")]
    | Annotated[HoldingRule, Tag("<holding>")]
    | Annotated[TxnRule, Tag("<txn>")]
    | Annotated[EventRule, Tag("<event>")]
    | Annotated[DidRule, Tag("<did>")],
    form_of(FORMS),
]


def parse_rule(
    document: Any,
    *,
    known_attributes: Set[str] | None = None,
    known_tags: Set[str] | None = None,
    known_segments: Set[str] | None = None,
    known_event_types: Set[str] | None = None,
) -> Rule:
    """Validate a rule document (parsed JSON or JSON text) into a ``Rule``.

    The ``known_*`` sets, when given, reject custom attributes, tags, segments and event types that the
    catalogue does not know, with the path of the node that names them.
    """
    document = check_shape(document, FORMS)
    try:
        rule: Rule = _adapter().validate_python(document)
    except Exception as exc:
        raise to_invalid_input(exc, document) from exc
    check_names(rule, known_attributes, known_tags, known_segments, known_event_types)
    return rule


def _adapter() -> TypeAdapter[Rule]:
    global _ADAPTER  # noqa: PLW0603 - built on first use: nothing heavy at import
    if _ADAPTER is None:
        for model in _MODELS:
            model.model_rebuild()
        _ADAPTER = TypeAdapter(Rule)
    return _ADAPTER


_ADAPTER: TypeAdapter[Rule] | None = None
