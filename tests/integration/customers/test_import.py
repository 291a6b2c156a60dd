"""Bulk import end to end on a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from huoke.customers import profile_import
from huoke.customers.import_service import import_file
from huoke.customers.service import CustomerLookup, show_customer
from huoke.customers.store import ConsentRow, CustomerRow, HoldingRow
from huoke.platform.errors import InvalidInput
from huoke.platform.runtime import Runtime
from tests.integration.customers import bank_files as bank

KINDS = ("org", "staff", "products", "customers", "holdings", "consents")


def load_bank(runtime: Runtime, folder: Path) -> dict[str, dict[str, object]]:
    files = bank.write_bank(folder)
    return {kind: import_file(runtime, kind=kind, path=files[kind]).as_dict() for kind in KINDS}


def errors_of(summary: dict[str, object]) -> list[dict[str, str]]:
    path = summary["errors_file"]
    assert isinstance(path, str)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def count(runtime: Runtime, table: type) -> int:
    with runtime.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_clean_bank_imports_completely_and_shows_a_masked_360_view(runtime: Runtime, tmp_path: Path) -> None:
    results = load_bank(runtime, tmp_path / "files")

    assert {k: (r["accepted"], r["rejected"]) for k, r in results.items()} == {
        "org": (3, 0),
        "staff": (1, 0),
        "products": (3, 0),
        "customers": (2, 0),
        "holdings": (3, 0),
        "consents": (2, 0),
    }
    view = show_customer(runtime, CustomerLookup(customer_no="C1"))
    assert view["profile"]["name"] == "张*"
    assert view["profile"]["phone"] == "139****5678"
    assert view["profile"]["id_card_no"] == bank.ID_ZHANG[:3] + "*" * 11 + bank.ID_ZHANG[-4:]
    assert view["profile"]["age"] == 76
    assert view["profile"]["attributes"] == {"vip_level": 3}
    assert sorted(h["balance"] for h in view["holdings"]) == ["1000.50", "200000.00"]
    assert {h["account_no"] for h in view["holdings"]} == {"622202******0001", "**01"}
    sms = next(c for c in view["consents"] if c["channel"] == "sms" and c["purpose"] == "marketing")
    assert sms["status"] == "withdrawn"
    assert sms["recorded_at"] == "2025-06-01T10:00:00+08:00"


def test_the_same_files_twice_change_nothing(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "first")
    with runtime.uow() as uow:
        before = {r.customer_no: (r.updated_at, r.row_hash) for r in uow.session.scalars(select(CustomerRow))}

    again = load_bank(runtime, tmp_path / "second")

    assert all(r["accepted"] == 0 and r["rejected"] == 0 for r in again.values())
    assert again["customers"]["duplicates"] == 2
    with runtime.uow() as uow:
        after = {r.customer_no: (r.updated_at, r.row_hash) for r in uow.session.scalars(select(CustomerRow))}
    assert after == before
    assert count(runtime, HoldingRow) == 3
    assert count(runtime, ConsentRow) == 2


def test_a_changed_row_updates_the_profile_and_replaces_its_identity_keys(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    changed = [dict(bank.CUSTOMERS[0], phone="13598765432", city="天津")]

    result = import_file(runtime, kind="customers", path=bank.write_csv(tmp_path / "c.csv", changed))

    assert result.accepted == 1
    view = show_customer(runtime, CustomerLookup(phone="13598765432"))
    assert view["customer_no"] == "C1"
    assert view["profile"]["city"] == "天津"
    assert [i["value"] for i in view["identities"] if i["kind"] == "phone"] == ["135****5432"]


def test_bad_rows_are_rejected_with_reasons_while_the_rest_imports(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    good = dict(bank.CUSTOMERS[1], customer_no="C10", phone="13611112222", id_card_no="")
    rows = [
        good,
        dict(good, customer_no="C11", phone="12345"),
        dict(good, customer_no="C12", id_card_no="110105194912310021"),
        dict(good, customer_no="C13", birth_date="2031-01-01"),
        dict(good, customer_no="C14", branch_code="NOPE"),
        dict(good, customer_no="C15", rm_staff_no="S404"),
        dict(good, customer_no="C16", name="张" * 70),
        dict(good, customer_no="C10", city="广州"),
    ]

    result = import_file(runtime, kind="customers", path=bank.write_csv(tmp_path / "bad.csv", rows)).as_dict()

    assert (result["accepted"], result["rejected"]) == (1, 7)
    reasons = {(e["row"], e["column"]): e["reason"] for e in errors_of(result)}
    assert "not a valid China phone number" in reasons[("3", "phone")]
    assert "check digit" in reasons[("4", "id_card_no")]
    assert reasons[("5", "birth_date")] == "is in the future"
    assert "unknown org unit NOPE" in reasons[("6", "branch_code")]
    assert "unknown staff member S404" in reasons[("7", "rm_staff_no")]
    assert "longer than 64" in reasons[("8", "name")]
    assert "duplicate key C10 in this file (first at row 2)" in reasons[("9", "")]
    errors_text = Path(str(result["errors_file"])).read_text(encoding="utf-8-sig")
    assert "110105194912310021" not in errors_text  # sensitive values are masked in the errors file too


def test_holding_problems_name_the_field(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    base = bank.HOLDINGS[1]
    rows = [
        dict(base, account_no="A1"),
        dict(base, account_no="A2", balance="-5"),
        dict(base, account_no="A3", product_code="ZZ"),
        dict(base, account_no="A4", customer_no="C404"),
        dict(base, account_no="A5", product_type="loan"),
        dict(base, account_no="A6", balance="1.234"),
    ]

    result = import_file(runtime, kind="holdings", path=bank.write_csv(tmp_path / "h.csv", rows)).as_dict()

    assert (result["accepted"], result["rejected"]) == (1, 5)
    reasons = {(e["row"], e["column"]): e["reason"] for e in errors_of(result)}
    assert reasons[("3", "balance")] == "must not be negative"
    assert "unknown product ZZ" in reasons[("4", "product_code")]
    assert "unknown customer_no C404" in reasons[("5", "customer_no")]
    assert "is a wealth" in reasons[("6", "product_type")]
    assert "more than 2 decimals" in reasons[("7", "balance")]


def test_malformed_lines_and_mixed_encodings_only_reject_those_rows(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    header = "customer_no,name,gender,branch_code\n"
    body = ('C20,赵六,M,SB01\nC21,"unterminated,M,SB01\nC22,孙七,F,SB01,extra\n').encode()
    gbk_line = "C23,周八,M,SB01\n".encode("gbk")
    path = tmp_path / "mixed.csv"
    path.write_bytes(header.encode() + body + gbk_line + "C24,吴九,F,SB01\n".encode())

    result = import_file(runtime, kind="customers", path=path)

    assert result.encoding == "utf-8"
    assert result.rejected >= 2
    assert count(runtime, CustomerRow) >= 3  # C1, C2 and C20 at least
    view = show_customer(runtime, CustomerLookup(customer_no="C20"))
    assert view["profile"]["name"] == "赵*"


def test_a_gbk_core_export_imports_through_a_mapping(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    path = tmp_path / "core.csv"
    path.write_bytes("客户号,姓名,性别,手机号,网点\nK1,钱多多,男,13722223333,SB01\nK2,孙小美,女,,SB01\n".encode("gbk"))
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  客户号: customer_no\n  姓名: name\n  性别: gender\n  手机号: phone\n  网点: branch_code\n"
        "values:\n  gender: {男: M, 女: F}\n",
        encoding="utf-8",
    )

    result = import_file(runtime, kind="customers", path=path, mapping=mapping)

    assert (result.accepted, result.rejected, result.encoding) == (2, 0, "gb18030")
    assert show_customer(runtime, CustomerLookup(customer_no="K2"))["profile"]["gender"] == "F"


def test_an_entirely_invalid_file_fails_with_a_clear_message(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    rows = [dict(bank.CUSTOMERS[0], customer_no=f"X{i}", phone="1") for i in range(3)]

    with pytest.raises(InvalidInput, match=r"every row of bad\.csv was rejected \(3 rows\)") as caught:
        import_file(runtime, kind="customers", path=bank.write_csv(tmp_path / "bad.csv", rows))
    assert caught.value.details["rejected"] == 3


def test_a_file_without_a_required_column_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    path = bank.write_csv(tmp_path / "org.csv", [{"code": "HO", "name": "总行"}])

    with pytest.raises(InvalidInput, match="has no column level"):
        import_file(runtime, kind="org", path=path)


def test_a_crash_mid_file_loses_nothing_and_a_rerun_applies_nothing_twice(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_bank(runtime, tmp_path / "files")
    rows = [dict(bank.CUSTOMERS[1], customer_no=f"N{i:03d}", phone="", id_card_no="") for i in range(180)]
    path = bank.write_csv(tmp_path / "many.csv", rows)  # chunk size 50 in tests: 4 chunks
    original = profile_import.CustomerImporter.apply
    calls = {"n": 0}

    def crash_on_third_chunk(self: object, session: object, good: object, ctx: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return original(self, session, good, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(profile_import.CustomerImporter, "apply", crash_on_third_chunk)
    with pytest.raises(RuntimeError, match="power cut"):
        import_file(runtime, kind="customers", path=path)
    assert count(runtime, CustomerRow) == 2 + 100
    monkeypatch.setattr(profile_import.CustomerImporter, "apply", original)

    rerun = import_file(runtime, kind="customers", path=path)

    assert (rerun.accepted, rerun.duplicates, rerun.rejected) == (80, 100, 0)
    assert count(runtime, CustomerRow) == 2 + 180


def test_sensitive_values_are_never_stored_in_clear(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    clear = [bank.ID_ZHANG, "13912345678", "zhang.san@example.com", "6222020000000001", "张三"]

    with runtime.engine.connect() as conn:
        dump = "\n".join(
            str(row)
            for table in ("customers", "customer_identities", "holdings", "consent_records", "audit_log")
            for row in conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - fixed table names
        )
    for value in clear:
        assert value not in dump
    view = show_customer(runtime, CustomerLookup(phone="139 1234 5678"))
    assert view["customer_no"] == "C1"


def test_raw_lines_in_the_errors_file_do_not_reveal_identity_numbers(runtime: Runtime, tmp_path: Path) -> None:
    load_bank(runtime, tmp_path / "files")
    path = tmp_path / "raw.csv"
    path.write_text(
        f"customer_no,name,phone,id_card_no,email\nC30,赵六,13911112222,{bank.ID_LI},z@example.com,extra\n",
        encoding="utf-8",
    )

    with pytest.raises(InvalidInput) as caught:
        import_file(runtime, kind="customers", path=path)

    errors_text = Path(str(caught.value.details["errors_file"])).read_text(encoding="utf-8-sig")
    assert "13911112222" not in errors_text
    assert bank.ID_LI not in errors_text
    assert "z@example.com" not in errors_text
    assert "2222" in errors_text  # enough left for an operator to find the row
