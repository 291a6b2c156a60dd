"""Sampling helpers over one seeded `random.Random` (synthetic data, not security).

The generator draws tens of millions of values, so weighted picks use a precomputed cumulative table and
`bisect` instead of `Random.choices`, which rebuilds its table on every call.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")


class Weighted(Generic[T]):
    """A fixed set of items, each picked with probability proportional to its weight."""

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        items: list[T] = []
        weights: list[float] = []
        for item, weight in pairs:
            items.append(item)
            weights.append(weight)
        if not items or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("Weighted needs at least one item and non-negative weights with a positive sum")
        self._items = tuple(items)
        total = sum(weights)
        # Cumulative probabilities ending in +inf: bisect on random() in [0, 1) always lands on an item.
        self._cumulative = (*(c / total for c in accumulate(weights[:-1])), math.inf)

    def pick(self, rng: Random) -> T:
        return self._items[bisect_right(self._cumulative, rng.random())]


def by_age(brackets: Sequence[tuple[int, V]]) -> tuple[V, ...]:
    """A table indexed by whole years of age, from (oldest age in the bracket, value) pairs in age order."""
    table: list[V] = []
    for oldest, value in brackets:
        table.extend([value] * (oldest + 1 - len(table)))
    return tuple(table)


def days_between(rng: Random, first: int, last: int) -> int:
    """A day ordinal uniformly in [first, last]; `first` when the range is empty."""
    if last <= first:
        return first
    return first + int(rng.random() * (last - first + 1))


def money(value: float) -> str:
    """Yuan with exactly two decimals; negative inputs are clamped to zero (balances are never negative)."""
    return f"{max(value, 0.0):.2f}"
