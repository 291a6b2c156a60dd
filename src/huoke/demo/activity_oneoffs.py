"""One-off transactions: the first movement of a holding opened inside the window (the deposit, the wealth
purchase, the loan disbursal) and a churning customer's last transfer out of most of the balance."""

from __future__ import annotations

import numpy as np

from huoke.demo.activity_book import Slot
from huoke.demo.activity_columns import TxnColumns, txn_channel, txn_type, txns
from huoke.demo.activity_habits import SILVER
from huoke.demo.activity_hours import profile
from huoke.demo.activity_lifecycle import CHURNED, live
from huoke.demo.activity_world import Tile, World


def openings(world: World, tile: Tile) -> TxnColumns:
    """The first movement of a time deposit, wealth product or loan opened inside the window."""
    book = world.book
    parts = [
        _opening(world, tile, book.deposit, "deposit", with_product=False),
        _opening(world, tile, book.wealth, "wealth_purchase", with_product=True),
        _opening(world, tile, book.loan, "loan_disbursal", with_product=True),
    ]
    return TxnColumns.concat(parts)


def _opening(world: World, tile: Tile, slot: Slot, kind: str, *, with_product: bool) -> TxnColumns:
    block = tile.customers
    day = slot.opened[block]
    mine = slot.held[block] & (day >= max(tile.days[0], world.start)) & (day <= tile.days[-1])
    customer, day = block[mine], day[mine]
    keep = live(world.lifecycles, customer, day)
    customer, day = customer[keep], day[keep]
    silver = world.habits.group[customer] == SILVER
    channel = np.where(
        silver | (tile.rng.random(len(customer)) < 0.3), txn_channel("counter"), txn_channel("mobile_app")
    )
    hours = np.where(channel == txn_channel("counter"), profile("counter"), profile("daytime"))
    return txns(
        customer=customer,
        account=slot.row[customer],
        day=day,
        second=world.clock.seconds(tile.rng, hours, world.habits.silver[customer]),
        fen=np.rint(np.maximum(slot.balance[customer], 1_000.0) * 100).astype(np.int64),
        kind=txn_type(kind),
        channel=channel,
        product=slot.product[customer] if with_product else None,
    )


def farewells(world: World, tile: Tile) -> TxnColumns:
    """A churning customer's last act: most of the settlement balance moves to another bank."""
    book, lc = world.book, world.lifecycles
    block = tile.customers
    leaving = (lc.stage[block] == CHURNED) & (lc.stop[block] >= tile.days[0]) & (lc.stop[block] <= tile.days[-1])
    leaving &= lc.stop[block] >= lc.begin[block]
    customer = block[leaving & book.settlement.held[block]]
    day = lc.stop[customer]
    opened = book.settlement.opened[customer] <= day
    customer, day = customer[opened], day[opened]
    share = 0.6 + 0.4 * tile.rng.random(len(customer))
    silver = world.habits.group[customer] == SILVER
    channel = np.where(silver, txn_channel("counter"), txn_channel("mobile_app"))
    return txns(
        customer=customer,
        account=book.settlement.row[customer],
        day=day,
        second=world.clock.seconds(tile.rng, np.where(silver, profile("counter"), profile("app")), silver),
        fen=np.rint(np.maximum(book.settlement.balance[customer] * share, 100.0) * 100).astype(np.int64),
        kind=txn_type("transfer_out"),
        channel=channel,
    )
