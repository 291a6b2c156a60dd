"""Lifecycle stages: who goes quiet when, and how active each stage is over the window."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from huoke.demo.activity_draws import Bools, Ints
from huoke.demo.activity_lifecycle import (
    ACTIVE,
    ANNUAL_ATTRITION,
    CHURNED,
    DECLINING,
    DORMANT,
    DORMANT_DAYS,
    NEW,
    Lifecycles,
    assign_lifecycles,
    levels,
)

END = date(2025, 6, 29).toordinal()


def draw(
    days: int, n: int = 4_000, seed: int = 5, dormant_share: float = 0.05
) -> tuple[Lifecycles, Ints, Ints, Bools, int]:
    rng = np.random.default_rng(seed)
    start = END - days + 1
    opened = END - (rng.random(n) * 3 * days).astype(np.int64)
    latest = np.maximum(opened, END - (rng.random(n) * 5 * days).astype(np.int64))
    dormant_accounts = rng.random(n) < dormant_share
    lc = assign_lifecycles(
        rng, opened=opened, latest_holding=latest, dormant_accounts=dormant_accounts, start=start, end=END
    )
    return lc, opened, latest, dormant_accounts, start


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=800), st.integers(min_value=0, max_value=10_000))
def test_stages_keep_their_promises(days: int, seed: int) -> None:
    lc, opened, latest, _dormant, start = draw(days, n=600, seed=seed)
    new = lc.stage == NEW
    assert (opened[new] > start).all()
    assert (lc.begin[new] == opened[new]).all()
    assert (lc.begin == np.maximum(opened, start)).all(), "no activity before the customer joined"
    dormant = lc.stage == DORMANT
    assert (lc.stop[dormant] <= END - DORMANT_DAYS - 1).all(), "dormant: nothing in the last 60 days"
    churned = lc.stage == CHURNED
    assert (lc.stop[churned] >= start).all()
    assert (lc.stop[churned] < END).all()
    quiet = dormant | churned
    assert (lc.stop[quiet] >= latest[quiet]).all(), "nobody goes quiet before their latest holding opened"
    assert (lc.stop[~quiet] == END).all()


def test_churn_follows_the_bankchurners_rate_scaled_to_the_window() -> None:
    lc, *_ = draw(365, n=40_000, dormant_share=0.0)
    established = lc.stage != NEW
    share = np.mean(lc.stage[established] == CHURNED)
    assert 0.6 * ANNUAL_ATTRITION < share < 1.05 * ANNUAL_ATTRITION  # a few are too recent to churn
    short, *_ = draw(30, n=40_000, dormant_share=0.0)
    assert np.mean(short.stage == CHURNED) < share / 4


def test_dormant_accounts_in_the_holdings_make_dormant_customers() -> None:
    lc, _opened, latest, dormant_accounts, start = draw(365)
    flagged = dormant_accounts & (latest <= END - DORMANT_DAYS - 1)
    assert (lc.stage[flagged] == DORMANT).all()
    assert (lc.stop[flagged] < np.maximum(start, latest[flagged] + 1)).all()


def test_levels_follow_the_stage_over_the_window() -> None:
    lc, *_rest, start = draw(365)
    days = np.arange(start, END + 1)
    for stage in (ACTIVE, DECLINING, NEW, DORMANT, CHURNED):
        who = np.flatnonzero(lc.stage == stage)[:50]
        grid = levels(lc, who, days, start=start, end=END)
        outside = (days[None, :] < lc.begin[who][:, None]) | (days[None, :] > lc.stop[who][:, None])
        assert (grid[outside] == 0).all()
        if stage == DECLINING:
            assert (np.diff(grid, axis=1) <= 0).all()
            assert (grid[:, -1] < 0.9).all()
        if stage == ACTIVE:
            assert (grid == 1).all()
