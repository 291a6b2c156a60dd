"""Lifecycle stages of the synthetic customers and how active each stage is on each day of the window.

Stages (PRODUCT.md, lifecycle management):
- new: opened an account inside the window; an onboarding burst in the first month;
- active: steady;
- declining: activity falls steadily to a fraction of its early level (BankChurners, credit-card customers
  who later left: their Q4/Q1 transaction-count ratio has median 0.53, 10th–90th percentile 0.30–0.84);
- dormant: low activity that stops at least 60 days before the window ends (no login, no transaction);
- churned: stops at a day inside the window, after a fading month, with a last transfer out.
Churn follows BankChurners' attrition rate of 16.07% a year (1,627 of 10,127 customers), scaled to the window.
Customers whose settlement accounts are already dormant in the bank's holdings are dormant here too, and a
customer never goes quiet before the latest day one of their holdings was opened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from huoke.demo.activity_draws import Bools, Floats, Ints

NEW, ACTIVE, DECLINING, DORMANT, CHURNED = range(5)
STAGE_NAMES = ("new", "active", "declining", "dormant", "churned")
ANNUAL_ATTRITION = 0.1607  # BankChurners: 1,627 attrited of 10,127 customers
DECLINE_MEDIAN, DECLINE_LOW, DECLINE_HIGH = 0.53, 0.30, 0.84  # BankChurners attrited Q4/Q1 count ratio
DECLINING_SHARE = 0.15
DORMANT_SHARE = 0.12
DORMANT_DAYS = 60  # a dormant customer has done nothing in the last 60 days of the window (at least)
ONBOARDING_DAYS, ONBOARDING_BOOST = 30, 1.6
FADING_DAYS, FADING_LEVEL = 30, 0.6  # the month before churning
DORMANT_LEVEL = 0.35
_MIN_CHURN_LEAD = 14  # churn dates stop two weeks before the window ends, so the silence is visible


@dataclass(frozen=True)
class Lifecycles:
    """Per customer: stage, first and last day with any activity (`stop < begin`: none in the window)."""

    stage: Ints
    begin: Ints
    stop: Ints
    floor: Floats  # declining: the share of the early level left on the last day


def assign_lifecycles(
    rng: np.random.Generator, *, opened: Ints, latest_holding: Ints, dormant_accounts: Bools, start: int, end: int
) -> Lifecycles:
    """Draw each customer's stage for the window [start, end] (day ordinals, inclusive)."""
    stage = _stages(rng, opened, latest_holding, dormant_accounts, start=start, end=end)
    stop = np.full(len(opened), end, dtype=np.int64)
    quiet_before = end - DORMANT_DAYS - 1
    dormant = stage == DORMANT
    went_quiet = quiet_before - (rng.random(int(dormant.sum())) * 180).astype(np.int64)
    stop[dormant] = np.where(dormant_accounts[dormant], min(start - 1, quiet_before), went_quiet)
    churned = stage == CHURNED
    stop[churned] = _churn_days(rng, start, end, int(churned.sum()))
    quiet = dormant | churned
    stop[quiet] = np.maximum(stop[quiet], latest_holding[quiet])  # _stages made sure this is early enough
    floor = np.clip(rng.lognormal(np.log(DECLINE_MEDIAN), 0.35, len(opened)), DECLINE_LOW * 0.5, DECLINE_HIGH)
    return Lifecycles(stage=stage, begin=np.maximum(opened, start), stop=stop, floor=floor)


def _stages(
    rng: np.random.Generator, opened: Ints, latest_holding: Ints, dormant_accounts: Bools, *, start: int, end: int
) -> Ints:
    churn = 1.0 - (1.0 - ANNUAL_ATTRITION) ** ((end - start + 1) / 365.0)
    draw = rng.random(len(opened))
    stage = np.select(
        [draw < churn, draw < churn + DORMANT_SHARE, draw < churn + DORMANT_SHARE + DECLINING_SHARE],
        [CHURNED, DORMANT, DECLINING],
        ACTIVE,
    ).astype(np.int64)
    stage[opened > start] = NEW
    stage[dormant_accounts] = DORMANT
    too_recent = ((stage == DORMANT) & (latest_holding > end - DORMANT_DAYS - 1)) | (
        (stage == CHURNED) & (latest_holding > end - _MIN_CHURN_LEAD)
    )
    stage[too_recent] = np.where(opened[too_recent] > start, NEW, ACTIVE)
    return stage


def _churn_days(rng: np.random.Generator, start: int, end: int, count: int) -> Ints:
    last = max(start, end - _MIN_CHURN_LEAD)
    first = min(start + (end - start) // 5, last)
    return first + (rng.random(count) * (last - first + 1)).astype(np.int64)


def levels(lc: Lifecycles, customers: Ints, days: Ints, *, start: int, end: int) -> Floats:
    """customers × days grid of activity multipliers: 0 outside [begin, stop], else the stage's shape."""
    stage = lc.stage[customers][:, None]
    begin = lc.begin[customers][:, None]
    stop = lc.stop[customers][:, None]
    day = days[None, :]
    level = np.ones((len(customers), len(days)))
    progress = (day - start) / max(end - start, 1)
    declining = 1.0 - (1.0 - lc.floor[customers][:, None]) * progress
    level = np.where(stage == DECLINING, declining, level)
    level = np.where((stage == NEW) & (day < begin + ONBOARDING_DAYS), ONBOARDING_BOOST, level)
    level = np.where(stage == DORMANT, DORMANT_LEVEL, level)
    level = np.where((stage == CHURNED) & (day > stop - FADING_DAYS), FADING_LEVEL, level)
    return np.where((day < begin) | (day > stop), 0.0, level)


def live(lc: Lifecycles, customers: Ints, days: Ints) -> Bools:
    """Whether each (customer, day) pair lies inside the customer's active span (element-wise)."""
    return (days >= lc.begin[customers]) & (days <= lc.stop[customers])
