"""One profile as plain values for other contexts' rules: its attributes, its branch's place in the org tree,
its holdings and its identity units. Read in the caller's session; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers.observations import profile_units
from huoke.customers.snapshot import CUSTOMER_FIELDS
from huoke.customers.store import AttributeDefinitionRow, CustomerRow, HoldingRow, OrgUnitRow
from huoke.platform.db import key_in

_IN_BATCH = 5000
_PROFILE_COLUMNS = tuple(name for name, _ in CUSTOMER_FIELDS if name not in {"one_id", "status", "merged_into"})
_HOLDING_COLUMNS = ("product_type", "product_code", "card_level", "card_role", "status", "balance_fen")


@dataclass(frozen=True)
class ProfileRecord:
    """A live profile: standard and custom attributes, org path (ancestors of its branch), holdings, units.

    Holdings are dicts with the holding filter's fields, ``balance_fen``, ``opened_at`` (midnight of the opening
    business date in the business time zone) and ``approved_at``.
    """

    one_id: str
    attributes: dict[str, Any]
    org_path: tuple[str, ...]
    holdings: list[dict[str, Any]]
    units: list[str]


def profile_record(session: Session, one_id: str, zone: tzinfo) -> ProfileRecord | None:
    """The live profile ``one_id`` stands for (following merges), or None when there is no such customer."""
    row = session.scalars(select(CustomerRow).where(CustomerRow.one_id == one_id)).first()
    while row is not None and row.merged_into is not None:
        row = session.scalars(select(CustomerRow).where(CustomerRow.one_id == row.merged_into)).first()
    if row is None or row.status == "merged":
        return None
    attributes = {**(row.attributes or {}), **{name: getattr(row, name) for name in _PROFILE_COLUMNS}}
    return ProfileRecord(
        one_id=row.one_id,
        attributes=attributes,
        org_path=_org_path(session, row.branch_code),
        holdings=_holdings(session, row.one_id, zone),
        units=profile_units(session, row.one_id),
    )


def _org_path(session: Session, branch: str | None) -> tuple[str, ...]:
    if branch is None:
        return ()
    path = session.scalar(select(OrgUnitRow.path).where(OrgUnitRow.code == branch))
    return tuple(code for code in (path or "").split("/") if code)


def _holdings(session: Session, one_id: str, zone: tzinfo) -> list[dict[str, Any]]:
    rows = session.scalars(select(HoldingRow).where(HoldingRow.one_id == one_id).order_by(HoldingRow.id))
    return [
        {
            **{name: getattr(row, name) for name in _HOLDING_COLUMNS},
            "opened_at": _midnight(row.opened_at, zone),
            "approved_at": row.approved_at,
        }
        for row in rows
    ]


def _midnight(day: date | None, zone: tzinfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), zone)


def custom_attribute_names(session: Session) -> set[str]:
    """The custom customer attributes imports have defined so far."""
    return set(session.scalars(select(AttributeDefinitionRow.name)))


def customer_numbers(session: Session, one_ids: Iterable[str]) -> dict[str, str]:
    """ONE_ID → customer number, for the profiles that have one."""
    wanted = sorted(set(one_ids))
    dialect = session.get_bind().dialect.name
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _IN_BATCH):
        query = select(CustomerRow.one_id, CustomerRow.customer_no).where(
            key_in(CustomerRow.one_id, wanted[start : start + _IN_BATCH], dialect)
        )
        found.update({one_id: number for one_id, number in session.execute(query) if number is not None})
    return found


def live_rows(session: Session, one_ids: Iterable[str]) -> dict[str, CustomerRow]:
    """ONE_ID → the live customer row it stands for (following merges), for those that exist."""
    rows = _rows_by_one_id(session, set(one_ids))
    survivors = {row.merged_into for row in rows.values() if row.merged_into} - set(rows)
    rows |= _rows_by_one_id(session, survivors)
    found: dict[str, CustomerRow] = {}
    for one_id in one_ids:
        row = rows.get(one_id)
        for _ in range(8):  # merge chains are short; a longer one is followed row by row
            if row is None or row.merged_into is None:
                break
            row = rows.get(row.merged_into) or _rows_by_one_id(session, {row.merged_into}).get(row.merged_into)
        if row is not None and row.status != "merged" and row.merged_into is None:
            found[one_id] = row
    return found


def profile_records(session: Session, rows: Iterable[CustomerRow], zone: tzinfo) -> dict[str, ProfileRecord]:
    """``profile_record`` for many live rows at once: a handful of statements whatever their number."""
    live = {row.one_id: row for row in rows}
    paths = _org_paths(session, {row.branch_code for row in live.values() if row.branch_code})
    holdings = _holdings_of(session, list(live), zone)
    merged = _merged_units(session, list(live))
    return {
        one_id: ProfileRecord(
            one_id=one_id,
            attributes={**(row.attributes or {}), **{name: getattr(row, name) for name in _PROFILE_COLUMNS}},
            org_path=paths.get(row.branch_code or "", ()),
            holdings=holdings.get(one_id, []),
            units=[one_id, *sorted(merged.get(one_id, []))],
        )
        for one_id, row in live.items()
    }


def _rows_by_one_id(session: Session, one_ids: set[str]) -> dict[str, CustomerRow]:
    wanted, dialect, found = sorted(one_ids), session.get_bind().dialect.name, {}
    for start in range(0, len(wanted), _IN_BATCH):
        query = select(CustomerRow).where(key_in(CustomerRow.one_id, wanted[start : start + _IN_BATCH], dialect))
        found.update({row.one_id: row for row in session.scalars(query)})
    return found


def _org_paths(session: Session, branches: set[str]) -> dict[str, tuple[str, ...]]:
    if not branches:
        return {}
    rows = session.execute(select(OrgUnitRow.code, OrgUnitRow.path).where(OrgUnitRow.code.in_(sorted(branches))))
    return {code: tuple(c for c in (path or "").split("/") if c) for code, path in rows}


def _holdings_of(session: Session, one_ids: list[str], zone: tzinfo) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    dialect = session.get_bind().dialect.name
    for start in range(0, len(one_ids), _IN_BATCH):
        chunk = one_ids[start : start + _IN_BATCH]
        query = select(HoldingRow).where(key_in(HoldingRow.one_id, chunk, dialect)).order_by(HoldingRow.id)
        for row in session.scalars(query):
            found.setdefault(row.one_id, []).append(
                {
                    **{name: getattr(row, name) for name in _HOLDING_COLUMNS},
                    "opened_at": _midnight(row.opened_at, zone),
                    "approved_at": row.approved_at,
                }
            )
    return found


def _merged_units(session: Session, one_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    dialect = session.get_bind().dialect.name
    for start in range(0, len(one_ids), _IN_BATCH):
        chunk = one_ids[start : start + _IN_BATCH]
        query = select(CustomerRow.one_id, CustomerRow.merged_into).where(
            key_in(CustomerRow.merged_into, chunk, dialect)
        )
        for unit, survivor in session.execute(query):
            if survivor is not None:
                found.setdefault(survivor, []).append(unit)
    return found


def attribute_dates(session: Session, attr: str, one_ids: Iterable[str] | None = None) -> dict[str, date]:
    """ONE_ID → the date held in attribute ATTR (a standard date column such as ``birth_date`` or a custom
    attribute holding an ISO date), for live profiles that have one; all live profiles unless ONE_IDS."""
    standard = attr in {"birth_date", "opened_at"}
    columns = [CustomerRow.one_id, getattr(CustomerRow, attr) if standard else CustomerRow.attributes]
    query = select(*columns).where(CustomerRow.merged_into.is_(None), CustomerRow.status != "merged")
    wanted = None if one_ids is None else set(one_ids)
    found: dict[str, date] = {}
    for one_id, value in session.execute(query):
        if wanted is not None and one_id not in wanted:
            continue
        day = value if standard else _iso_date((value or {}).get(attr))
        if isinstance(day, date):
            found[one_id] = day
    return found


def _iso_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
