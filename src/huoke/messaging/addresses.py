"""Customers' addresses on WeChat, WeCom and app push, kept encrypted for sending.

huoke keeps these identifiers elsewhere only as blind indexes (they identify a person), so it cannot read
them back to address a message. The address book holds them encrypted, one per customer and channel, filled
by a bank's address file (`huoke messages addresses FILE`), by the API, and by WeChat follow events.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers.service import one_ids_by_customer_no
from huoke.messaging.store import AddressRow
from huoke.platform.crypto import PiiCipher
from huoke.platform.errors import InvalidInput, NotFound
from huoke.platform.runtime import Runtime
from huoke.platform.store import append_audit

ADDRESSED_CHANNELS = ("wechat_template", "wecom_text", "push")
ADDRESS_MAX = 256
_FIELD = "channel_address"  # the cipher's field name: its own key derivation context


def store_address(
    session: Session, cipher: PiiCipher, *, one_id: str, channel: str, address: str, source: str, now: datetime
) -> None:
    """Keep ADDRESS as ONE_ID's address on CHANNEL (replacing an older one); no commit."""
    check_address(channel, address)
    row = session.scalars(select(AddressRow).where(AddressRow.one_id == one_id, AddressRow.channel == channel)).first()
    if row is None:
        row = AddressRow(one_id=one_id, channel=channel)
        session.add(row)
    row.address_enc, row.address_masked = cipher.encrypt(_FIELD, address), mask_address(address)
    row.source, row.updated_at = source[:64], now


def addresses_of(session: Session, cipher: PiiCipher, one_ids: Iterable[str]) -> dict[tuple[str, str], str]:
    """(one_id, channel) → the clear address, for sending only."""
    wanted, found = sorted(set(one_ids)), {}
    for start in range(0, len(wanted), 5000):
        rows = session.scalars(select(AddressRow).where(AddressRow.one_id.in_(wanted[start : start + 5000])))
        found.update({(r.one_id, r.channel): cipher.decrypt(_FIELD, r.address_enc) for r in rows})
    return found


def set_address(
    runtime: Runtime, *, customer_no: str, channel: str, address: str, source: str, actor: str
) -> dict[str, Any]:
    """Record one customer's address on a channel."""
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        one_id = one_ids_by_customer_no(session, [customer_no]).get(customer_no)
        if one_id is None:
            raise NotFound(f"no customer with customer_no {customer_no}", code="customer_not_found")
        store_address(session, runtime.cipher, one_id=one_id, channel=channel, address=address, source=source, now=now)
        append_audit(session, at=now, actor=actor, action="address.set", subject=one_id, detail={"channel": channel})
        uow.commit()
    return {"customer_no": customer_no, "channel": channel, "address": mask_address(address)}


def import_addresses(runtime: Runtime, path: Path, *, actor: str) -> dict[str, Any]:
    """A CSV of `customer_no,channel,address`: every valid row kept; each bad one reported with its row
    number, field and reason while the rest proceed. Importing the same file again changes nothing."""
    rows = _read(path)
    errors: list[dict[str, Any]] = []
    with runtime.uow() as uow:
        session, now = uow.session, runtime.now()
        one_ids = one_ids_by_customer_no(session, [r.get("customer_no") or "" for _, r in rows])
        accepted = 0
        for number, row in rows:
            problem = _problem(row, one_ids)
            if problem is not None:
                errors.append({"row": number, "field": problem[0], "value": row.get(problem[0]), "reason": problem[1]})
                continue
            store_address(
                session,
                runtime.cipher,
                one_id=one_ids[row["customer_no"]],
                channel=row["channel"],
                address=row["address"],
                source=f"import:{path.name}",
                now=now,
            )
            accepted += 1
        append_audit(
            session,
            at=now,
            actor=actor,
            action="address.imported",
            subject=path.name,
            detail={"accepted": accepted, "rejected": len(errors)},
        )
        uow.commit()
    return {"accepted": accepted, "rejected": len(errors), "errors": errors}


def check_address(channel: str, address: str) -> None:
    if channel not in ADDRESSED_CHANNELS:
        raise InvalidInput(
            f"field 'channel' must be one of {', '.join(ADDRESSED_CHANNELS)}, not {channel!r}", code="bad_channel"
        )
    if not address or len(address) > ADDRESS_MAX or any(c.isspace() for c in address):
        raise InvalidInput(f"field 'address' must be 1 to {ADDRESS_MAX} characters without spaces", code="bad_address")


def mask_address(address: str) -> str:
    return f"{address[:4]}****{address[-4:]}" if len(address) > 10 else "****"  # noqa: PLR2004


def _read(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"customer_no", "channel", "address"} - set(reader.fieldnames or [])
            if missing:
                raise InvalidInput(f"{path}: missing column(s) {', '.join(sorted(missing))}", code="bad_header")
            return [(n, row) for n, row in enumerate(reader, start=2)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", code="unreadable_file") from exc


def _problem(row: dict[str, str], one_ids: dict[str, str]) -> tuple[str, str] | None:
    if (row.get("customer_no") or "") not in one_ids:
        return "customer_no", "no such customer"
    try:
        check_address(row.get("channel") or "", row.get("address") or "")
    except InvalidInput as exc:
        return ("channel" if exc.code == "bad_channel" else "address"), exc.message
    return None
