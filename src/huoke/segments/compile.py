"""Segment rules compiled to Ibis queries over the lake: the members are exactly the evaluator's matches.

``compile_rule`` turns a core tree into an Ibis table of member ``one_id``s (profiles: ``customers`` rows with
no ``merged_into`` and a status other than ``merged``). Each leaf becomes the set of profiles it holds for;
``and`` / ``or`` / ``not`` become intersection, union and difference against all profiles, so a missing value
behaves as in the evaluator (a test on it is false, its ``not`` true). Rows recorded on an identity unit count
for the profile the unit is merged into. Rows after ``as_of`` never count; business dates are in ``zone``.

Not compiled (raises ``NotCompiled``): rule numbers with more than 10 decimal places or 28 digits before the
point. Holdings' ``opened_at`` is a business date in the lake, so a holding opened on the evaluation day counts
whatever the hour; ``approved_at`` is an instant, so an approval later on the evaluation day than ``as_of``
does not count yet. See ``compile_values`` for how texts are read as numbers and dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

import ibis  # type: ignore[import-untyped]

from huoke.segments import core
from huoke.segments.compile_activity import Activity, aggregate_members, did_not_members
from huoke.segments.compile_json import Dialect
from huoke.segments.compile_tables import Tables
from huoke.segments.compile_values import NotCompiled, date_reader, json_reader, number_reader, passes, text_reader
from huoke.segments.core import Core
from huoke.segments.operators import STANDARD_ATTRIBUTES

__all__ = ["NotCompiled", "Tables", "compile_rule"]


@dataclass(frozen=True)
class _Scope:
    """What every visit needs: the tables, all profiles, the unit → profile map and the evaluation time."""

    tables: Tables
    profiles: Any
    units: Any
    activity: Activity


def compile_rule(rule: Core, tables: Tables, as_of: datetime, zone: tzinfo) -> Any:
    """An Ibis table with one ``one_id`` column: the profiles the rule holds for at the aware instant ``as_of``."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    customers = tables.customers
    live = customers.merged_into.isnull() & (customers.status.isnull() | (customers.status != "merged"))
    profiles = customers.filter(live)
    units = customers.select(unit=customers.one_id, profile=customers.merged_into.fill_null(customers.one_id))
    units = units.semi_join(profiles, units.profile == profiles.one_id)
    activity = Activity(units=units, profiles=profiles.select("one_id"), as_of=as_of, zone=zone)
    return _visit(rule, _Scope(tables, profiles, units, activity)).distinct()


def _visit(node: Core, scope: _Scope) -> Any:
    visit = _VISIT.get(type(node))
    if visit is None:
        raise NotCompiled(f"the query compiler does not handle rule nodes of kind {type(node).__name__}")
    return visit(node, scope)


def _and(node: core.And, scope: _Scope) -> Any:
    parts = [_visit(item, scope) for item in node.items]
    return parts[0].intersect(*parts[1:]) if len(parts) > 1 else parts[0]


def _or(node: core.Or, scope: _Scope) -> Any:
    parts = [_visit(item, scope) for item in node.items]
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def _not(node: core.Not, scope: _Scope) -> Any:
    return scope.profiles.select("one_id").difference(_visit(node.item, scope))


def _where(scope: _Scope, condition: Any) -> Any:
    return scope.profiles.filter(condition.fill_null(False)).select("one_id")


def _attr(node: core.AttrTest, scope: _Scope) -> Any:
    today = scope.activity.today
    reader = _attribute(node.attr, scope.profiles, today, scope.tables.dialect)
    return _where(scope, passes(node.test, reader, today))


def _attribute(name: str, profiles: Any, today: date, dialect: Dialect) -> Any:
    kind = STANDARD_ATTRIBUTES.get(name)
    if name == "age":
        born = profiles.birth_date
        not_yet = ibis.cases(((born.month() * 100 + born.day()) > today.month * 100 + today.day, 1), else_=0)
        return number_reader((today.year - born.year() - not_yet).cast("int64"))
    if kind == "date":
        return date_reader(profiles[name])
    if kind == "text":
        return text_reader(profiles[name], dialect)
    return json_reader(profiles.attributes, name, dialect)


def _in_org(node: core.InOrg, scope: _Scope) -> Any:
    units = scope.tables.org_units
    below = units.filter(units.path.split("/").contains(node.code)).select("code")
    branch = scope.profiles.branch_code
    return _where(scope, (branch == node.code) | branch.isin(below.code))


def _membership(table: Any, column: str, name: str, scope: _Scope) -> Any:
    rows = table.filter(table[column] == name)
    units = scope.units
    owners = rows.join(units, rows.one_id == units.unit).select(one_id=units.profile)
    return owners.distinct()


def _holding(node: core.HoldingAgg, scope: _Scope) -> Any:
    match = node.match
    rows = scope.tables.holdings
    today = scope.activity.today
    keep = rows.opened_at.isnull() | (rows.opened_at <= today)
    for column in ("product_type", "product_code", "card_level", "card_role", "status"):
        allowed = getattr(match, column)
        if allowed is not None:
            keep &= rows[column].isin(list(allowed)).fill_null(False)
    if match.opened_within_days is not None:
        first = date.fromordinal(today.toordinal() - match.opened_within_days + 1)
        keep &= rows.opened_at.between(first, today).fill_null(False)
    if match.approved_within_days is not None:  # an instant: from the first day's start up to as_of
        since = scope.activity.start_of(date.fromordinal(today.toordinal() - match.approved_within_days + 1))
        approved, instant = rows.approved_at, scope.activity.instant
        keep &= ((approved >= instant(since)) & (approved <= instant(scope.activity.as_of))).fill_null(False)
    units = scope.units
    kept = rows.filter(keep)
    value = kept.balance_fen.fill_null(0) if node.agg == "sum_balance" else ibis.literal(1, type="int64")
    mine = kept.join(units, kept.one_id == units.unit).select(one_id=units.profile, value=value)
    totals = mine.group_by("one_id").aggregate(total=mine.value.sum())
    both = scope.profiles.select("one_id").left_join(totals, "one_id")
    total = both.total.fill_null(0).cast("int64")
    return both.filter(passes(node.test, number_reader(total), today).fill_null(False)).select("one_id")


_VISIT: dict[type[Any], Callable[[Any, _Scope], Any]] = {
    core.And: _and,
    core.Or: _or,
    core.Not: _not,
    core.AttrTest: _attr,
    core.InOrg: _in_org,
    core.HasTag: lambda node, scope: _membership(scope.tables.tags, "tag", node.name, scope),
    core.InSegment: lambda node, scope: _membership(scope.tables.memberships, "segment", node.name, scope),
    core.HoldingAgg: _holding,
    core.TxnAgg: lambda node, scope: aggregate_members(node, scope.tables, scope.activity),
    core.EventAgg: lambda node, scope: aggregate_members(node, scope.tables, scope.activity),
    core.DidNot: lambda node, scope: did_not_members(node, scope.tables, scope.activity),
}
