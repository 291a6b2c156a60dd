"""What every activity stream reads: the bank, its customers' habits and lifecycles, the calendar, and the tile.

A tile is a block of customers × a window of days; streams draw all its rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from huoke.demo.activity_book import Book, Slot
from huoke.demo.activity_calendar import DayTable
from huoke.demo.activity_draws import Bools, Floats, Ints
from huoke.demo.activity_habits import Habits
from huoke.demo.activity_hours import DayClock
from huoke.demo.activity_lifecycle import Lifecycles


@dataclass(frozen=True)
class World:
    book: Book
    habits: Habits
    lifecycles: Lifecycles
    calendar: DayTable
    clock: DayClock
    start: int  # first day of the window (ordinal)
    end: int  # last day of the window (ordinal)


@dataclass(frozen=True)
class Tile:
    rng: np.random.Generator
    customers: Ints  # customer indices of the block
    days: Ints  # day ordinals of the window
    day_index: Ints  # the same days as indices into the world's calendar
    level: Floats  # customers × days lifecycle level (0 = no activity)


def usable(slot: Slot, customers: Ints, days: Ints) -> Bools:
    """Whether each (customer, day) may use the slot's account: held, and opened on or before the day."""
    return slot.held[customers] & (slot.opened[customers] <= days)


def settlement_account(book: Book, customers: Ints) -> Ints:
    """The account money moves through: the demand deposit, else the debit card (-1 when neither)."""
    return np.where(book.settlement.held[customers], book.settlement.row[customers], book.debit.row[customers])


def settlement_opened(book: Book, customers: Ints) -> Ints:
    return np.where(book.settlement.held[customers], book.settlement.opened[customers], book.debit.opened[customers])


@dataclass(frozen=True, slots=True)
class TilePlan:
    """Customers [first_customer, last_customer) × the window's days [first_day, last_day) (offsets)."""

    first_customer: int
    last_customer: int
    first_day: int
    last_day: int


def plan_tiles(customers: int, days: int, *, rows_per_cell: float, chunk_rows: int) -> list[TilePlan]:
    """Cut the customers × days grid into tiles of about `chunk_rows` expected rows, day windows outermost.

    Day windows run in time order, so consecutive chunks cover consecutive days; when one day of all
    customers is more than a chunk, each day is split into blocks of customers.
    """
    cells = max(1, int(chunk_rows / max(rows_per_cell, 1e-6)))
    window = max(1, min(days, cells // max(customers, 1)))
    block = customers if window > 1 or customers <= cells else cells
    return [
        TilePlan(first, min(first + block, customers), day, min(day + window, days))
        for day in range(0, days, window)
        for first in range(0, customers, block)
    ]
