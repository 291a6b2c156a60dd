"""Computed tags as one set-based Ibis query over the lake: (one_id, tag) for every customer and computed tag.

The customers are the live profiles with a customer number (anonymous units get no computed tag). Rows on an
identity unit merged into a profile count for the profile, rows after ``as_of`` never count, and business
dates are in ``zone`` — exactly as compiled segment rules read the lake. Each tag family is one aggregation
bucketed by the thresholds; the buckets are the pure decisions of ``tag_model`` (``tier_of``, ``band_of``,
``lifecycle_stage``) written as Ibis ``cases`` in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import ibis  # type: ignore[import-untyped]

from huoke.segments.compile import compile_rule
from huoke.segments.compile_activity import Activity
from huoke.segments.compile_tables import Tables
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from huoke.segments.tag_model import (
    ACTIVE_TAG,
    ActivityThresholds,
    AgeThresholds,
    LifecycleThresholds,
    SpendThresholds,
    TagThresholds,
    ValueTierThresholds,
)

_NO_TAG = ibis.null().cast("string")


@dataclass(frozen=True)
class _Scope:
    """The tables, the customers (live profiles with a customer number), units → profiles, and the time."""

    tables: Tables
    customers: Any
    units: Any
    time: Activity

    def own(self, rows: Any, **columns: Any) -> Any:
        """Rows recorded on any unit, as rows of the profile the unit belongs to."""
        joined = rows.join(self.units, rows.one_id == self.units.unit)
        return joined.select(one_id=self.units.profile, **{name: rows[column] for name, column in columns.items()})

    def day(self, days_before: int) -> date:
        return self.time.today - timedelta(days=days_before)

    def starts(self, day: date) -> Any:
        """The instant a business date starts, as a UTC timestamp literal."""
        return self.time.instant(self.time.start_of(day))


def computed_tags(tables: Tables, as_of: datetime, zone: tzinfo, thresholds: TagThresholds) -> Any:
    """An Ibis table ``(one_id, tag)``: every computed tag every customer holds at the aware instant ``as_of``."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    scope = _scope(tables, as_of, zone)
    parts = [
        _lifecycle(scope, thresholds.lifecycle),
        _value_tier(scope, thresholds.value_tier),
        _active(scope, thresholds.activity, zone),
        _spend(scope, thresholds.spend),
        _age(scope, thresholds.age),
    ]
    return parts[0].union(*parts[1:], distinct=False)


def _scope(tables: Tables, as_of: datetime, zone: tzinfo) -> _Scope:
    rows = tables.customers
    live = rows.merged_into.isnull() & (rows.status.isnull() | (rows.status != "merged"))
    profiles = rows.filter(live)
    customers = profiles.filter(profiles.customer_no.notnull())
    units = rows.select(unit=rows.one_id, profile=rows.merged_into.fill_null(rows.one_id))
    units = units.semi_join(profiles, units.profile == profiles.one_id)
    time = Activity(units=units, profiles=profiles.select("one_id"), as_of=as_of, zone=zone)
    return _Scope(tables, customers, units, time)


def _tagged(table: Any, tag: Any) -> Any:
    return table.select(one_id=table.one_id, tag=tag).filter(lambda t: t.tag.notnull())


def _bucket(amount_fen: Any, prefix: str, tiers: tuple[tuple[str, Decimal], ...]) -> Any:
    """``prefix + tier`` of the first tier (highest floor first) the amount reaches; NULL below every floor."""
    cases = [(amount_fen >= ibis.literal(int(floor * 100), type="int64"), f"{prefix}{name}") for name, floor in tiers]
    return ibis.cases(*cases, else_=_NO_TAG)


def _per_customer(scope: _Scope, totals: Any) -> Any:
    """Every customer with the per-profile ``total`` (0 when they have no matching rows)."""
    both = scope.customers.select("one_id").left_join(totals, "one_id")
    return both.select(one_id=both.one_id, total=both.total.fill_null(0).cast("int64"))


def _value_tier(scope: _Scope, t: ValueTierThresholds) -> Any:
    rows = scope.tables.holdings
    keep = rows.product_type.isin(list(t.product_types)) & (rows.status.isnull() | (rows.status != "closed"))
    keep &= rows.opened_at.isnull() | (rows.opened_at <= scope.time.today)
    mine = scope.own(rows.filter(keep.fill_null(False)), fen="balance_fen")
    totals = mine.group_by("one_id").aggregate(total=mine.fen.fill_null(0).sum())
    customers = _per_customer(scope, totals)
    return _tagged(customers, _bucket(customers.total, "value_", t.tiers()))


def _spend(scope: _Scope, t: SpendThresholds) -> Any:
    rows = scope.tables.transactions
    keep = rows.txn_type.isin(list(t.txn_types)) & (rows.direction == t.direction)
    keep &= rows.occurred_at >= scope.starts(scope.day(t.window_days - 1))
    keep &= rows.occurred_at <= scope.time.instant(scope.time.as_of)
    mine = scope.own(rows.filter(keep.fill_null(False)), fen="amount_fen")
    totals = mine.group_by("one_id").aggregate(total=mine.fen.sum())
    customers = _per_customer(scope, totals)
    return _tagged(customers, _bucket(customers.total, "spend_", t.tiers()))


def _active(scope: _Scope, t: ActivityThresholds, zone: tzinfo) -> Any:
    """Exactly the segment rule ``{"event": {"type": T}, "window": {"last_days": W}, "agg": "distinct_days",
    "op": "ge", "value": N}`` — compiled by the segment compiler — for the customers."""
    rule = {
        "event": {"type": t.event_type},
        "window": {"last_days": t.window_days},
        "agg": "distinct_days",
        "op": "ge",
        "value": t.min_days,
    }
    members = compile_rule(normalise(parse_rule(rule)), scope.tables, scope.time.as_of, zone)
    members = members.semi_join(scope.customers, "one_id")
    return members.select(one_id=members.one_id, tag=ibis.literal(ACTIVE_TAG, type="string"))


def _age(scope: _Scope, t: AgeThresholds) -> Any:
    """Whole years on the evaluation date, as the segment rules' ``age`` attribute reads them."""
    people = scope.customers.filter(scope.customers.birth_date.notnull())
    born, today = people.birth_date, scope.time.today
    not_yet = ((born.month() * 100 + born.day()) > today.month * 100 + today.day).cast("int64")
    years = today.year - born.year().cast("int64") - not_yet
    cases = [(years >= low, name) for name, low in reversed(t.named())]
    return _tagged(people, ibis.cases(*cases, else_=_NO_TAG))


def _lifecycle(scope: _Scope, t: LifecycleThresholds) -> Any:
    """``tag_model.lifecycle_stage`` in Ibis: day counts compared through the business dates they imply."""
    people = scope.customers.left_join(_last_activity(scope, t), "one_id")
    people = people.left_join(_closure(scope), "one_id")
    opened, created, last = people.opened_at, people.created_at, people.last_at

    def tenure_reached(days: int) -> Any:  # the customer opened on or before today − days
        by_created = created < scope.starts(scope.day(days - 1))
        return ibis.cases((opened.notnull(), opened <= scope.day(days)), else_=by_created).fill_null(False)

    def idle_reached(days: int) -> Any:  # no activity since the business date today − days
        by_last = last < scope.starts(scope.day(days - 1))
        return ibis.cases((last.notnull(), by_last), else_=tenure_reached(days)).fill_null(False)

    known = (opened.notnull() | created.notnull()) & tenure_reached(0)
    stage = ibis.cases(
        (people.all_closed.fill_null(False), "lifecycle_churned"),
        (~known, _NO_TAG),
        (~tenure_reached(t.new_days), "lifecycle_new"),
        (idle_reached(t.churned_days), "lifecycle_churned"),
        (idle_reached(t.dormant_days), "lifecycle_dormant"),
        (idle_reached(t.churn_risk_days), "lifecycle_churn_risk"),
        (tenure_reached(t.mature_days), "lifecycle_mature"),
        else_="lifecycle_growing",
    )
    return _tagged(people, stage)


def _last_activity(scope: _Scope, t: LifecycleThresholds) -> Any:
    """Each profile's last activity instant within the last ``churned_days`` business days, up to ``as_of``."""
    since = scope.starts(scope.day(t.churned_days - 1))
    until = scope.time.instant(scope.time.as_of)
    txns = scope.tables.transactions
    counted = (~txns.txn_type.isin(list(t.ignored_txn_types))).fill_null(True)
    txns = txns.filter(counted & (txns.occurred_at >= since) & (txns.occurred_at <= until))
    events = scope.tables.events
    events = events.filter((events.occurred_at >= since) & (events.occurred_at <= until))
    rows = scope.own(txns, at="occurred_at").union(scope.own(events, at="occurred_at"), distinct=False)
    return rows.group_by("one_id").aggregate(last_at=rows.at.max())


def _closure(scope: _Scope) -> Any:
    """Profiles with holdings (opened by today) that are all closed."""
    rows = scope.tables.holdings
    rows = rows.filter((rows.opened_at.isnull() | (rows.opened_at <= scope.time.today)).fill_null(False))
    mine = scope.own(rows, status="status")
    still_open = (mine.status.isnull() | (mine.status != "closed")).cast("int64")
    grouped = mine.group_by("one_id").aggregate(held=mine.count(), still_open=still_open.sum())
    return grouped.select(one_id=grouped.one_id, all_closed=(grouped.held > 0) & (grouped.still_open == 0))
