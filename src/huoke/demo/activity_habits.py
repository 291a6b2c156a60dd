"""Each customer's habits: how often they pay by card, move money, use cash, invest and open the app.

Rates are per active day and log-normal across customers. The spread of card activity follows BankChurners,
where the yearly transaction counts of credit-card customers have a log standard deviation of 0.41; the
synthetic book mixes card holders with savers, so it uses 0.6. Silver customers (60+) pay by card less, use
the counter and ATMs far more, open the app less, and put more into time deposits and wealth products.
Payroll arrives on a fixed day of the month per employer; pensions on a fixed day per account (the PKDD'99
Berka bank data shows every old-age pension of an account on the same day of each month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from huoke.demo.activity_book import RETIRED, SALARIED, STUDENT, Book
from huoke.demo.activity_draws import Bools, Choice, Floats, Ints

YOUNG, MIDDLE, SILVER = range(3)
SILVER_AGE, YOUNG_BELOW = 60, 35
APP, WECHAT, MINI_PROGRAM, WEB = range(4)
EVENT_CHANNELS = ("app", "wechat", "mini_program", "web")
_SPEND_MEDIAN = np.array([0.55, 0.45, 0.18])  # card payments per active day, by group
_SPEND_SIGMA = 0.6
_TRANSFER_MEDIAN = np.array([0.07, 0.06, 0.03])
_CASH_MEDIAN = np.array([0.006, 0.015, 0.05])
_RED_PACKET = np.array([0.5, 0.45, 0.3])  # per red-packet day, scaled by the calendar
_APP_SESSIONS = np.array([0.15, 0.12, 0.05])  # app sessions per active day for app users
_EXTRA_EVENTS = np.array([4.0, 3.0, 1.5])  # events in a session after opening and logging in
_PAYDAYS = Choice([[15, 25, 20, 10, 15, 15]])
PAYDAY_OPTIONS = np.array([5, 10, 15, 20, 25, 31])  # 31 = the last day of the month
_PENSION_DAYS = np.array([5, 8, 10, 15, 20])
_PLAN_AMOUNTS = np.array([200, 300, 500, 1_000, 2_000])
PAYROLL_ELSEWHERE_SHARE = 0.35  # of salaried customers without a payroll account, paid into this bank anyway


@dataclass(frozen=True)
class Habits:
    group: Ints
    silver: Bools
    spend_rate: Floats
    spend_level: Floats  # multiplier on amounts
    credit_share: Floats  # of card payments made with the credit card when the customer holds both
    transfer_rate: Floats
    cash_rate: Floats
    wealth_rate: Floats
    deposit_rate: Floats
    red_packet_rate: Floats
    payday: Ints  # day of month, 0 = no salary here
    salary_fen: Ints
    pension_day: Ints  # 0 = no pension here
    pension_fen: Ints
    plan_day: Ints  # monthly fund investment plan (基金定投), 0 = none
    plan_fen: Ints
    sms_fee: Bools
    app_rate: Floats  # digital sessions per active day
    channel: Ints  # the customer's digital channel
    extra_events: Floats


def draw_habits(rng: np.random.Generator, book: Book) -> Habits:
    """One set of habits per customer of the book."""
    n = book.size
    group = np.where(
        book.age >= SILVER_AGE, SILVER, np.where((book.age >= 0) & (book.age < YOUNG_BELOW), YOUNG, MIDDLE)
    )
    student = book.occupation == STUDENT
    has_card = book.debit.held | book.credit.held
    spend = _SPEND_MEDIAN[group] * rng.lognormal(0.0, _SPEND_SIGMA, n) * np.where(student, 0.7, 1.0)
    level = rng.lognormal(0.0, 0.3, n) * np.where(book.settlement.balance > 100_000, 1.25, 1.0)
    payday, salary = _payroll(rng, book, group)
    pension = (book.occupation == RETIRED) & (book.settlement.held | book.debit.held)
    planned = book.wealth.held & (rng.random(n) < 0.35) & _is_fund(book)
    channel, app_rate = _digital(rng, book, group)
    return Habits(
        group=group,
        silver=group == SILVER,
        spend_rate=np.where(has_card, spend, 0.0),
        spend_level=level * np.where(student, 0.6, 1.0),
        credit_share=rng.beta(4.0, 2.0, n),
        transfer_rate=_TRANSFER_MEDIAN[group] * rng.lognormal(0.0, 0.7, n),
        cash_rate=_CASH_MEDIAN[group] * rng.lognormal(0.0, 0.6, n),
        wealth_rate=_wealth_rate(rng, book),
        deposit_rate=np.where(book.deposit.held, np.where(group == SILVER, 0.006, 0.002), 0.0),
        red_packet_rate=_RED_PACKET[group] * rng.lognormal(0.0, 0.5, n),
        payday=payday,
        salary_fen=salary,
        pension_day=np.where(pension, _PENSION_DAYS[(rng.random(n) * len(_PENSION_DAYS)).astype(np.int64)], 0),
        pension_fen=np.rint(rng.lognormal(np.log(3_300.0), 0.35, n)).astype(np.int64) * 100,
        plan_day=np.where(planned, 1 + (rng.random(n) * 28).astype(np.int64), 0),
        plan_fen=_PLAN_AMOUNTS[(rng.random(n) * len(_PLAN_AMOUNTS)).astype(np.int64)] * 100,
        sms_fee=book.settlement.held & (rng.random(n) < 0.25),
        app_rate=app_rate,
        channel=channel,
        extra_events=_EXTRA_EVENTS[group],
    )


def _payroll(rng: np.random.Generator, book: Book, group: Ints) -> tuple[Ints, Ints]:
    """Pay day and monthly take-home pay (median 7,000 yuan) of customers paid into this bank."""
    n = book.size
    payroll_account = book.settlement.held & (book.settlement.product == _payroll_product(book))
    paid_here = payroll_account | ((book.settlement.held | book.debit.held) & (rng.random(n) < PAYROLL_ELSEWHERE_SHARE))
    salaried = (book.occupation == SALARIED) & (group != SILVER) & paid_here
    day = PAYDAY_OPTIONS[_PAYDAYS.draw_one_row(rng, n)]
    pay = rng.lognormal(np.log(7_000.0), 0.45, n) * np.where(group == YOUNG, 0.85, 1.1)
    return np.where(salaried, day, 0), np.rint(pay).astype(np.int64) * 100


def _payroll_product(book: Book) -> int:
    codes = book.product_codes.to_pylist()
    return codes.index("DD-PAYROLL") if "DD-PAYROLL" in codes else -2


def _is_fund(book: Book) -> Bools:
    types = np.array([*book.product_types, ""])
    fund: Bools = types[book.wealth.product] == "fund"
    return fund


def _wealth_rate(rng: np.random.Generator, book: Book) -> Floats:
    """Trades per active day: holders about monthly, assessed customers without a product now and then."""
    n = book.size
    holder = 0.03 * rng.lognormal(0.0, 0.5, n)
    return np.where(book.wealth.held, holder, np.where(book.risk > 0, 0.003, 0.0))


def _digital(rng: np.random.Generator, book: Book, group: Ints) -> tuple[Ints, Floats]:
    """Main digital channel and session rate: app users by age, else WeChat, else now and then the web."""
    n = book.size
    app_share = np.select([book.age < 30, book.age < 45, book.age < 60, book.age < 75], [0.88, 0.82, 0.62, 0.40], 0.12)
    draw = rng.random(n)
    app = draw < app_share
    wechat = ~app & book.wechat
    channel = np.where(app, APP, np.where(wechat, np.where(rng.random(n) < 0.7, MINI_PROGRAM, WECHAT), WEB))
    base = np.where(app, _APP_SESSIONS[group], np.where(wechat, 0.08, np.where(rng.random(n) < 0.2, 0.03, 0.0)))
    return channel, base * rng.lognormal(0.0, 1.0, n)
