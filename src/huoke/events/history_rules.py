"""Vectorised rules of a history load: which rows of a batch are accepted, and why the others are not.

The same rules as live ingestion (amount > 0 with at most 2 decimals, known customers and accounts, known types,
not in the future), applied to whole columns with Arrow compute so a batch of a million rows takes well under a
second. Only rejected rows are ever touched one by one, to report them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from huoke.events.lake_tables import EVENT_SCHEMA, TIMESTAMP, TRANSACTION_SCHEMA
from huoke.events.model import DIRECTIONS, TXN_TYPES
from huoke.platform.clock import ClockError, parse_instant


@dataclass(frozen=True)
class Directory:
    """What the store knows, as columns: customers with their ONE_ID, accounts with their owner."""

    customer_no: pa.Array
    one_id: pa.Array
    account_bidx: pa.Array
    account_owner: pa.Array
    account_masked: pa.Array
    event_types: frozenset[str]
    blind_index: Callable[[str], str]
    hashed_accounts: dict[str, str] = field(default_factory=dict)  # each account number hashed once per load
    _units: dict[str, str] = field(default_factory=dict, repr=False)
    _accounts: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    def unit_of(self) -> dict[str, str]:
        """Customer number → ONE_ID, built once per load (a batch then looks up only its distinct numbers)."""
        if not self._units:
            self._units.update(zip(self.customer_no.to_pylist(), self.one_id.to_pylist(), strict=True))
        return self._units

    def account_of(self) -> dict[str, tuple[str, str]]:
        """Account blind index → (owner's customer number, masked number), built once per load."""
        if not self._accounts:
            owners = zip(self.account_owner.to_pylist(), self.account_masked.to_pylist(), strict=True)
            self._accounts.update(zip(self.account_bidx.to_pylist(), owners, strict=True))
        return self._accounts


@dataclass(frozen=True)
class Limits:
    zone: tzinfo
    latest: datetime  # the clock plus the allowed skew: anything later is in the future


@dataclass
class Checked:
    table: pa.Table
    problems: list[tuple[int, str, Any, str]] = field(default_factory=list)
    rejected: int = 0
    duplicates: int = 0


class _Batch:
    """One batch under check: its columns, and the reasons collected per row."""

    def __init__(self, table: pa.Table, first_row: int) -> None:
        self.table, self.first_row, self.n = table, first_row, table.num_rows
        self.bad = pa.array([False] * self.n)
        self.reasons: list[tuple[pa.Array, str, str]] = []

    def column(self, name: str) -> pa.Array:
        if name not in self.table.column_names:
            return pa.nulls(self.n, pa.string())
        return self.table.column(name).combine_chunks()

    def text(self, name: str) -> pa.Array:
        value = self.column(name)
        value = value if pa.types.is_string(value.type) else pc.cast(value, pa.string())
        return pc.if_else(pc.equal(pc.utf8_trim_whitespace(value), ""), pa.scalar(None, pa.string()), value)

    def reject(self, mask: Any, column: str, reason: str) -> None:
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            self.reasons.append((mask, column, reason))
            self.bad = pc.or_(self.bad, mask)

    def required(self, name: str) -> pa.Array:
        value = self.text(name)
        self.reject(pc.is_null(value), name, "required")
        return value

    def choice(self, name: str, allowed: Collection[str]) -> pa.Array:
        value = self.required(name)
        self.reject(pc.invert(pc.is_in(value, pa.array(sorted(allowed)))), name, f"not one of {', '.join(allowed)}")
        return value

    def problems(self) -> list[tuple[int, str, Any, str]]:
        found: list[tuple[int, str, Any, str]] = []
        for mask, column, reason in self.reasons:
            values = self.column(column)
            for index in pc.indices_nonzero(mask).to_pylist():
                found.append((self.first_row + index, column, values[index].as_py(), reason))
        return sorted(found, key=lambda p: p[0])


def check(kind: str, table: pa.Table, directory: Directory, limits: Limits, *, first_row: int) -> Checked:
    """Accepted rows in the lake's shape, plus (row, column, value, reason) for every rejected row."""
    batch = _Batch(table, first_row)
    build = _transactions if kind == "transactions" else _events
    columns, key = build(batch, directory, limits)
    keep = pc.invert(batch.bad)
    repeated = _repeats(columns[key], keep)
    accepted = pa.table(columns).filter(pc.and_(keep, pc.invert(repeated)))
    schema = TRANSACTION_SCHEMA if kind == "transactions" else EVENT_SCHEMA
    return Checked(
        table=accepted.select(schema.names).cast(schema),
        problems=batch.problems(),
        rejected=pc.sum(pc.cast(batch.bad, pa.int64())).as_py() or 0,
        duplicates=pc.sum(pc.cast(repeated, pa.int64())).as_py() or 0,
    )


def _transactions(batch: _Batch, directory: Directory, limits: Limits) -> tuple[dict[str, pa.Array], str]:
    txn_id = batch.required("txn_id")
    occurred = _instants(batch, limits)
    amount = _fen(batch)
    direction = batch.choice("direction", DIRECTIONS)
    txn_type = batch.choice("txn_type", TXN_TYPES)
    mcc = batch.text("mcc")
    batch.reject(pc.invert(pc.match_substring_regex(mcc, r"^\d{4}$")), "mcc", "not a 4-digit merchant category code")
    customer_no, account = batch.text("customer_no"), batch.text("account_no")
    bidx, owner, masked = _accounts(account, directory)
    batch.reject(pc.and_(pc.is_valid(account), pc.is_null(owner)), "account_no", "no account with this number")
    differs = pc.and_(pc.is_valid(owner), pc.not_equal(owner, customer_no))
    batch.reject(pc.and_(pc.is_valid(customer_no), differs), "account_no", "belongs to another customer")
    number = pc.coalesce(customer_no, owner)
    unit = _units(number, directory)
    batch.reject(
        pc.and_(pc.is_null(number), pc.is_null(account)), "customer_no", "missing: give customer_no or account_no"
    )
    batch.reject(pc.and_(pc.is_valid(customer_no), pc.is_null(unit)), "customer_no", "no customer with this number")
    columns = {
        "txn_id": txn_id, "occurred_at": occurred, "one_id": unit, "customer_no": number, "account_bidx": bidx,
        "account_masked": masked, "amount_fen": amount, "direction": direction, "txn_type": txn_type,
        "channel": batch.text("channel"), "mcc": mcc, "merchant": batch.text("merchant"),
        "product_code": batch.text("product_code"),
    }  # fmt: skip
    return columns, "txn_id"


def _events(batch: _Batch, directory: Directory, limits: Limits) -> tuple[dict[str, pa.Array], str]:
    event_id = batch.required("event_id")
    kind = batch.required("type")
    batch.reject(pc.invert(pc.is_in(kind, pa.array(sorted(directory.event_types)))), "type", "unknown event type")
    occurred = _instants(batch, limits)
    customer_no, device = batch.text("customer_no"), batch.text("device_id")
    unit = _units(customer_no, directory)
    batch.reject(
        pc.and_(pc.is_null(customer_no), pc.is_null(device)), "customer_no", "missing: give customer_no or device_id"
    )
    batch.reject(pc.and_(pc.is_valid(customer_no), pc.is_null(unit)), "customer_no", "no customer with this number")
    properties = _properties(batch)
    columns = {
        "event_id": event_id, "type": kind, "occurred_at": occurred, "one_id": unit, "customer_no": customer_no,
        "channel": batch.text("channel"), "properties": properties,
    }  # fmt: skip
    return columns, "event_id"


def _instants(batch: _Batch, limits: Limits) -> pa.Array:
    raw = batch.column("occurred_at")
    if pa.types.is_timestamp(raw.type):
        typed = (
            raw
            if raw.type.tz
            else pc.assume_timezone(raw, str(limits.zone), ambiguous="earliest", nonexistent="latest")
        )
        value = pc.cast(typed, TIMESTAMP)
    else:
        value = pa.array([_instant(v, limits.zone) for v in raw.to_pylist()], TIMESTAMP)
        batch.reject(pc.and_(pc.is_valid(raw), pc.is_null(value)), "occurred_at", "not an ISO 8601 timestamp")
    batch.reject(pc.is_null(raw), "occurred_at", "required")
    batch.reject(pc.greater(value, pa.scalar(limits.latest, TIMESTAMP)), "occurred_at", "in the future")
    return value


def _instant(value: Any, zone: tzinfo) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    try:
        return parse_instant(str(value), zone)
    except ClockError:
        return None


def _fen(batch: _Batch) -> pa.Array:
    raw = batch.column("amount")
    if pa.types.is_decimal(raw.type) and raw.type.scale <= 2:  # noqa: PLR2004
        yuan = pc.cast(raw, pa.decimal128(18, 2))
        fen = pc.cast(pc.multiply(yuan, pa.scalar(Decimal(100), pa.decimal128(3, 0))), pa.int64())
    else:
        fen = pa.array([_one_fen(v) for v in raw.to_pylist()], pa.int64())
        batch.reject(pc.and_(pc.is_valid(raw), pc.is_null(fen)), "amount", "not yuan with at most 2 decimals")
    batch.reject(pc.is_null(raw), "amount", "required")
    batch.reject(pc.less_equal(fen, 0), "amount", "must be greater than 0")
    return fen


def _one_fen(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def _accounts(account: pa.Array, directory: Directory) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Each row's account as blind index (hashed once per distinct number), its owner and its mask."""
    known, accounts = directory.hashed_accounts, directory.account_of()
    encoded = pc.dictionary_encode(account)
    hashes = [known.get(a) or known.setdefault(a, directory.blind_index(a)) for a in encoded.dictionary.to_pylist()]
    found = [accounts.get(h, (None, None)) for h in hashes]
    indices = encoded.indices
    return (
        pc.take(pa.array(hashes, pa.string()), indices),
        pc.take(pa.array([f[0] for f in found], pa.string()), indices),
        pc.take(pa.array([f[1] for f in found], pa.string()), indices),
    )


def _units(number: pa.Array, directory: Directory) -> pa.Array:
    """Each row's ONE_ID: the batch's distinct numbers looked up once each, spread back to the rows."""
    units = directory.unit_of()
    encoded = pc.dictionary_encode(number)
    mapped = pa.array([units.get(n) for n in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(mapped, encoded.indices)


def _properties(batch: _Batch) -> pa.Array:
    raw = batch.column("properties")
    if not pa.types.is_string(raw.type) and not pa.types.is_null(raw.type):
        raw = pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in raw.to_pylist()], pa.string())
    text = pc.fill_null(pc.cast(raw, pa.string()), "{}")
    trimmed = pc.utf8_trim_whitespace(text)
    is_object = pc.and_(pc.starts_with(trimmed, "{"), pc.ends_with(trimmed, "}"))
    batch.reject(pc.invert(is_object), "properties", "must be a JSON object")
    return text


def _repeats(ids: pa.Array, keep: pa.Array) -> pa.Array:
    """Rows whose id appeared earlier in the batch among accepted rows (the first one stays)."""
    if len(pc.unique(ids)) == len(ids):  # the usual case, and a cheap test
        return pa.array([False] * len(ids))
    positions = pa.array(range(len(ids)), pa.int64())
    candidates = pa.table({"id": ids, "pos": positions}).filter(keep)
    first = candidates.group_by("id").aggregate([("pos", "min")]).column("pos_min")
    is_first = pc.is_in(positions, first)
    return pc.and_(keep, pc.invert(is_first))
