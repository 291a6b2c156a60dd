"""Synthetic activity looks like a city commercial bank's book: lifecycles, festivals, weekly and daily rhythm,
silver customers' habits, payroll and log-normal amounts, checked statistically on one seeded run."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta

import duckdb
import pytest

from huoke.demo.activity import ActivityFiles, generate_activity
from huoke.demo.activity_spend import CATEGORIES
from huoke.demo.generator import GeneratedBank, generate_bank

AS_OF = date(2025, 6, 30)
END = AS_OF - timedelta(days=1)
DAYS = 400  # 2024-05-26 … 2025-06-29: Double 11, golden week and Spring Festival 2025 (29 January)
EVE = date(2025, 1, 28)
SEED = 20250630


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBank:
    return generate_bank(tmp_path_factory.mktemp("bank"), customers=1_500, seed=SEED, as_of=AS_OF)


@pytest.fixture(scope="module")
def activity(bank: GeneratedBank, tmp_path_factory: pytest.TempPathFactory) -> ActivityFiles:
    return generate_activity(bank, days=DAYS, end=END, seed=SEED, out_dir=tmp_path_factory.mktemp("activity"))


@pytest.fixture(scope="module")
def db(bank: GeneratedBank, activity: ActivityFiles) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for kind in ("transactions", "events"):
        con.read_parquet(str(activity.files[kind] / "*.parquet")).create_view(f"raw_{kind}")
    con.read_parquet(str(activity.files["lifecycle"])).create_view("l")
    con.read_csv(str(bank.files["customers"]), all_varchar=True).create_view("customers")
    for table, raw in (("t", "raw_transactions"), ("e", "raw_events")):
        local = con.table(raw).project("*, timezone('Asia/Shanghai', occurred_at) as local_time")
        local.project(
            "* exclude (local_time), local_time::date as d, hour(local_time) as h, isodow(local_time) as dow"
        ).create_view(table)
    yield con
    con.close()


def one(db: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple[float, ...]:
    row = db.execute(sql, list(params)).fetchone()
    assert row is not None
    return tuple(float(v) for v in row)


def test_every_lifecycle_stage_is_present_with_silver_customers_among_them(db: duckdb.DuckDBPyConnection) -> None:
    stages = dict(db.execute("select stage, count(*) from l group by 1").fetchall())
    assert set(stages) == {"new", "active", "declining", "dormant", "churned"}
    assert min(stages.values()) >= 40
    silver = one(db, "select avg(silver::int) from l")[0]
    assert 0.25 < silver < 0.42  # about a third of a city commercial bank's retail customers
    births = db.execute("select birth_date::date, silver from l join customers using (customer_no)").fetchall()
    for born, is_silver in births:
        age = END.year - born.year - ((END.month, END.day) < (born.month, born.day))
        assert is_silver == (age >= 60), (born, is_silver)


def test_dormant_customers_do_nothing_in_their_last_60_days(db: duckdb.DuckDBPyConnection) -> None:
    recent = END - timedelta(days=59)
    for sql in (
        "select count(*) from t join l using (customer_no) where l.stage = 'dormant' and d >= ?",
        "select count(*) from e join l using (customer_no) where l.stage = 'dormant' and d >= ?",
    ):
        assert one(db, sql, recent)[0] == 0


def test_churned_customers_stop_on_their_day_after_moving_money_out(db: duckdb.DuckDBPyConnection) -> None:
    for after in (
        "select count(*) from t join l using (customer_no) where stage = 'churned' and d > last_active_day",
        "select count(*) from e join l using (customer_no) where stage = 'churned' and d > last_active_day",
    ):
        assert one(db, after)[0] == 0
    last_acts = db.execute(
        "select txn_type, count(*) from t join l using (customer_no) where stage = 'churned' "
        "and d = last_active_day and amount >= 100 group by 1"
    ).fetchall()
    assert dict(last_acts).get("transfer_out", 0) >= 0.5 * one(db, "select count(*) from l where stage = 'churned'")[0]


def test_new_customers_start_when_they_join_with_a_burst_of_app_use(db: duckdb.DuckDBPyConnection) -> None:
    early = one(db, "select count(*) from e join customers c using (customer_no) where d < c.opened_at::date")[0]
    assert early == 0
    burst = one(
        db,
        "select avg(case when d < first_active_day + 30 then 1.0 else 0 end) * (max(d) - min(d) + 1) / 30 "
        "from e join l using (customer_no) where stage = 'new' and first_active_day < ?::date - 120",
        END,
    )[0]
    assert burst > 1.2, "the first month after joining is busier than an average month"


def test_declining_customers_do_less_at_the_end_than_at_the_start(db: duckdb.DuckDBPyConnection) -> None:
    sql = (
        "select sum((d >= ?::date - 89)::int) / sum((d < ?::date + 90)::int) from t join l using (customer_no) "
        "where stage = ? and txn_type = 'card_spend'"
    )
    start = END - timedelta(days=DAYS - 1)
    declining = one(db, sql, END, start, "declining")[0]
    active = one(db, sql, END, start, "active")[0]
    assert declining < 0.75
    assert active > 0.85


def test_spend_jumps_in_the_fortnight_before_spring_festival(db: duckdb.DuckDBPyConnection) -> None:
    fortnight = "select sum(amount) from t where txn_type = 'card_spend' and d between ? and ?"
    before = one(db, fortnight, EVE - timedelta(days=14), EVE - timedelta(days=1))[0]
    ordinary = [
        one(db, fortnight, first, first + timedelta(days=13))[0]
        for first in (date(2024, 7, 1), date(2024, 8, 5), date(2024, 12, 2), date(2025, 4, 7), date(2025, 5, 12))
    ]
    assert before > 1.8 * max(ordinary)


def test_red_packets_fly_around_the_eve(db: duckdb.DuckDBPyConnection) -> None:
    days = dict(db.execute("select d, count(*) from t where merchant = '微信红包' group by 1").fetchall())
    assert min(days) >= EVE - timedelta(days=3)
    assert max(days) <= EVE + timedelta(days=7)
    assert max(days, key=lambda d: days[d]) == EVE
    amounts = {
        row[0] for row in db.execute("select distinct amount::int from t where merchant = '微信红包'").fetchall()
    }
    assert {88, 666, 888} <= amounts


def test_double_11_spikes_online_shopping(db: duckdb.DuckDBPyConnection) -> None:
    per_day = dict(db.execute("select d, count(*) from t where mcc = '5399' and month(d) = 11 group by 1").fetchall())
    others = [n for d, n in per_day.items() if d.day != 11]
    assert per_day[date(2024, 11, 11)] > 3 * sum(others) / len(others)


def test_weekends_bring_leisure_and_weekdays_commuting(db: duckdb.DuckDBPyConnection) -> None:
    sql = (
        "select avg((mcc in ('5812', '7832', '5311', '5651'))::int), avg((mcc = '4111')::int) from t "
        "where txn_type = 'card_spend' and dow {} 6 and d not between ? and ? and month(d) != 10"
    )
    window = (EVE - timedelta(days=20), EVE + timedelta(days=10))
    weekday_leisure, weekday_commute = one(db, sql.format("<"), *window)
    weekend_leisure, weekend_commute = one(db, sql.format(">="), *window)
    assert weekend_leisure > 1.3 * weekday_leisure
    assert weekday_commute > 2 * weekend_commute


def test_the_day_follows_shanghai_hours(db: duckdb.DuckDBPyConnection) -> None:
    counters = one(db, "select count(*), sum((h < 9 or h >= 17)::int) from t where channel = 'counter'")
    assert counters[0] > 0
    assert counters[1] == 0, "counters serve 09:00-17:00 local time"
    night = one(db, "select avg((h < 6)::int) from t where txn_type = 'card_spend'")[0]
    assert night < 0.04
    lunch, afternoon = one(
        db, "select sum((h between 11 and 12)::int), sum((h between 15 and 16)::int) from t where mcc = '5812'"
    )
    assert lunch > 2 * afternoon


def test_silver_customers_have_their_own_habits(db: duckdb.DuckDBPyConnection) -> None:
    by_age = {
        silver: (counter_atm, night)
        for silver, counter_atm, night in db.execute(
            "select silver, avg((channel in ('counter', 'atm'))::int), avg((h >= 20 or h < 6)::int) "
            "from t join l using (customer_no) group by 1"
        ).fetchall()
    }
    assert by_age[True][0] > 3 * by_age[False][0], "silver customers use the counter and ATMs"
    assert by_age[True][1] < 0.5 * by_age[False][1], "…in the daytime"
    events = dict(
        db.execute(
            "select silver, count(e.event_id) / count(distinct l.customer_no) from l "
            "left join e using (customer_no) where l.stage = 'active' group by 1"
        ).fetchall()
    )
    assert events[True] < 0.5 * events[False], "fewer app events"
    savers = dict(
        db.execute(
            "select silver, avg(coalesce(saved, 0)) from l left join (select customer_no, sum(amount) saved from t "
            "where txn_type in ('deposit', 'wealth_purchase') and channel != 'atm' group by 1) using (customer_no) "
            "group by 1"
        ).fetchall()
    )
    assert savers[True] > 1.3 * savers[False], "more into time deposits and wealth products"


def test_payroll_arrives_monthly_on_workdays_around_a_fixed_day(db: duckdb.DuckDBPyConnection) -> None:
    assert one(db, "select count(*) from t where merchant = '代发工资' and dow >= 6")[0] == 0
    gaps = db.execute(
        "select customer_no, min(gap), max(gap), count(*), max(day(d)) - min(day(d)) from ("
        "select customer_no, d, d - lag(d) over (partition by customer_no order by d) as gap "
        "from t where merchant = '代发工资') where gap is not null group by 1"
    ).fetchall()
    assert len(gaps) > 50
    assert all(shortest >= 18 and longest <= 45 for _, shortest, longest, _, _ in gaps), "one pay run a month"
    steady = [spread <= 3 for _, _, _, runs, spread in gaps if runs >= 6]
    assert sum(steady) / len(steady) > 0.6, "mostly on the same day of the month"
    bonus = one(
        db,
        "select avg(case when d between ? and ? then amount end) / avg(case when month(d) in (4, 5) then amount end) "
        "from t where merchant = '代发工资'",
        EVE - timedelta(days=30),
        EVE - timedelta(days=1),
    )[0]
    assert bonus > 1.4, "the pay run before Spring Festival carries the year-end bonus"


def test_card_amounts_are_log_normal_per_category(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute(
        "select mcc, merchant, count(*), median(ln(amount)), skewness(ln(amount)) from t "
        "where txn_type = 'card_spend' and d not between ? and ? group by 1, 2 having count(*) >= 1500",
        [EVE - timedelta(days=20), EVE + timedelta(days=10)],
    ).fetchall()
    assert len(rows) >= 5
    medians = {(c.mcc, m): c.median_yuan for c in CATEGORIES if c.step_fen == 1 for m in c.merchants.split("/")}
    checked = 0
    for mcc, merchant, _count, log_median, skew in rows:
        if (mcc, merchant) in medians:
            assert abs(skew) < 0.3, (mcc, merchant, skew)
            assert math.exp(log_median) == pytest.approx(medians[mcc, merchant], rel=0.3)
            checked += 1
    assert checked >= 5
