"""Customer domain: the vocabulary of CONTRACTS.md §2 and the pure decisions over it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

ORG_LEVELS = ("head_office", "branch", "sub_branch", "team")
STAFF_ROLES = ("rm", "teller", "manager", "marketer", "other")
PRODUCT_TYPES = (
    "debit_card",
    "credit_card",
    "demand_deposit",
    "time_deposit",
    "wealth",
    "fund",
    "insurance",
    "loan",
    "mortgage",
    "other",
)
CARD_TYPES = ("debit_card", "credit_card")
AUM_TYPES = ("demand_deposit", "time_deposit", "wealth", "fund")
PRODUCT_RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
CUSTOMER_RISK_LEVELS = ("C1", "C2", "C3", "C4", "C5")
GENDERS = ("M", "F", "U")
HOLDING_STATUSES = ("active", "dormant", "closed")
CARD_LEVELS = ("standard", "gold", "platinum", "diamond")
CARD_ROLES = ("primary", "supplementary")
CONSENT_CHANNELS = ("sms", "email", "wechat", "wecom", "push", "phone", "all")
CONSENT_PURPOSES = ("marketing", "service", "risk")
CONSENT_STATUSES = ("granted", "withdrawn")
# Column order of the import files (CONTRACTS.md §2).
CUSTOMER_COLUMNS = (
    "customer_no",
    "name",
    "gender",
    "birth_date",
    "phone",
    "email",
    "id_card_no",
    "wechat_openid",
    "wechat_unionid",
    "branch_code",
    "rm_staff_no",
    "opened_at",
    "risk_level",
    "occupation",
    "marital_status",
    "city",
)
HOLDING_COLUMNS = (
    "account_no",
    "customer_no",
    "product_code",
    "product_type",
    "status",
    "opened_at",
    "closed_at",
    "balance",
    "credit_limit",
    "card_level",
    "card_role",
    "approved_at",
)
STANDARD_CUSTOMER_COLUMNS = frozenset(CUSTOMER_COLUMNS)
ATTRIBUTE_TYPES = ("string", "number", "date", "boolean")


@dataclass(frozen=True)
class RowProblem:
    """Why one field (or the whole row, column "") cannot be accepted."""

    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class OrgUnit:
    code: str
    name: str
    parent_code: str | None
    level: str


@dataclass(frozen=True)
class Staff:
    staff_no: str
    name: str
    org_code: str
    role: str
    phone: str | None


@dataclass(frozen=True)
class Product:
    product_code: str
    name: str
    product_type: str
    risk_level: str | None


@dataclass(frozen=True)
class CustomerRecord:
    """One validated customers row, PII still in clear (normalised); encrypted at the store edge."""

    customer_no: str
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None
    id_card_no: str | None = None
    wechat_openid: str | None = None
    wechat_unionid: str | None = None
    branch_code: str | None = None
    rm_staff_no: str | None = None
    opened_at: date | None = None
    risk_level: str | None = None
    occupation: str | None = None
    marital_status: str | None = None
    city: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HoldingRecord:
    account_no: str
    customer_no: str
    product_code: str
    product_type: str
    status: str = "active"
    opened_at: date | None = None
    closed_at: date | None = None
    balance_fen: int = 0
    credit_limit_fen: int | None = None
    card_level: str | None = None
    card_role: str | None = None
    approved_at: datetime | None = None


@dataclass(frozen=True)
class ConsentRecord:
    customer_no: str
    channel: str
    purpose: str
    status: str
    recorded_at: datetime
    source: str | None = None
    notice_version: str | None = None


@dataclass(frozen=True)
class ConsentState:
    """The consent in force for one channel × purpose, with the evidence of the record that set it."""

    channel: str
    purpose: str
    status: str
    recorded_at: datetime
    source: str | None
    notice_version: str | None


def consents_in_force(history: list[ConsentRecord]) -> list[ConsentState]:
    """Latest record wins per channel × purpose; an `all` record applies to every channel at its time."""
    latest: dict[tuple[str, str], ConsentRecord] = {}
    for record in sorted(history, key=lambda r: r.recorded_at):
        channels = [c for c in CONSENT_CHANNELS if c != "all"] if record.channel == "all" else [record.channel]
        for channel in channels:
            latest[(channel, record.purpose)] = record
    return [
        ConsentState(channel, purpose, r.status, r.recorded_at, r.source, r.notice_version)
        for (channel, purpose), r in sorted(latest.items())
    ]


def org_path(parent_path: str | None, code: str) -> str:
    """Materialised path of an org unit, e.g. /HO/BR01/SB0101/ (prefix match = "in this tree")."""
    return f"{parent_path or '/'}{code}/"


def age_on(birth: date, today: date) -> int:
    """Whole years completed on ``today`` (a Feb 29 birthday completes a year on Feb 28)."""
    years = today.year - birth.year
    month_day = (birth.month, birth.day)
    if month_day == (2, 29) and not calendar.isleap(today.year):
        month_day = (2, 28)
    return years - ((today.month, today.day) < month_day)


def surname_of(name: str) -> str:
    """The family name of a Chinese name; two-character compound surnames are recognised."""
    if name[:2] in _COMPOUND_SURNAMES:
        return name[:2]
    return name[:1] if _is_cjk(name[0]) else name.rsplit(maxsplit=1)[-1]


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "司徒",
        "夏侯",
        "长孙",
        "宇文",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
    }
)
