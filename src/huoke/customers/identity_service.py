"""Use case: record identities observed together (an app login, a WeChat follow, an event) and resolve them.

Observations without a customer number form anonymous profiles; ONE_ID merges them into the customer they
identify as soon as that is unambiguous, and splits them out again if a later record makes it ambiguous.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from huoke.customers.identity import STRENGTH, Strength
from huoke.customers.profile_import import IDENTITY_FIELDS, Key, new_one_id
from huoke.customers.resolution import resolve
from huoke.customers.store import CustomerRow, IdentityRow
from huoke.customers.validation import normalize_email, normalize_mobile, normalize_resident_id
from huoke.platform.crypto import PiiCipher
from huoke.platform.errors import InvalidInput
from huoke.platform.runtime import Runtime

_MASKS: dict[str, Callable[[str], str]] = {kind: show for kind, _, show in IDENTITY_FIELDS}
_MASKS.update({"device_id": lambda v: f"{v[:4]}…", "wecom_external_id": lambda v: f"{v[:4]}…"})


def observe_identities(runtime: Runtime, identity: Mapping[str, str], *, actor: str) -> dict[str, Any]:
    """Link keys seen together; returns the profile they belong to now and whether ONE_ID merged anything."""
    with runtime.uow() as uow:
        now = runtime.clock().now()
        keys = observation_keys(runtime.cipher, identity, today=now.astimezone(runtime.settings.zone).date())
        unit, created = _attach(uow.session, keys, now)
        outcome = resolve(uow.session, {unit}, now=now, actor=actor)
        profile = uow.session.scalars(select(CustomerRow).where(CustomerRow.one_id == unit)).one()
        uow.commit()
    return {
        "one_id": profile.merged_into or profile.one_id,
        "unit_one_id": unit,
        "created": created,
        "merges": outcome.merges,
        "unmerges": outcome.unmerges,
    }


def observation_keys(cipher: PiiCipher, identity: Mapping[str, str], *, today: Any) -> list[Key]:
    """Validated (kind, blind index, masked) keys; unknown kinds and invalid values are refused by name."""
    keys: list[Key] = []
    for kind, raw in identity.items():
        if kind not in STRENGTH:
            raise InvalidInput(
                f"identity.{kind}: unknown identity kind; use one of {', '.join(sorted(STRENGTH))}",
                code="unknown_identity_kind",
            )
        value = _normalise(kind, str(raw), today)
        keys.append((kind, cipher.blind_index(kind, value), _MASKS[kind](value)))
    if not keys:
        raise InvalidInput("identity names no key", code="empty_identity")
    return keys


def _normalise(kind: str, raw: str, today: Any) -> str:
    try:
        if kind == "phone":
            return normalize_mobile(raw)
        if kind == "email":
            return normalize_email(raw)
        if kind == "resident_id":
            return normalize_resident_id(raw, today=today)
    except ValueError as exc:
        raise InvalidInput(f"identity.{kind}: {exc}", code="invalid_identity") from exc
    if not raw.strip() or len(raw) > 128:  # noqa: PLR2004
        raise InvalidInput(f"identity.{kind}: must be 1 to 128 characters", code="invalid_identity")
    return raw.strip()


def attach_observation(session: Session, keys: list[Key], now: datetime) -> str:
    """Record keys seen together on an identity unit (an existing anonymous chain or a new one); no resolution."""
    return _attach(session, keys, now)[0]


def _attach(session: Session, keys: list[Key], now: datetime) -> tuple[str, bool]:
    """Extend the one anonymous observation chain holding any of these keys, or start a new one."""
    holders = set(
        session.scalars(select(IdentityRow.origin_one_id).where(IdentityRow.value_bidx.in_([b for _, b, _ in keys])))
    )
    anonymous = sorted(
        session.scalars(
            select(CustomerRow.one_id).where(CustomerRow.one_id.in_(holders), CustomerRow.customer_no.is_(None))
        )
    )
    anchored = [u for u in anonymous if _has_strong_key(session, u)]
    chains = [u for u in anonymous if u not in anchored]
    strong = any(STRENGTH[k] is Strength.STRONG for k, _, _ in keys)
    if len(chains) == 1 and not strong:
        unit, created = chains[0], False
    else:
        unit, created = new_one_id(), True
        session.add(CustomerRow(one_id=unit, status="active", attributes={}, created_at=now, updated_at=now))
        session.flush()
    have = set(session.scalars(select(IdentityRow.value_bidx).where(IdentityRow.origin_one_id == unit)))
    owner = session.scalars(select(CustomerRow.merged_into).where(CustomerRow.one_id == unit)).one() or unit
    fresh = [
        {
            "one_id": owner,
            "origin_one_id": unit,
            "kind": k,
            "value_bidx": b,
            "masked": m,
            "detached": False,
            "created_at": now,
        }
        for k, b, m in keys
        if b not in have
    ]
    if fresh:
        session.execute(insert(IdentityRow), fresh)
    return unit, created


def _has_strong_key(session: Session, unit: str) -> bool:
    kinds = set(session.scalars(select(IdentityRow.kind).where(IdentityRow.origin_one_id == unit)))
    return any(STRENGTH[k] is Strength.STRONG for k in kinds)
