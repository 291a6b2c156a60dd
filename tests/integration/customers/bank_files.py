"""Small hand-made import files for integration tests (CONTRACTS.md §2 columns)."""

from __future__ import annotations

import csv
from pathlib import Path

from huoke.customers.import_service import import_file
from huoke.customers.validation import resident_id_check_char
from huoke.platform.runtime import Runtime


def resident_id(body17: str) -> str:
    return body17 + resident_id_check_char(body17)


ID_ZHANG = resident_id("11010519491231002")  # born 1949-12-31
ID_LI = resident_id("31010419900101123")  # born 1990-01-01

ORG = [
    {"code": "HO", "name": "总行", "parent_code": "", "level": "head_office"},
    {"code": "BR01", "name": "北京分行", "parent_code": "HO", "level": "branch"},
    {"code": "SB01", "name": "海淀支行", "parent_code": "BR01", "level": "sub_branch"},
]
STAFF = [{"staff_no": "S1", "name": "王经理", "org_code": "SB01", "role": "rm", "phone": "13700001111"}]
PRODUCTS = [
    {"product_code": "DC", "name": "借记卡", "product_type": "debit_card", "risk_level": ""},
    {"product_code": "W1", "name": "稳健理财", "product_type": "wealth", "risk_level": "R2"},
    {"product_code": "CC-COFFEE", "name": "咖啡联名信用卡", "product_type": "credit_card", "risk_level": ""},
]
CUSTOMERS = [
    {
        "customer_no": "C1",
        "name": "张三",
        "gender": "M",
        "birth_date": "1949-12-31",
        "phone": "13912345678",
        "email": "zhang.san@example.com",
        "id_card_no": ID_ZHANG,
        "branch_code": "SB01",
        "rm_staff_no": "S1",
        "city": "北京",
        "vip_level": "3",
    },
    {
        "customer_no": "C2",
        "name": "李娜",
        "gender": "F",
        "birth_date": "1990-01-01",
        "phone": "13800002222",
        "email": "",
        "id_card_no": ID_LI,
        "branch_code": "SB01",
        "rm_staff_no": "",
        "city": "上海",
        "vip_level": "5",
    },
]
HOLDINGS = [
    {
        "account_no": "6222020000000001",
        "customer_no": "C1",
        "product_code": "DC",
        "product_type": "debit_card",
        "status": "active",
        "balance": "1000.50",
        "card_level": "standard",
        "card_role": "primary",
    },
    {
        "account_no": "9001",
        "customer_no": "C1",
        "product_code": "W1",
        "product_type": "wealth",
        "status": "active",
        "balance": "200000",
        "card_level": "",
        "card_role": "",
    },
    {
        "account_no": "6250880000000002",
        "customer_no": "C2",
        "product_code": "CC-COFFEE",
        "product_type": "credit_card",
        "status": "active",
        "balance": "0",
        "card_level": "gold",
        "card_role": "primary",
    },
]
CONSENTS = [
    {
        "customer_no": "C1",
        "channel": "sms",
        "purpose": "marketing",
        "status": "granted",
        "recorded_at": "2025-01-01T10:00:00",
        "source": "app",
        "notice_version": "2024.1",
    },
    {
        "customer_no": "C1",
        "channel": "sms",
        "purpose": "marketing",
        "status": "withdrawn",
        "recorded_at": "2025-06-01T10:00:00+08:00",
        "source": "sms_reply",
        "notice_version": "2024.1",
    },
]


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_bank(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "org": ORG,
        "staff": STAFF,
        "products": PRODUCTS,
        "customers": CUSTOMERS,
        "holdings": HOLDINGS,
        "consents": CONSENTS,
    }
    return {kind: write_csv(folder / f"{kind}.csv", rows) for kind, rows in tables.items()}


BANK_KINDS = ("org", "staff", "products", "customers", "holdings")  # in the order imports need them


def import_bank(runtime: Runtime, folder: Path) -> dict[str, Path]:
    """Write the small test bank to FOLDER and import it into RUNTIME's store; the files written."""
    files = write_bank(folder)
    for kind in BANK_KINDS:
        import_file(runtime, kind=kind, path=files[kind])
    return files
