"""Vectorised draws for the synthetic activity: categorical picks, Poisson grids, rounding, scrambled ids.

Everything works on whole numpy arrays (a million rows at a time); nothing loops per row in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

_ROW_SPACING = 2.0  # each weight row's cumulative shares live in [2·row, 2·row + 1]


class Choice:
    """Categorical draws where every row of the output picks from its own weight row, in one searchsorted.

    The cumulative shares of weight row r are shifted by 2r and laid end to end, so `2r + u` (u uniform in
    [0, 1)) lands inside row r's segment at the category u selects. Zero weights are never picked.
    """

    def __init__(self, weights: Sequence[Sequence[float]] | NDArray[np.float64]) -> None:
        table = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        totals = table.sum(axis=1, keepdims=True)
        if (table < 0).any() or (totals <= 0).any():
            raise ValueError("every weight row needs non-negative weights with a positive sum")
        cumulative = np.cumsum(table, axis=1) / totals
        cumulative[:, -1] = 1.0  # exact, whatever the rounding
        self.rows, self.size = table.shape
        self._flat = (cumulative + _ROW_SPACING * np.arange(self.rows)[:, None]).ravel()

    def draw(self, rng: np.random.Generator, rows: ArrayLike) -> Ints:
        """One category per element of `rows` (each an index of a weight row)."""
        which = np.asarray(rows, dtype=np.int64)
        position = np.searchsorted(self._flat, which * _ROW_SPACING + rng.random(which.shape), side="right")
        picked: Ints = position.astype(np.int64) - which * self.size
        return picked

    def draw_one_row(self, rng: np.random.Generator, count: int) -> Ints:
        """`count` categories from the first weight row."""
        return self.draw(rng, np.zeros(count, dtype=np.int64))


@dataclass(frozen=True, slots=True)
class Cells:
    """Occurrences drawn on a customers × days grid: one entry per occurrence, in row-major cell order."""

    row: Ints  # index into the grid's customers
    col: Ints  # index into the grid's days

    def __len__(self) -> int:
        return len(self.row)


def poisson_cells(rng: np.random.Generator, rates: Floats) -> Cells:
    """Draw a Poisson count for every cell of a 2-D rate grid and list each occurrence once.

    Only cells with a positive rate are drawn: many streams are zero for most customers or days.
    """
    flat = rates.ravel()
    live = np.flatnonzero(flat > 0)
    counts = rng.poisson(flat[live])
    hit = np.flatnonzero(counts)
    cells = np.repeat(live[hit], counts[hit]).astype(np.int64)
    width = rates.shape[1]
    return Cells(row=cells // width, col=cells % width)


def lognormal_fen(rng: np.random.Generator, median_yuan: ArrayLike, sigma: ArrayLike, count: int) -> Ints:
    """Amounts in fen, log-normal around a median in yuan; never below one fen."""
    values = np.asarray(median_yuan, dtype=np.float64) * np.exp(np.asarray(sigma) * rng.standard_normal(count))
    return np.maximum(np.rint(values * 100.0), 1).astype(np.int64)


def round_fen(fen: Ints, step_fen: ArrayLike) -> Ints:
    """Round amounts to a step (100 = whole yuan); at least one step, so every amount stays above zero."""
    step = np.asarray(step_fen, dtype=np.int64)
    return np.maximum(np.rint(fen / step).astype(np.int64), 1) * step


# Scrambling: three invertible steps on 64-bit words (add a key, xor-shift, multiply by an odd constant).
_GOLDEN = 0x9E3779B97F4A7C15
_WORD = 1 << 64
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def scramble(serials: NDArray[Any], key: int) -> NDArray[np.uint64]:
    """A keyed bijection on 64-bit words: distinct serials always give distinct, scattered-looking values."""
    x = serials.astype(np.uint64) + np.uint64(key * _GOLDEN % _WORD)  # Python ints: no scalar overflow
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


_HEX = b"0123456789abcdef"
_HEX_QUADS = np.frombuffer(
    bytes(_HEX[(w >> shift) & 15] for w in range(1 << 16) for shift in (12, 8, 4, 0)), dtype=np.uint8
).reshape(1 << 16, 4)  # the four hex digits of every 16-bit word: 256 KiB, built once


def hex_digits(values: NDArray[np.uint64], prefix: bytes) -> NDArray[np.uint8]:
    """Each value as `prefix` + 16 lower-case hex digits: an (n, len(prefix) + 16) array of ASCII bytes."""
    n = len(values)
    words = values.astype(">u8").view(">u2").reshape(n, 4)
    out = np.empty((n, len(prefix) + 16), dtype=np.uint8)
    out[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    out[:, len(prefix) :] = _HEX_QUADS[words].reshape(n, 16)
    return out
