"""Vectorised draws: categorical picks honour their weights, ids never collide, amounts stay positive."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.demo.activity_draws import Choice, hex_digits, lognormal_fen, poisson_cells, round_fen, scramble
from huoke.demo.activity_world import plan_tiles


def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def test_each_row_draws_from_its_own_weights_and_never_picks_a_zero_weight() -> None:
    choice = Choice([[1, 0, 3], [0, 5, 0]])
    rows = np.array([0] * 40_000 + [1] * 1_000)
    picked = choice.draw(rng(), rows)
    first, second = picked[:40_000], picked[40_000:]
    assert set(np.unique(first)) == {0, 2}
    assert set(np.unique(second)) == {1}
    assert np.mean(first == 2) == pytest.approx(0.75, abs=0.01)


def test_weights_must_be_usable() -> None:
    with pytest.raises(ValueError, match="positive sum"):
        Choice([[0, 0]])
    with pytest.raises(ValueError, match="non-negative"):
        Choice([[1, -1, 2]])


@given(
    st.lists(st.integers(min_value=0, max_value=2**63 - 1), min_size=1, max_size=200, unique=True),
    st.integers(0, 2**32),
)
def test_scrambled_identifiers_never_collide(serials: list[int], key: int) -> None:
    values = scramble(np.array(serials, dtype=np.uint64), key)
    assert len(set(values.tolist())) == len(serials)


def test_another_key_gives_other_identifiers() -> None:
    serials = np.arange(1_000, dtype=np.int64)
    assert not np.intersect1d(scramble(serials, 1), scramble(serials, 2)).size


@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=1, max_size=50))
def test_hex_digits_spell_the_value(values: list[int]) -> None:
    text = hex_digits(np.array(values, dtype=np.uint64), b"T")
    assert [bytes(row).decode() for row in text] == [f"T{v:016x}" for v in values]


def test_poisson_cells_list_every_occurrence_in_its_cell() -> None:
    rates = np.array([[0.0, 2.0, 0.0], [5.0, 0.0, 0.5]])
    cells = poisson_cells(rng(), np.tile(rates, (2_000, 1)))  # rows alternate between the two patterns
    assert not ((cells.row % 2 == 0) & (cells.col != 1)).any(), "no occurrence where the rate is zero"
    per_row = np.bincount(cells.row % 2, minlength=2) / 2_000
    assert per_row == pytest.approx([2.0, 5.5], rel=0.05)


def test_amounts_are_positive_and_rounded_to_their_step() -> None:
    fen = lognormal_fen(rng(), np.full(10_000, 0.004), 1.0, 10_000)
    assert fen.min() >= 1
    whole = round_fen(np.array([1, 49, 151, 12_345]), 100)
    assert whole.tolist() == [100, 100, 200, 12_300]


@pytest.mark.parametrize(("customers", "days"), [(1, 1), (7, 30), (1_000, 365), (50_000, 3)])
def test_tiles_cover_every_customer_day_once(customers: int, days: int) -> None:
    tiles = plan_tiles(customers, days, rows_per_cell=0.5, chunk_rows=20_000)
    covered = np.zeros((customers, days), dtype=np.int64)
    for t in tiles:
        covered[t.first_customer : t.last_customer, t.first_day : t.last_day] += 1
        assert (t.last_customer - t.first_customer) * (t.last_day - t.first_day) * 0.5 <= 20_000 or (
            t.last_day - t.first_day == 1 and t.last_customer - t.first_customer <= 40_000
        )
    assert (covered == 1).all()
    starts = [t.first_day for t in tiles]
    assert starts == sorted(starts), "chunks run in day order"
