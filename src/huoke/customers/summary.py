"""Read-only use case: a portfolio summary by branch, age band and AUM tier (for the demo and operators)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from huoke.customers import model as m
from huoke.customers.store import CustomerRow, HoldingRow, OrgUnitRow
from huoke.platform.runtime import Runtime

# AUM tiers in yuan, lower bounds (configurable thresholds arrive with value-tier tags).
AUM_TIERS: tuple[tuple[str, Decimal], ...] = (
    ("private", Decimal(6_000_000)),
    ("wealthy", Decimal(500_000)),
    ("affluent", Decimal(50_000)),
    ("mass", Decimal(0)),
)
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("75+", 75),
    ("60-74", 60),
    ("45-59", 45),
    ("30-44", 30),
    ("<30", 0),
)


def aum_tier(aum: Decimal) -> str:
    return next(name for name, floor in AUM_TIERS if aum >= floor)


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    return next(name for name, floor in AGE_BANDS if age >= floor)


def portfolio_summary(runtime: Runtime) -> dict[str, Any]:
    """Active customer profiles counted by top-level branch, age band and AUM tier; AUM share of the top 20%."""
    with runtime.uow() as uow:
        today = runtime.clock().now().astimezone(runtime.settings.zone).date()
        session = uow.session
        branches = {
            code: (name, path)
            for code, name, path in session.execute(select(OrgUnitRow.code, OrgUnitRow.name, OrgUnitRow.path))
        }
        people = list(
            session.execute(
                select(CustomerRow.one_id, CustomerRow.branch_code, CustomerRow.birth_date).where(
                    CustomerRow.status == "active", CustomerRow.customer_no.is_not(None)
                )
            )
        )
        aum = dict(
            list(
                session.execute(
                    select(HoldingRow.one_id, func.sum(HoldingRow.balance_fen))
                    .where(HoldingRow.product_type.in_(m.AUM_TYPES), HoldingRow.status != "closed")
                    .group_by(HoldingRow.one_id)
                )
            )
        )
    return _summarise(people, aum, branches, today)


def _summarise(
    people: list[Any], aum_fen: dict[str, int], branches: dict[str, tuple[str, str]], today: date
) -> dict[str, Any]:
    by_branch: Counter[str] = Counter()
    by_age: Counter[str] = Counter()
    by_tier: Counter[str] = Counter()
    for one_id, branch_code, birth in people:
        by_branch[_top_branch(branch_code, branches)] += 1
        by_age[age_band(m.age_on(birth, today) if birth else None)] += 1
        by_tier[aum_tier(Decimal(aum_fen.get(one_id, 0)) / 100)] += 1
    return {
        "customers": len(people),
        "by_branch": dict(by_branch.most_common()),
        "by_age_band": {name: by_age[name] for name, _ in reversed(AGE_BANDS) if by_age[name]}
        | ({"unknown": by_age["unknown"]} if by_age["unknown"] else {}),
        "by_aum_tier": {name: by_tier[name] for name, _ in reversed(AUM_TIERS)},
        "total_aum": f"{Decimal(sum(aum_fen.values())) / 100:.2f}",
        "top20_aum_share": top_share(sorted(aum_fen.values(), reverse=True), len(people)),
    }


def _top_branch(code: str | None, branches: dict[str, tuple[str, str]]) -> str:
    """The branch (second level of the org tree) a sub-branch or team belongs to, by name."""
    if code is None or code not in branches:
        return "(none)"
    parts = [p for p in branches[code][1].split("/") if p]
    branch = parts[1] if len(parts) > 1 else parts[0]
    return branches.get(branch, (branch, ""))[0]


def top_share(balances_desc: list[int], population: int) -> float:
    """Share of total AUM held by the top 20% of customers (customers without AUM count as zero)."""
    total = sum(balances_desc)
    if not total or not population:
        return 0.0
    top = max(1, population // 5)
    return round(sum(balances_desc[:top]) / total, 3)
