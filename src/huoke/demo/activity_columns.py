"""Generated rows as columns of small integers, before they become strings in Parquet.

Codes index the vocabularies below (CONTRACTS.md §2 values for `txn_type`); -1 stands for null.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Self

import numpy as np

from huoke.demo.activity_draws import Ints

TXN_TYPES = (
    "card_spend", "transfer_in", "transfer_out", "salary", "deposit", "withdrawal", "wealth_purchase",
    "wealth_redeem", "loan_disbursal", "loan_repayment", "fee", "interest", "other",
)  # fmt: skip
CREDIT_TYPES = frozenset({"transfer_in", "salary", "deposit", "wealth_redeem", "loan_disbursal", "interest"})
DIRECTIONS = ("debit", "credit")
DIRECTION_OF_TYPE = np.array([int(t in CREDIT_TYPES) for t in TXN_TYPES], dtype=np.int64)
TXN_CHANNELS = ("pos", "online", "mobile_app", "counter", "atm", "wechat_pay", "alipay", "batch", "system")
EVENT_TYPES = (
    "app_open", "login", "page_view", "product_view", "search", "click", "form_submit", "share",
    "coupon_redeemed", "survey_answered", "message_replied",
)  # fmt: skip


def txn_type(name: str) -> int:
    return TXN_TYPES.index(name)


def txn_channel(name: str) -> int:
    return TXN_CHANNELS.index(name)


def event_type(name: str) -> int:
    return EVENT_TYPES.index(name)


class _Columns:
    """Equal-length integer columns that concatenate and reorder together."""

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))  # type: ignore[arg-type]

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        if not parts:
            return cls(**{name: np.zeros(0, dtype=np.int64) for name in names})
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})

    def take(self, order: Ints) -> Self:
        return type(self)(**{f.name: getattr(self, f.name)[order] for f in fields(self)})  # type: ignore[arg-type]

    def time_order(self) -> Ints:
        """Row order by occurrence (day, then second); deterministic for the same rows."""
        day: Ints = getattr(self, "day")  # noqa: B009 - every subclass has day and second
        second: Ints = getattr(self, "second")  # noqa: B009
        return np.argsort(day * 86_400 + second)


@dataclass(frozen=True, slots=True)
class TxnColumns(_Columns):
    customer: Ints
    account: Ints  # index into the book's account numbers
    day: Ints  # business day ordinal
    second: Ints  # local second of the day
    fen: Ints
    type: Ints
    channel: Ints
    mcc: Ints  # index into the MCC table, -1 = none
    merchant: Ints  # index into the merchant names, -1 = none
    product: Ints  # index into the product codes, -1 = none


@dataclass(frozen=True, slots=True)
class EventColumns(_Columns):
    customer: Ints  # -1 = anonymous
    device: Ints  # device serial, -1 = none
    day: Ints
    second: Ints
    type: Ints
    channel: Ints
    a: Ints  # first property value (its meaning depends on the type)
    b: Ints  # second property value


def txns(
    *,
    customer: Ints,
    account: Ints,
    day: Ints,
    second: Ints,
    fen: Ints,
    kind: Ints | int,
    channel: Ints | int,
    mcc: Ints | None = None,
    merchant: Ints | None = None,
    product: Ints | None = None,
) -> TxnColumns:
    """Transactions from columns; scalars broadcast and missing optional columns are null."""
    n = len(customer)

    def full(value: Ints | int | None) -> Ints:
        if value is None:
            return np.full(n, -1, dtype=np.int64)
        return np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy()

    return TxnColumns(
        customer=customer.astype(np.int64),
        account=account.astype(np.int64),
        day=day.astype(np.int64),
        second=second.astype(np.int64),
        fen=fen.astype(np.int64),
        type=full(kind),
        channel=full(channel),
        mcc=full(mcc),
        merchant=full(merchant),
        product=full(product),
    )
