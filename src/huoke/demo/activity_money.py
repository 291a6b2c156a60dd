"""Money moving in and out: transfers, Spring Festival red packets, cash at the counter and ATMs, wealth
purchases and redemptions, and time-deposit top-ups.

Silver customers use the counter and ATMs for what younger customers do in the app; cash withdrawals rise in
the fortnight before Spring Festival (new notes for 压岁钱) and red packets fly from three days before New
Year's Eve to the seventh day. Wealth trades use the product the customer holds, or for assessed customers
without one a product the bank sells whose risk level (R1–R5) does not exceed theirs (suitability).
"""

from __future__ import annotations

import numpy as np

from huoke.demo.activity_columns import TXN_CHANNELS, TxnColumns, txn_channel, txn_type, txns
from huoke.demo.activity_draws import Bools, Choice, Floats, Ints, lognormal_fen, poisson_cells, round_fen
from huoke.demo.activity_hours import profile
from huoke.demo.activity_spend import MERCHANTS
from huoke.demo.activity_world import Tile, World, settlement_account, settlement_opened, usable

COUNTERPARTIES = ("微信红包", "代发工资", "养老金发放")
RED_PACKET_YUAN = (66, 88, 100, 166, 188, 200, 288, 500, 666, 888, 1_000, 1_888, 2_000)
_RED_PACKET_SIZES = Choice([
    [8, 14, 12, 8, 8, 10, 6, 4, 2, 2, 1, .3, .2],
    [3, 6, 8, 6, 6, 10, 8, 10, 6, 6, 5, 1.5, 1],
    [2, 4, 8, 4, 4, 12, 6, 14, 6, 8, 10, 3, 3],
])  # fmt: skip
_RED_PACKET_OUT = np.array([0.45, 0.7, 0.85])  # share given rather than received, by group
_HOURS_OF_CHANNEL = np.array(
    [profile(p) for p in ("shopping", "online", "app", "counter", "atm", "app", "app", "payroll", "night_batch")]
)
TRADING_HOURS = profile("daytime")


def counterparty(name: str) -> int:
    """Merchant index of a non-card counterparty (after the card merchants)."""
    return len(MERCHANTS) + COUNTERPARTIES.index(name)


def _channels(*groups: dict[str, float]) -> Choice:
    return Choice([[weights.get(ch, 0.0) for ch in TXN_CHANNELS] for weights in groups])


_TRANSFER_CHANNELS = _channels(
    {"mobile_app": 70, "online": 10, "wechat_pay": 20},
    {"mobile_app": 65, "online": 15, "counter": 10, "wechat_pay": 10},
    {"counter": 45, "atm": 20, "mobile_app": 30, "wechat_pay": 5},
)
_CASH_CHANNELS = _channels({"atm": 85, "counter": 15}, {"atm": 85, "counter": 15}, {"counter": 60, "atm": 40})
_WEALTH_CHANNELS = _channels(
    {"mobile_app": 90, "online": 10}, {"mobile_app": 75, "online": 10, "counter": 15}, {"counter": 55, "mobile_app": 45}
)
_DEPOSIT_CHANNELS = _channels(
    {"mobile_app": 70, "counter": 30}, {"mobile_app": 60, "counter": 40}, {"counter": 80, "mobile_app": 20}
)


def _draw(world: World, tile: Tile, rate: Floats, ok: Bools, day_factor: Floats | None = None) -> tuple[Ints, Ints]:
    """(customer, day index into the tile) of each occurrence on the tile's grid."""
    rates = rate[tile.customers][:, None] * tile.level * ok
    if day_factor is not None:
        rates = rates * day_factor[tile.day_index][None, :]
    cells = poisson_cells(tile.rng, rates)
    return tile.customers[cells.row], cells.col


def _settlement_ok(world: World, tile: Tile) -> Bools:
    book = world.book
    block = tile.customers[:, None]
    held = book.settlement.held[block] | book.debit.held[block]
    return held & (settlement_opened(book, block) <= tile.days[None, :])


def _when(world: World, tile: Tile, customer: Ints, channel: Ints, hours: Ints | None = None) -> Ints:
    profiles = _HOURS_OF_CHANNEL[channel] if hours is None else hours
    return world.clock.seconds(tile.rng, profiles, world.habits.silver[customer])


def transfers(world: World, tile: Tile) -> TxnColumns:
    """Everyday transfers out (rent, family, paying friends) and in."""
    rng, habits = tile.rng, world.habits
    customer, col = _draw(world, tile, habits.transfer_rate, _settlement_ok(world, tile))
    out = rng.random(len(customer)) < 0.55
    fen = lognormal_fen(rng, np.where(out, 600.0, 800.0) * habits.spend_level[customer], 1.2, len(customer))
    channel = _TRANSFER_CHANNELS.draw(rng, habits.group[customer])
    return txns(
        customer=customer,
        account=settlement_account(world.book, customer),
        day=tile.days[col],
        second=_when(world, tile, customer, channel),
        fen=fen,
        kind=np.where(out, txn_type("transfer_out"), txn_type("transfer_in")),
        channel=channel,
    )


def red_packets(world: World, tile: Tile) -> TxnColumns:
    """WeChat red packets around Spring Festival, in the lucky amounts people send (88, 666, 888 …)."""
    rng, habits, book = tile.rng, world.habits, world.book
    customer, col = _draw(world, tile, habits.red_packet_rate, _settlement_ok(world, tile), world.calendar.red_packet)
    group = habits.group[customer]
    out = rng.random(len(customer)) < _RED_PACKET_OUT[group]
    yuan = np.array(RED_PACKET_YUAN, dtype=np.int64)[_RED_PACKET_SIZES.draw(rng, group)]
    return txns(
        customer=customer,
        account=settlement_account(book, customer),
        day=tile.days[col],
        second=world.clock.seconds(rng, np.full(len(customer), profile("evening")), habits.silver[customer]),
        fen=yuan * 100,
        kind=np.where(out, txn_type("transfer_out"), txn_type("transfer_in")),
        channel=np.where(rng.random(len(customer)) < 0.85, txn_channel("wechat_pay"), txn_channel("mobile_app")),
        merchant=np.full(len(customer), counterparty("微信红包")),
    )


def cash(world: World, tile: Tile) -> TxnColumns:
    """Withdrawals and deposits at ATMs (whole hundreds, at most 20,000 yuan) and counters."""
    rng, habits = tile.rng, world.habits
    customer, col = _draw(world, tile, habits.cash_rate, _settlement_ok(world, tile), world.calendar.cash)
    n = len(customer)
    withdraw = rng.random(n) < 0.75
    channel = _CASH_CHANNELS.draw(rng, habits.group[customer])
    at_atm = channel == txn_channel("atm")
    median = np.where(withdraw, np.where(at_atm, 800.0, 3_000.0), 2_000.0) * np.where(habits.silver[customer], 1.3, 1)
    fen = np.minimum(round_fen(lognormal_fen(rng, median, 1.0, n), 10_000), np.where(at_atm, 2_000_000, 10**9))
    return txns(
        customer=customer,
        account=settlement_account(world.book, customer),
        day=tile.days[col],
        second=_when(world, tile, customer, channel),
        fen=fen,
        kind=np.where(withdraw, txn_type("withdrawal"), txn_type("deposit")),
        channel=channel,
    )


def wealth_trades(world: World, tile: Tile) -> TxnColumns:
    """Purchases and redemptions: of the held product on its account, else of a suitable product."""
    rng, habits, book = tile.rng, world.habits, world.book
    customer, col = _draw(world, tile, habits.wealth_rate, _settlement_ok(world, tile))
    n = len(customer)
    held = book.wealth.held[customer] & (book.wealth.opened[customer] <= tile.days[col])
    product = np.where(held, book.wealth.product[customer], _suitable(rng, world, customer))
    redeem = held & (rng.random(n) < 0.35)
    balance = book.wealth.balance[customer]
    median = np.where(held, np.maximum(1_000.0, balance * 0.15), 5_000.0) * np.where(habits.silver[customer], 1.5, 1)
    fen = lognormal_fen(rng, median, 0.8, n)
    fen = np.where(redeem, np.rint(np.maximum(balance, 100.0) * (0.1 + 0.5 * rng.random(n)) * 100), fen)
    channel = _WEALTH_CHANNELS.draw(rng, habits.group[customer])
    hours = np.where(channel == txn_channel("counter"), profile("counter"), TRADING_HOURS)
    keep = product >= 0
    columns = txns(
        customer=customer,
        account=np.where(held, book.wealth.row[customer], settlement_account(book, customer)),
        day=tile.days[col],
        second=_when(world, tile, customer, channel, hours),
        fen=round_fen(fen.astype(np.int64), 10_000),
        kind=np.where(redeem, txn_type("wealth_redeem"), txn_type("wealth_purchase")),
        channel=channel,
        product=product,
    )
    return columns.take(np.flatnonzero(keep))


def _suitable(rng: np.random.Generator, world: World, customer: Ints) -> Ints:
    """A wealth product or fund whose risk level does not exceed the customer's (-1 when none does)."""
    book = world.book
    types = np.array(book.product_types)
    sellable = np.isin(types, ("wealth", "fund")) & (book.product_risk > 0)
    options = [np.flatnonzero(sellable & (book.product_risk <= r)) for r in range(6)]
    width = max(1, *(len(o) for o in options))
    table = np.full((6, width), -1, dtype=np.int64)
    for r, found in enumerate(options):
        table[r, : len(found)] = found
    counts = np.array([len(o) for o in options], dtype=np.int64)
    risk = book.risk[customer]
    pick = (rng.random(len(customer)) * counts[risk]).astype(np.int64)
    return np.where(counts[risk] > 0, table[risk, np.minimum(pick, width - 1)], -1)


def deposits(world: World, tile: Tile) -> TxnColumns:
    """Top-ups of time deposits (silver customers save this way far more), in whole thousands."""
    rng, habits, book = tile.rng, world.habits, world.book
    ok = usable(book.deposit, tile.customers[:, None], tile.days[None, :])
    customer, col = _draw(world, tile, habits.deposit_rate, ok)
    n = len(customer)
    median = 50_000.0 * np.where(habits.silver[customer], 1.3, 1.0)
    channel = _DEPOSIT_CHANNELS.draw(rng, habits.group[customer])
    return txns(
        customer=customer,
        account=book.deposit.row[customer],
        day=tile.days[col],
        second=_when(world, tile, customer, channel),
        fen=round_fen(lognormal_fen(rng, median, 0.8, n), 100_000),
        kind=txn_type("deposit"),
        channel=channel,
    )
