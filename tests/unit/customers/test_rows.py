"""Import rows (CONTRACTS.md §2): typed values, every problem of a row at once, each naming its column."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.customers import model as m
from huoke.customers.fields import parse_day, parse_instant_or_day, yuan_to_fen
from huoke.customers.rows import (
    RowContext,
    coerce_attribute,
    infer_attribute_type,
    parse_consent,
    parse_customer,
    parse_holding,
    parse_org,
    parse_product,
    parse_staff,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CTX = RowContext(
    today=date(2026, 11, 24),
    now=datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI),
    zone=SHANGHAI,
    org_codes=frozenset({"SB01"}),
    rm_staff={"S1": "rm"},
    product_types={"DC01": "debit_card", "CC01": "credit_card", "WM01": "wealth"},
)
VALID_ID = "11010519491231002X"


def columns(problems: list[m.RowProblem]) -> set[str]:
    return {problem.column for problem in problems}


def reason(problems: list[m.RowProblem], column: str) -> str:
    found = [problem.reason for problem in problems if problem.column == column]
    assert len(found) == 1, problems
    return found[0]


# --- amounts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("1000.50", 100050),
        ("0.01", 1),
        ("1,234.56", 123456),
        ("0", 0),
        ("  12.3 ", 1230),
        (5, 500),
        (Decimal("12.30"), 1230),
        ("100000000000", 10_000_000_000_000),
    ],
)
def test_yuan_becomes_integer_fen(value: str | int | Decimal, fen: int) -> None:
    assert yuan_to_fen(value) == fen


@given(st.integers(0, 10**13))
def test_every_fen_amount_written_as_yuan_round_trips(fen: int) -> None:
    assert yuan_to_fen(f"{fen // 100}.{fen % 100:02d}") == fen


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.234", "more than 2 decimals"),
        ("0.001", "more than 2 decimals"),
        ("-5", "must not be negative"),
        ("abc", "not an amount"),
        ("", "not an amount"),
        ("NaN", "not an amount"),
        ("Infinity", "not an amount"),
        ("-Infinity", "not an amount"),
        ("100000000000.01", "implausibly large"),
    ],
)
def test_bad_amounts_are_rejected_with_the_reason(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        yuan_to_fen(value)


@pytest.mark.parametrize("value", ["1e30", "100000000000000000000000000"])
def test_absurdly_large_amounts_are_rejected_as_implausible(value: str) -> None:
    with pytest.raises(ValueError, match="implausibly large"):
        yuan_to_fen(value)


def test_positive_amounts_refuse_zero() -> None:
    assert yuan_to_fen("0.01", positive=True) == 1
    with pytest.raises(ValueError, match="greater than 0"):
        yuan_to_fen("0", positive=True)
    with pytest.raises(ValueError, match="greater than 0"):
        yuan_to_fen("-1", positive=True)


# --- dates and instants ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2024-01-31", "20240131", "2024/01/31"])
def test_parse_day_accepts_the_documented_formats(text: str) -> None:
    assert parse_day(text) == date(2024, 1, 31)


@pytest.mark.parametrize("text", ["2024-02-30", "20230229", "31/01/2024", "2024.01.31", "yesterday", ""])
def test_parse_day_rejects_impossible_or_unknown_dates(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_day(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20 10:00:00", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("2026-11-20T10:00:00+08:00", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("2026-11-20T10:00:00+00:00", datetime(2026, 11, 20, 10, 0, tzinfo=UTC)),
        ("2026/11/20", datetime(2026, 11, 19, 16, 0, tzinfo=UTC)),
    ],
)
def test_instants_without_offset_are_read_in_the_business_zone(text: str, expected: datetime) -> None:
    assert parse_instant_or_day(text, SHANGHAI) == expected


# --- customers ------------------------------------------------------------------------------------------


def customer_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_no": "C001",
        "name": "张三",
        "gender": "M",
        "birth_date": "1949-12-31",
        "phone": "+86 138 1234 5678",
        "email": "zhang@Example.COM",
        "id_card_no": "11010519491231002x",
        "branch_code": "SB01",
        "rm_staff_no": "S1",
        "opened_at": "20200501",
        "risk_level": "C3",
        "city": "上海",
    }
    row.update(changes)
    return row


def test_a_valid_customer_row_is_normalised_without_problems() -> None:
    record, problems = parse_customer(customer_row(), CTX)

    assert problems == []
    assert record == m.CustomerRecord(
        customer_no="C001",
        name="张三",
        gender="M",
        birth_date=date(1949, 12, 31),
        phone="13812345678",
        email="zhang@example.com",
        id_card_no=VALID_ID,
        branch_code="SB01",
        rm_staff_no="S1",
        opened_at=date(2020, 5, 1),
        risk_level="C3",
        city="上海",
    )


def test_only_customer_no_is_required() -> None:
    record, problems = parse_customer({"customer_no": "C002", "name": "", "phone": None}, CTX)

    assert problems == []
    assert record == m.CustomerRecord(customer_no="C002")


def test_a_missing_customer_no_is_reported() -> None:
    _, problems = parse_customer(customer_row(customer_no="  "), CTX)

    assert reason(problems, "customer_no") == "is required"


def test_every_problem_of_a_customer_row_is_reported_at_once() -> None:
    row = customer_row(
        birth_date="1990-01-01",
        phone="12345",
        email="not-an-email",
        gender="X",
        branch_code="XX99",
        rm_staff_no="S9",
        name="张" * 65,
        opened_at="2027-01-01",
        risk_level="C9",
    )

    record, problems = parse_customer(row, CTX)

    assert columns(problems) == {
        "birth_date",
        "phone",
        "email",
        "gender",
        "branch_code",
        "rm_staff_no",
        "name",
        "opened_at",
        "risk_level",
    }
    assert len(problems) == 9
    assert "id_card_no" in reason(problems, "birth_date")
    assert "unknown org unit XX99" in reason(problems, "branch_code")
    assert "unknown staff member S9" in reason(problems, "rm_staff_no")
    assert "longer than 64" in reason(problems, "name")
    assert reason(problems, "opened_at") == "is in the future"
    assert {p.value for p in problems if p.column == "phone"} == {"12345"}
    assert record.phone is None
    assert record.branch_code is None


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [("2026-11-25", "is in the future"), ("1899-12-31", "is before 1900"), ("1990-02-30", "is not a date")],
)
def test_implausible_birth_dates_are_rejected(birth_date: str, message: str) -> None:
    record, problems = parse_customer(customer_row(birth_date=birth_date, id_card_no=None), CTX)

    assert reason(problems, "birth_date").startswith(message)
    assert record.birth_date is None


def test_birth_date_today_is_accepted() -> None:
    record, problems = parse_customer(customer_row(birth_date="2026-11-24", id_card_no=None), CTX)

    assert problems == []
    assert record.birth_date == date(2026, 11, 24)


def test_an_invalid_resident_id_names_its_column() -> None:
    _, problems = parse_customer(customer_row(id_card_no="110105194912310027"), CTX)

    assert "check digit" in reason(problems, "id_card_no")
    assert columns(problems) == {"id_card_no"}


def test_date_and_datetime_values_from_typed_files_are_accepted() -> None:
    row = customer_row(birth_date=date(1949, 12, 31), opened_at=datetime(2020, 5, 1, 10, 30, tzinfo=UTC))

    record, problems = parse_customer(row, CTX)

    assert problems == []
    assert (record.birth_date, record.opened_at) == (date(1949, 12, 31), date(2020, 5, 1))


# --- custom attributes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value_type"),
    [
        ("3", "number"),
        ("-2.5", "number"),
        ("2024-01-01", "date"),
        ("2024/01/01", "date"),
        ("true", "boolean"),
        ("FALSE", "boolean"),
        ("gold", "string"),
        ("2024-02-30", "string"),
    ],
)
def test_new_attribute_type_is_inferred_from_its_value(raw: str, value_type: str) -> None:
    assert infer_attribute_type(raw) == value_type


def test_unknown_columns_become_typed_custom_attributes() -> None:
    row = customer_row(visits="3", score="4.5", joined="2024/01/01", vip="True", tier=" gold ", blank="  ")

    record, problems = parse_customer(row, CTX)

    assert problems == []
    assert record.attributes == {
        "visits": 3,
        "score": 4.5,
        "joined": "2024-01-01",
        "vip": True,
        "tier": "gold",
    }


@pytest.mark.parametrize(
    ("declared", "raw", "message"),
    [
        ("number", "many", "is a number"),
        ("date", "soon", "is a date"),
        ("boolean", "yes", "is a boolean"),
    ],
)
def test_a_value_of_the_wrong_declared_type_is_rejected(declared: str, raw: str, message: str) -> None:
    ctx = RowContext(**{**CTX.__dict__, "attribute_types": {"loyalty": declared}})

    record, problems = parse_customer(customer_row(loyalty=raw), ctx)

    assert message in reason(problems, "loyalty")
    assert "loyalty" not in record.attributes


def test_a_declared_string_attribute_keeps_numeric_looking_text() -> None:
    ctx = RowContext(**{**CTX.__dict__, "attribute_types": {"postcode": "string"}})

    record, problems = parse_customer(customer_row(postcode="010010"), ctx)

    assert problems == []
    assert record.attributes == {"postcode": "010010"}


def test_an_oversize_string_attribute_is_rejected() -> None:
    ctx = RowContext(**{**CTX.__dict__, "max_field_length": 16})

    _, problems = parse_customer(customer_row(note="x" * 17), ctx)

    assert "longer than 16" in reason(problems, "note")


def test_long_numeric_attributes_keep_every_digit() -> None:
    record, problems = parse_customer(customer_row(loyalty_card_no="6222021234567890123"), CTX)

    assert problems == []
    assert str(record.attributes["loyalty_card_no"]) == "6222021234567890123"


@pytest.mark.parametrize("raw", ["NaN", "inf"])
def test_non_finite_numbers_are_not_accepted_as_number_attributes(raw: str) -> None:
    with pytest.raises(ValueError, match="is a number"):
        coerce_attribute(raw, "number", 512)


# --- holdings -------------------------------------------------------------------------------------------


def holding_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_no": "6222021234567890",
        "customer_no": "C001",
        "product_code": "DC01",
        "product_type": "debit_card",
        "status": "active",
        "opened_at": "2020-01-01",
        "balance": "1,000.50",
        "card_level": "gold",
        "card_role": "primary",
        "approved_at": "2019-12-30 15:00",
    }
    row.update(changes)
    return row


def test_a_valid_holding_row_is_accepted() -> None:
    holding, problems = parse_holding(holding_row(), CTX)

    assert problems == []
    assert holding == m.HoldingRecord(
        account_no="6222021234567890",
        customer_no="C001",
        product_code="DC01",
        product_type="debit_card",
        status="active",
        opened_at=date(2020, 1, 1),
        balance_fen=100050,
        card_level="gold",
        card_role="primary",
        approved_at=datetime(2019, 12, 30, 7, 0, tzinfo=UTC),
    )


def test_status_defaults_to_active_and_balance_to_zero() -> None:
    holding, problems = parse_holding(holding_row(status=None, balance=None), CTX)

    assert problems == []
    assert (holding.status, holding.balance_fen) == ("active", 0)


def test_credit_limit_on_a_credit_card_is_accepted() -> None:
    holding, problems = parse_holding(
        holding_row(product_code="CC01", product_type="credit_card", credit_limit="50000"), CTX
    )

    assert problems == []
    assert holding.credit_limit_fen == 5_000_000


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"product_type": "credit_card"}, "product_type", "product DC01 is a debit_card"),
        ({"product_type": "savings"}, "product_type", "must be one of debit_card"),
        ({"product_code": "XX01"}, "product_code", "unknown product XX01"),
        (
            {"product_code": "WM01", "product_type": "wealth", "card_role": None},
            "card_level",
            "cards only, not to a wealth",
        ),
        (
            {"product_code": "WM01", "product_type": "wealth", "card_level": None},
            "card_role",
            "cards only, not to a wealth",
        ),
        ({"credit_limit": "50000"}, "credit_limit", "credit cards only, not to a debit_card"),
        ({"status": "closed"}, "closed_at", "is required when status is closed"),
        ({"status": "closed", "closed_at": "2019-12-31"}, "closed_at", "is before opened_at"),
        ({"closed_at": "2026-12-01"}, "closed_at", "is in the future"),
        ({"balance": "-5"}, "balance", "must not be negative"),
        ({"balance": "12.345"}, "balance", "more than 2 decimals"),
        ({"status": "frozen"}, "status", "must be one of active, dormant, closed"),
        ({"card_level": "black"}, "card_level", "must be one of standard, gold, platinum, diamond"),
        ({"approved_at": "2026-11-24T10:00"}, "approved_at", "is in the future"),
        ({"account_no": ""}, "account_no", "is required"),
    ],
)
def test_an_invalid_holding_row_names_the_column(changes: dict[str, Any], column: str, message: str) -> None:
    _, problems = parse_holding(holding_row(**changes), CTX)

    assert columns(problems) == {column}
    assert message in reason(problems, column)


def test_a_closed_holding_with_its_close_date_is_accepted() -> None:
    holding, problems = parse_holding(holding_row(status="closed", closed_at="2025-06-30"), CTX)

    assert problems == []
    assert holding.closed_at == date(2025, 6, 30)


def test_a_missing_close_date_is_reported_alongside_other_problems() -> None:
    _, problems = parse_holding(holding_row(status="closed", balance="-5"), CTX)

    assert columns(problems) == {"balance", "closed_at"}


# --- consents -------------------------------------------------------------------------------------------


def consent_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_no": "C001",
        "channel": "sms",
        "purpose": "marketing",
        "status": "granted",
        "recorded_at": "2026-11-20 10:00:00",
        "source": "branch_form",
        "notice_version": "v3",
    }
    row.update(changes)
    return row


def test_consent_recorded_at_without_offset_is_read_as_shanghai_time() -> None:
    record, problems = parse_consent(consent_row(), CTX)

    assert problems == []
    assert record == m.ConsentRecord(
        customer_no="C001",
        channel="sms",
        purpose="marketing",
        status="granted",
        recorded_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        source="branch_form",
        notice_version="v3",
    )


def test_consent_recorded_at_keeps_an_explicit_offset() -> None:
    record, _ = parse_consent(consent_row(recorded_at="2026-11-20T10:00:00+00:00"), CTX)

    assert record.recorded_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_consent_recorded_a_few_minutes_ahead_is_tolerated_but_later_is_future() -> None:
    _, ok = parse_consent(consent_row(recorded_at="2026-11-24T09:04"), CTX)
    _, late = parse_consent(consent_row(recorded_at="2026-11-24T09:06"), CTX)

    assert ok == []
    assert reason(late, "recorded_at") == "is in the future"


def test_consent_recorded_tomorrow_is_rejected() -> None:
    _, problems = parse_consent(consent_row(recorded_at="2026-11-25"), CTX)

    assert columns(problems) == {"recorded_at"}


@pytest.mark.parametrize(
    ("column", "value", "allowed"),
    [
        ("channel", "fax", "sms, email, wechat, wecom, push, phone, all"),
        ("purpose", "sales", "marketing, service, risk"),
        ("status", "maybe", "granted, withdrawn"),
    ],
)
def test_invalid_consent_choices_name_the_allowed_values(column: str, value: str, allowed: str) -> None:
    _, problems = parse_consent(consent_row(**{column: value}), CTX)

    assert reason(problems, column) == f"must be one of {allowed}"
    assert [p.value for p in problems] == [value]


def test_consent_required_columns_are_all_reported() -> None:
    _, problems = parse_consent({"source": "app"}, CTX)

    assert columns(problems) == {"customer_no", "channel", "purpose", "status", "recorded_at"}
    assert {p.reason for p in problems} == {"is required"}


# --- reference data -------------------------------------------------------------------------------------


def test_a_head_office_without_parent_and_a_branch_with_one_are_accepted() -> None:
    head, head_problems = parse_org({"code": "HO", "name": "总行", "level": "head_office"}, CTX)
    branch, branch_problems = parse_org(
        {"code": "BR01", "name": "上海分行", "parent_code": "HO", "level": "branch"}, CTX
    )

    assert (head_problems, branch_problems) == ([], [])
    assert head == m.OrgUnit("HO", "总行", None, "head_office")
    assert branch.parent_code == "HO"


def test_a_head_office_with_a_parent_is_rejected() -> None:
    _, problems = parse_org({"code": "HO", "name": "总行", "parent_code": "X", "level": "head_office"}, CTX)

    assert reason(problems, "parent_code") == "a head_office has no parent"


@pytest.mark.parametrize("level", ["branch", "sub_branch", "team"])
def test_units_below_head_office_need_a_parent(level: str) -> None:
    _, problems = parse_org({"code": "BR01", "name": "上海分行", "level": level}, CTX)

    assert reason(problems, "parent_code") == f"is required for a {level}"


def test_an_unknown_org_level_is_rejected() -> None:
    _, problems = parse_org({"code": "BR01", "name": "x", "parent_code": "HO", "level": "region"}, CTX)

    assert columns(problems) == {"level"}


def test_staff_must_belong_to_a_known_org_unit_and_have_a_mobile() -> None:
    staff, ok = parse_staff(
        {"staff_no": "S2", "name": "李四", "org_code": "SB01", "role": "rm", "phone": "13912345678"}, CTX
    )
    _, bad = parse_staff({"staff_no": "S3", "name": "王五", "org_code": "ZZ", "role": "boss", "phone": "1"}, CTX)

    assert ok == []
    assert staff == m.Staff("S2", "李四", "SB01", "rm", "13912345678")
    assert columns(bad) == {"org_code", "role", "phone"}


def test_product_risk_level_must_be_r1_to_r5() -> None:
    _, ok = parse_product({"product_code": "P1", "name": "稳健理财", "product_type": "wealth", "risk_level": "R2"}, CTX)
    _, bad = parse_product(
        {"product_code": "P1", "name": "稳健理财", "product_type": "wealth", "risk_level": "R6"}, CTX
    )

    assert ok == []
    assert reason(bad, "risk_level") == "must be one of R1, R2, R3, R4, R5"
