"""Transactions that follow the calendar rather than chance: payroll, pensions, loan instalments, quarterly
interest, SMS alert fees and fund investment plans.

Payroll moves to the previous workday when its day falls on a weekend or holiday, and the pay run before
Spring Festival carries the year-end bonus (年终奖). Demand-deposit interest is settled quarterly on the 20th
of March, June, September and December and credited on the 21st, as Chinese banks do.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import date

import numpy as np

from huoke.demo.activity_book import Slot
from huoke.demo.activity_columns import TxnColumns, txn_channel, txn_type, txns
from huoke.demo.activity_draws import Bools, Ints
from huoke.demo.activity_hours import profile
from huoke.demo.activity_lifecycle import live
from huoke.demo.activity_money import counterparty
from huoke.demo.activity_world import Tile, World, settlement_account, settlement_opened

BONUS_DAYS = 30  # a pay run this close before the festival eve carries the year-end bonus
BONUS_SHARE = 0.7
INTEREST_MONTHS, INTEREST_DAY = (3, 6, 9, 12), 21
DEMAND_RATE = 0.0015  # yearly demand-deposit rate
SMS_FEE_FEN = 200  # 2 yuan a month for SMS transaction alerts
_INSTALMENT = {"mortgage": 0.0065, "loan": 0.045}  # monthly payment as a share of the outstanding balance


def _on_days(
    world: World, tile: Tile, day_of_month: Ints, *, shift: bool, months: tuple[int, ...] = ()
) -> tuple[Ints, Ints]:
    """(customer, day ordinal) for each monthly date of the tile's customers that falls inside the tile."""
    cal = world.calendar
    block = tile.customers[day_of_month[tile.customers] > 0]
    seen = np.unique(cal.month[tile.day_index])
    found_customers, found_days = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for month in (*seen, seen[-1] + 1):  # next month's date may move back into this tile
        year, index = divmod(int(month), 12)
        if months and index + 1 not in months:
            continue
        length = gregorian.monthrange(year, index + 1)[1]
        day = date(year, index + 1, 1).toordinal() - 1 + np.minimum(day_of_month[block], length)
        day = cal.previous_workday(day) if shift else day
        inside = (day >= tile.days[0]) & (day <= tile.days[-1])
        found_customers.append(block[inside])
        found_days.append(day[inside])
    customer, day = np.concatenate(found_customers), np.concatenate(found_days)
    keep = live(world.lifecycles, customer, day)
    return customer[keep], day[keep]


def _seconds(world: World, tile: Tile, customer: Ints, name: str) -> Ints:
    return world.clock.seconds(tile.rng, np.full(len(customer), profile(name)), world.habits.silver[customer])


def _opened_by(slot: Slot, customer: Ints, day: Ints) -> Bools:
    return slot.held[customer] & (slot.opened[customer] < day)


def payroll(world: World, tile: Tile) -> TxnColumns:
    """Monthly salary into the settlement account, with the year-end bonus before Spring Festival."""
    habits, rng, cal = world.habits, tile.rng, world.calendar
    customer, day = _on_days(world, tile, habits.payday, shift=True)
    keep = settlement_opened(world.book, customer) <= day
    customer, day = customer[keep], day[keep]
    n = len(customer)
    to_eve = cal.festival_eve[cal.index(day)] - day
    bonus = (to_eve > 0) & (to_eve <= BONUS_DAYS) & (rng.random(n) < BONUS_SHARE)
    factor = 1.0 + 0.03 * rng.standard_normal(n) + np.where(bonus, rng.lognormal(0.0, 0.5, n), 0.0)
    return txns(
        customer=customer,
        account=settlement_account(world.book, customer),
        day=day,
        second=_seconds(world, tile, customer, "payroll"),
        fen=np.maximum(np.rint(habits.salary_fen[customer] * factor), 100).astype(np.int64),
        kind=txn_type("salary"),
        channel=txn_channel("batch"),
        merchant=np.full(n, counterparty("代发工资")),
    )


def pensions(world: World, tile: Tile) -> TxnColumns:
    """Monthly pensions on a fixed day, onto the social-security card where the customer has one."""
    book = world.book
    customer, day = _on_days(world, tile, world.habits.pension_day, shift=False)
    on_card = book.social_card[customer] & book.debit.held[customer]
    opened = np.where(on_card, book.debit.opened[customer], settlement_opened(book, customer))
    keep = opened <= day
    customer, day, on_card = customer[keep], day[keep], on_card[keep]
    return txns(
        customer=customer,
        account=np.where(on_card, book.debit.row[customer], settlement_account(book, customer)),
        day=day,
        second=_seconds(world, tile, customer, "pension"),
        fen=world.habits.pension_fen[customer],
        kind=txn_type("salary"),
        channel=txn_channel("batch"),
        merchant=np.full(len(customer), counterparty("养老金发放")),
    )


def instalments(world: World, tile: Tile) -> TxnColumns:
    """Monthly loan and mortgage repayments by auto-debit on the day of the month the loan was opened."""
    book = world.book
    loan_day = np.where(book.loan.held, (book.loan.opened - 1) % 28 + 1, 0)  # a stable day 1–28 per loan
    customer, day = _on_days(world, tile, loan_day, shift=False)
    keep = _opened_by(book.loan, customer, day)
    customer, day = customer[keep], day[keep]
    product = book.loan.product[customer]
    mortgage = np.array([t == "mortgage" for t in book.product_types])[product]
    share = np.where(mortgage, _INSTALMENT["mortgage"], _INSTALMENT["loan"])
    fen = np.maximum(np.rint(book.loan.balance[customer] * share * 100), 10_000).astype(np.int64)
    return txns(
        customer=customer,
        account=book.loan.row[customer],
        day=day,
        second=_seconds(world, tile, customer, "night_batch"),
        fen=fen,
        kind=txn_type("loan_repayment"),
        channel=txn_channel("system"),
        product=product,
    )


def interest(world: World, tile: Tile) -> TxnColumns:
    """Quarterly demand-deposit interest on the 21st of March, June, September and December."""
    book = world.book
    quarterly = np.where(book.settlement.held, INTEREST_DAY, 0)
    customer, day = _on_days(world, tile, quarterly, shift=False, months=INTEREST_MONTHS)
    fen = np.floor(book.settlement.balance[customer] * 100 * DEMAND_RATE / 4).astype(np.int64)
    keep = _opened_by(book.settlement, customer, day) & (fen > 0)
    customer = customer[keep]
    return txns(
        customer=customer,
        account=book.settlement.row[customer],
        day=day[keep],
        second=_seconds(world, tile, customer, "night_batch"),
        fen=fen[keep],
        kind=txn_type("interest"),
        channel=txn_channel("system"),
    )


def sms_fees(world: World, tile: Tile) -> TxnColumns:
    """2 yuan on the first of each month for customers who subscribe to SMS transaction alerts."""
    book = world.book
    customer, day = _on_days(world, tile, np.where(world.habits.sms_fee, 1, 0), shift=False)
    keep = _opened_by(book.settlement, customer, day)
    customer = customer[keep]
    return txns(
        customer=customer,
        account=book.settlement.row[customer],
        day=day[keep],
        second=_seconds(world, tile, customer, "night_batch"),
        fen=np.full(len(customer), SMS_FEE_FEN),
        kind=txn_type("fee"),
        channel=txn_channel("system"),
    )


def fund_plans(world: World, tile: Tile) -> TxnColumns:
    """Monthly fund investment plans (基金定投) on a fixed workday."""
    book, habits = world.book, world.habits
    customer, day = _on_days(world, tile, habits.plan_day, shift=True)
    keep = _opened_by(book.wealth, customer, day)
    customer = customer[keep]
    return txns(
        customer=customer,
        account=book.wealth.row[customer],
        day=day[keep],
        second=_seconds(world, tile, customer, "payroll"),
        fen=habits.plan_fen[customer],
        kind=txn_type("wealth_purchase"),
        channel=txn_channel("system"),
        product=book.wealth.product[customer],
    )
