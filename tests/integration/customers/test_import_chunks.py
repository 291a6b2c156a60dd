"""Imports that span many chunks (50 rows each in tests): order-dependent decisions stay in file order."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from huoke.customers.identity_service import observe_identities
from huoke.customers.import_service import import_file
from huoke.customers.service import CustomerLookup, list_conflicts, show_customer
from huoke.customers.store import AttributeDefinitionRow, CustomerRow, HoldingRow
from huoke.platform.runtime import Runtime
from tests.integration.customers import bank_files as bank


def load_reference(runtime: Runtime, folder: Path) -> None:
    files = bank.write_bank(folder)
    for kind in ("org", "staff", "products"):
        import_file(runtime, kind=kind, path=files[kind])


def person(number: int, **values: str) -> dict[str, str]:
    row = {"customer_no": f"N{number:04d}", "name": "王芳", "phone": f"139{number:08d}", "branch_code": "SB01"}
    row |= {"city": "", "tier": ""}
    return row | values


def errors_of(path: str | None) -> list[tuple[str, str, str]]:
    assert path is not None
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [(e["row"], e["column"], e["reason"]) for e in csv.DictReader(handle)]


def test_a_new_attribute_is_typed_by_its_first_value_even_in_a_later_chunk(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")
    rows = [person(i) for i in range(200)]
    rows[120]["tier"] = "3"  # the first value, in the third chunk: the attribute is a number
    rows[121]["tier"] = "gold"  # same chunk, rejected
    rows[170]["tier"] = "4"
    rows[171]["tier"] = "platinum"  # a later chunk, rejected too
    rows[30]["phone"] = "12345"  # a bad row in the first chunk

    result = import_file(runtime, kind="customers", path=bank.write_csv(tmp_path / "c.csv", rows))

    assert (result.accepted, result.rejected) == (197, 3)
    assert [(row, column) for row, column, _ in errors_of(result.errors_file)] == [
        ("32", "phone"),
        ("123", "tier"),
        ("173", "tier"),
    ]
    with runtime.uow() as uow:
        types = dict(list(uow.session.execute(select(AttributeDefinitionRow.name, AttributeDefinitionRow.value_type))))
    assert types == {"tier": "number"}
    assert show_customer(runtime, CustomerLookup(customer_no="N0170"))["profile"]["attributes"] == {"tier": 4}


def test_repeats_within_the_file_are_found_across_chunks(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")
    rows = [person(i) for i in range(120)]
    rows += [person(5), person(60, city="广州")]  # an exact repeat, and a changed repeat, chunks later

    result = import_file(runtime, kind="customers", path=bank.write_csv(tmp_path / "c.csv", rows))

    assert (result.accepted, result.duplicates, result.rejected) == (120, 1, 1)
    assert errors_of(result.errors_file) == [
        ("123", "", "duplicate key N0060 in this file (first at row 62) with other values")
    ]


def test_keys_shared_across_chunks_and_with_observed_people_are_resolved(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")
    observed = observe_identities(runtime, {"phone": "13900000150", "device_id": "D-1"}, actor="app")
    rows = [person(i) for i in range(160)]
    rows[140]["phone"] = rows[10]["phone"]  # a family phone, three chunks apart

    result = import_file(runtime, kind="customers", path=bank.write_csv(tmp_path / "c.csv", rows))

    assert result.accepted == 160
    with runtime.uow() as uow:
        anonymous = uow.session.scalars(select(CustomerRow.merged_into).where(CustomerRow.one_id == observed["one_id"]))
        merged_into = anonymous.one()
        n0150 = uow.session.scalars(select(CustomerRow.one_id).where(CustomerRow.customer_no == "N0150")).one()
    assert merged_into == n0150  # the app user turned out to be customer N0150
    shared = [c for c in list_conflicts(runtime) if c["kind"] == "phone"]
    assert len(shared) == 1
    assert sorted(shared[0]["one_ids"]) == sorted(
        show_customer(runtime, CustomerLookup(customer_no=no))["one_id"] for no in ("N0010", "N0140")
    )


def test_holdings_over_many_chunks_insert_update_and_repeat(runtime: Runtime, tmp_path: Path) -> None:
    load_reference(runtime, tmp_path / "ref")
    import_file(runtime, kind="customers", path=bank.write_csv(tmp_path / "c.csv", [person(i) for i in range(40)]))
    base = {"product_code": "DC", "product_type": "debit_card", "status": "active", "card_level": "", "card_role": ""}
    holdings = [
        base | {"account_no": f"A{i:05d}", "customer_no": f"N{i % 40:04d}", "balance": "10.5"} for i in range(130)
    ]
    first = import_file(runtime, kind="holdings", path=bank.write_csv(tmp_path / "h1.csv", holdings))
    with runtime.uow() as uow:
        before = dict(list(uow.session.execute(select(HoldingRow.account_bidx, HoldingRow.updated_at))))
    holdings[7]["balance"] = "99.99"
    holdings[101]["customer_no"] = "N9999"

    again = import_file(runtime, kind="holdings", path=bank.write_csv(tmp_path / "h2.csv", holdings))

    assert (first.accepted, first.rejected) == (130, 0)
    assert (again.accepted, again.duplicates, again.rejected) == (1, 128, 1)
    assert errors_of(again.errors_file) == [("103", "customer_no", "unknown customer_no N9999; import customers first")]
    with runtime.uow() as uow:
        balances = sorted(uow.session.scalars(select(HoldingRow.balance_fen)))
        after = dict(list(uow.session.execute(select(HoldingRow.account_bidx, HoldingRow.updated_at))))
    assert balances == [1050] * 129 + [9999]
    assert after == before  # the simulated clock stood still; nothing was rewritten that did not change
