"""Tags, pure: kinds and names, the thresholds of the computed tags with their documented defaults, the
bucket decisions behind each computed tag, and the changes between the tags a customer holds and the tags
just found. No I/O here (docs/tags.md describes every tag).

Computed tags (names fixed by the thresholds):

- lifecycle stage ``lifecycle_<stage>`` — see :func:`lifecycle_stage`;
- value tier ``value_<tier>`` by AUM (balances of deposits, wealth products and funds not closed);
- ``active`` — logged in on at least 15 of the last 30 days;
- spend tier ``spend_<tier>`` by card spending over the last 365 days;
- age band ``age_under_18``, ``age_18_29`` … ``age_60_74``, ``age_75_plus``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from huoke.platform.errors import InvalidInput
from huoke.segments import core
from huoke.segments.core import Core

TagKind = Literal["computed", "rule", "manual"]
KINDS: tuple[TagKind, ...] = ("computed", "rule", "manual")
NAME_PATTERN = re.compile(r"^[^\s\x00-\x1f/\\,;\"'`]{1,64}$")
RESERVED_PREFIXES = ("lifecycle_", "value_", "spend_", "age_")
RESERVED_NAMES = frozenset({"active"})
STAGES = ("new", "growing", "mature", "dormant", "churn_risk", "churned")
ACTIVE_TAG = "active"
ManualAction = Literal["add", "remove"]
_TIER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

Days = Annotated[int, Field(ge=1, le=36_600)]
Yuan = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
Pair = tuple[str, str]  # (one_id, tag)


def check_tag_name(name: Any) -> str:
    """A tag name: 1 to 64 characters without spaces, control characters, slashes, commas, semicolons or
    quotes. Chinese names such as ``高净值`` are fine."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise InvalidInput(
            f"tag name {name!r} must be 1 to 64 characters with no spaces, control characters, slashes, commas, "
            "semicolons or quotes",
            code="bad_tag_name",
            details={"name": name if isinstance(name, str) else repr(name)},
        )
    return name


def check_own_name(name: Any) -> str:
    """A name users may give a rule or manual tag: valid, and not one the computed tags use."""
    checked = check_tag_name(name)
    if checked in RESERVED_NAMES or checked.startswith(RESERVED_PREFIXES):
        raise InvalidInput(
            f"tag name {checked!r} is reserved for computed tags (the name {ACTIVE_TAG!r} and names starting "
            f"with {', '.join(RESERVED_PREFIXES)}); choose another name",
            code="reserved_tag_name",
            details={"name": checked},
        )
    return checked


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _tiers(floors: Mapping[str, Decimal]) -> tuple[tuple[str, Decimal], ...]:
    """Tier names with their floors, highest floor first (the order tiers are tried in)."""
    for name in floors:
        if not _TIER_NAME.match(name):
            raise ValueError(f"tier name {name!r} must match ^[a-z][a-z0-9_]{{0,31}}$")
    if len(set(floors.values())) != len(floors):
        raise ValueError("two tiers have the same floor")
    return tuple(sorted(floors.items(), key=lambda item: item[1], reverse=True))


class LifecycleThresholds(_Part):
    """Days that separate the lifecycle stages (see :func:`lifecycle_stage`)."""

    new_days: Days = 90
    mature_days: Days = 730
    churn_risk_days: Days = 60
    dormant_days: Days = 180
    churned_days: Days = 365
    ignored_txn_types: tuple[str, ...] = ("interest", "fee")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.new_days <= self.mature_days:
            raise ValueError("new_days must not exceed mature_days")
        if not self.churn_risk_days < self.dormant_days < self.churned_days:
            raise ValueError("churn_risk_days < dormant_days < churned_days is required")
        return self


class ValueTierThresholds(_Part):
    """AUM floors in yuan per tier; AUM sums the balances of these product types in holdings not closed."""

    product_types: tuple[str, ...] = ("demand_deposit", "time_deposit", "wealth", "fund")
    floors: dict[str, Yuan] = Field(
        default_factory=lambda: {
            "mass": Decimal(0),
            "affluent": Decimal(50_000),
            "wealthy": Decimal(500_000),
            "private": Decimal(6_000_000),
        }
    )

    @model_validator(mode="after")
    def _named(self) -> Self:
        _tiers(self.floors)
        return self

    def tiers(self) -> tuple[tuple[str, Decimal], ...]:
        return _tiers(self.floors)


class ActivityThresholds(_Part):
    """``active``: an event of this type on at least ``min_days`` of the last ``window_days`` business days."""

    event_type: str = "login"
    window_days: Days = 30
    min_days: Days = 15

    @model_validator(mode="after")
    def _fits(self) -> Self:
        if self.min_days > self.window_days:
            raise ValueError("min_days must not exceed window_days")
        return self


class SpendThresholds(_Part):
    """Spend floors in yuan per tier over the last ``window_days``; spend sums these transactions' amounts."""

    window_days: Days = 365
    txn_types: tuple[str, ...] = ("card_spend",)
    direction: Literal["debit", "credit"] = "debit"
    floors: dict[str, Yuan] = Field(
        default_factory=lambda: {"high": Decimal(10_000), "medium": Decimal(5_000), "low": Decimal(1)}
    )

    @model_validator(mode="after")
    def _named(self) -> Self:
        _tiers(self.floors)
        return self

    def tiers(self) -> tuple[tuple[str, Decimal], ...]:
        return _tiers(self.floors)


class AgeThresholds(_Part):
    """Lower bounds of the age bands in whole years, ascending (the default gives 60–74 and 75+)."""

    bands: tuple[Annotated[int, Field(ge=1, le=150)], ...] = (18, 30, 45, 60, 75)

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        if not self.bands or list(self.bands) != sorted(set(self.bands)):
            raise ValueError("bands must be distinct ages in ascending order")
        return self

    def named(self) -> tuple[tuple[str, int], ...]:
        """(tag, lower bound) for every band, youngest first; the first band starts at 0."""
        bounds = (0, *self.bands)
        names = [f"age_under_{self.bands[0]}"]
        names += [f"age_{low}_{high - 1}" for low, high in zip(self.bands, self.bands[1:], strict=False)]
        names.append(f"age_{self.bands[-1]}_plus")
        return tuple(zip(names, bounds, strict=True))


class TagThresholds(_Part):
    """Every threshold of the computed tags; each section may be left out to keep its defaults."""

    lifecycle: LifecycleThresholds = LifecycleThresholds()
    value_tier: ValueTierThresholds = ValueTierThresholds()
    activity: ActivityThresholds = ActivityThresholds()
    spend: SpendThresholds = SpendThresholds()
    age: AgeThresholds = AgeThresholds()

    @classmethod
    def read(cls, document: Mapping[str, Any], source: str) -> TagThresholds:
        """Thresholds from a parsed TOML/JSON document; ``InvalidInput`` names the key and the reason."""
        try:
            return cls.model_validate(dict(document))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top level)"
            raise InvalidInput(
                f"{source}: tag thresholds at {where}: {first['msg']}",
                code="bad_tag_thresholds",
                details={"key": where, "reason": first["msg"]},
            ) from exc

    def computed_names(self) -> dict[str, str]:
        """Every computed tag name with what it means, in documentation order."""
        life, act, spend = self.lifecycle, self.activity, self.spend
        found = {
            "lifecycle_new": f"opened fewer than {life.new_days} days ago",
            "lifecycle_growing": f"opened {life.new_days}–{life.mature_days - 1} days ago, active lately",
            "lifecycle_mature": f"opened {life.mature_days} or more days ago, active lately",
            "lifecycle_dormant": f"no activity for {life.dormant_days}–{life.churned_days - 1} days",
            "lifecycle_churn_risk": f"no activity for {life.churn_risk_days}–{life.dormant_days - 1} days",
            "lifecycle_churned": f"no activity for {life.churned_days} or more days, or every holding closed",
        }
        found |= {f"value_{name}": f"AUM {span}" for name, span in _spans(self.value_tier.tiers())}
        found[ACTIVE_TAG] = f"{act.event_type} on at least {act.min_days} of the last {act.window_days} days"
        found |= {
            f"spend_{name}": f"{'/'.join(spend.txn_types)} {span} in the last {spend.window_days} days"
            for name, span in _spans(spend.tiers())
        }
        ages = self.age.named()
        found |= {name: _age_span(index, ages) for index, (name, _) in enumerate(ages)}
        return found


def _spans(tiers: tuple[tuple[str, Decimal], ...]) -> list[tuple[str, str]]:
    """(tier, "X to below Y yuan") lowest tier first; the top tier "X yuan or more"."""
    ascending = list(reversed(tiers))
    spans = []
    for index, (name, floor) in enumerate(ascending):
        upper = f" to below {ascending[index + 1][1]} yuan" if index + 1 < len(ascending) else " yuan or more"
        spans.append((name, f"{floor}{upper}"))
    return spans


def _age_span(index: int, ages: tuple[tuple[str, int], ...]) -> str:
    low = ages[index][1]
    if index + 1 == len(ages):
        return f"aged {low} or over"
    return f"aged under {ages[1][1]}" if index == 0 else f"aged {low}–{ages[index + 1][1] - 1}"


def tier_of(amount_fen: int, tiers: Sequence[tuple[str, Decimal]]) -> str | None:
    """The first tier (highest floor first) whose floor the amount reaches; None below every floor."""
    return next((name for name, floor in tiers if Decimal(amount_fen) >= floor * 100), None)


def band_of(years: int | None, thresholds: AgeThresholds) -> str | None:
    """The age band tag for whole years of age; None when the age is unknown (no birth date)."""
    if years is None or years < 0:
        return None
    return next(name for name, low in reversed(thresholds.named()) if years >= low)


def lifecycle_stage(
    tenure_days: int | None, idle_days: int | None, all_closed: bool, t: LifecycleThresholds
) -> str | None:
    """The lifecycle stage, first match wins.

    ``tenure_days``: days since the customer opened (their ``opened_at``, else when the record was created);
    ``idle_days``: days since their last activity (a transaction other than ``ignored_txn_types``, or any
    event), None when there was none in the last ``churned_days`` — then the whole tenure was idle;
    ``all_closed``: they have holdings and every one is closed.

    churned (every holding closed) · new (tenure < new_days) · churned (idle ≥ churned_days) · dormant
    (idle ≥ dormant_days) · churn_risk (idle ≥ churn_risk_days) · mature (tenure ≥ mature_days) · growing.
    """
    if all_closed:
        return "churned"
    if tenure_days is None or tenure_days < 0:
        return None
    if tenure_days < t.new_days:
        return "new"
    idle = tenure_days if idle_days is None else idle_days
    for stage, days in (("churned", t.churned_days), ("dormant", t.dormant_days), ("churn_risk", t.churn_risk_days)):
        if idle >= days:
            return stage
    return "mature" if tenure_days >= t.mature_days else "growing"


@dataclass(frozen=True)
class TagChanges:
    """What a refresh or an import changes: pairs to assign (open a row) and pairs to remove (close it)."""

    assign: list[Pair]
    remove: list[Pair]


def tag_changes(held: Iterable[Pair], found: Iterable[Pair]) -> TagChanges:
    """Held pairs no longer found are removed; found pairs not held are assigned; each list sorted."""
    before, after = set(held), set(found)
    return TagChanges(assign=sorted(after - before), remove=sorted(before - after))


@dataclass(frozen=True)
class ManualLine:
    """One readable line of a manual tags file: its row number, the customer's ONE_ID, the tag and the action."""

    row: int
    pair: Pair
    action: ManualAction


@dataclass(frozen=True)
class ManualPlan:
    """The changes a batch of manual lines makes, and the rows that changed nothing (duplicates)."""

    changes: TagChanges
    accepted: list[int]
    duplicates: list[int]


def plan_manual(held: Iterable[Pair], lines: Sequence[ManualLine]) -> ManualPlan:
    """Apply lines in file order to the held pairs: a line that changes the state is accepted, one that does
    not (adding a tag already held, removing one not held) is a duplicate. Only the net change is written."""
    start = set(held)
    state = set(start)
    accepted: list[int] = []
    duplicates: list[int] = []
    for line in lines:
        holds = line.pair in state
        if (line.action == "add") == holds:
            duplicates.append(line.row)
            continue
        accepted.append(line.row)
        if line.action == "add":
            state.add(line.pair)
        else:
            state.discard(line.pair)
    touched = {line.pair for line in lines}
    return ManualPlan(tag_changes(start & touched, state & touched), accepted, duplicates)


def rule_tag_order(references: Mapping[str, Iterable[str]]) -> list[str]:
    """Rule tags in an order where each comes after the rule tags its rule refers to (names sorted otherwise).

    ``references`` maps every rule tag to the tags its rule names (other names are ignored). A cycle raises
    ``InvalidInput`` naming it, e.g. ``a → b → a``.
    """
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            raise InvalidInput(f"rule tags refer to each other in a cycle: {' → '.join(cycle)}", code="tag_cycle")
        for target in sorted(set(references[name])):
            if target in references:
                visit(target, (*trail, name))
        done.add(name)
        order.append(name)

    for name in sorted(references):
        visit(name, ())
    return order


def tag_references(tree: Core) -> set[str]:
    """The tag names a normalised rule refers to."""
    if isinstance(tree, core.And | core.Or):
        return set().union(*(tag_references(item) for item in tree.items))
    if isinstance(tree, core.Not):
        return tag_references(tree.item)
    return {tree.name} if isinstance(tree, core.HasTag) else set()


Problem = tuple[str, str, str]  # (column, value, reason), as the errors file lists them


def read_manual_row(values: Mapping[str, Any]) -> tuple[str, str, ManualAction] | list[Problem]:
    """(customer_no, tag, action) from one row of a manual tags file, or every problem with it.

    ``action`` is ``add`` (the default when the column is absent or blank) or ``remove``."""
    problems: list[Problem] = []
    number = str(values.get("customer_no") or "").strip()
    if not number:
        problems.append(("customer_no", "", "required: the customer number the tag belongs to"))
    tag = str(values.get("tag") or "").strip()
    try:
        check_own_name(tag)
    except InvalidInput as exc:
        problems.append(("tag", tag, exc.message))
    action = str(values.get("action") or "add").strip().lower()
    if action not in ("add", "remove"):
        problems.append(("action", action, "must be add or remove (blank means add)"))
    if problems:
        return problems
    return number, tag, "add" if action == "add" else "remove"
