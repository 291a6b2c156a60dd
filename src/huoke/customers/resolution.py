"""ONE_ID over the store: gather the affected component, partition it (pure), apply the differences.

Each profile row is an identity *unit* (what one origin said about a person); its identity rows carry the
keys as blind indexes. The pure ``identity.partition`` decides the groups; this module only loads and saves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huoke.customers import identity
from huoke.customers.store import CustomerRow, IdentityConflictRow, IdentityRow, ProfileMergeRow
from huoke.platform.bulk import one_of
from huoke.platform.store import append_audit

MAX_COMPONENT_UNITS = 2000
# keys per lookup: small enough that PostgreSQL probes the index rather than scanning a mid-sized table
_LOOKUP_BATCH = 2000


@dataclass(frozen=True)
class ResolutionOutcome:
    merges: int
    unmerges: int
    conflicts: int


def units_sharing_keys(session: Session, bidx_values: Iterable[str], exclude: set[str]) -> set[str]:
    """Origin units (other than ``exclude``) holding any of these blind-index values."""
    values = list(set(bidx_values))
    found: set[str] = set()
    for start in range(0, len(values), _LOOKUP_BATCH):
        batch = values[start : start + _LOOKUP_BATCH]
        query = select(IdentityRow.origin_one_id).where(
            one_of(session, IdentityRow.value_bidx, batch), IdentityRow.detached.is_(False)
        )
        found.update(session.scalars(query))
    return found - exclude


def resolve(session: Session, seeds: set[str], *, now: datetime, actor: str) -> ResolutionOutcome:
    """Re-decide ONE_ID for the component around ``seeds`` and apply merges, unmerges and conflicts."""
    units = _load_component(session, seeds)
    result = identity.partition(units.values())
    current = _current_assignment(session, set(units))
    changes = identity.reconcile(current, result)
    for change in changes:
        _apply(session, change, now=now, actor=actor)
    conflicts = _record_conflicts(session, result.conflicts, now=now)
    merges = sum(1 for c in changes if c.kind == "merge")
    return ResolutionOutcome(merges=merges, unmerges=len(changes) - merges, conflicts=conflicts)


def _load_component(session: Session, seeds: set[str]) -> dict[str, identity.IdentityUnit]:
    keys: dict[str, set[identity.IdentityKey]] = {}
    frontier = set(seeds)
    while frontier and len(keys) < MAX_COMPONENT_UNITS:
        loaded = _keys_of(session, frontier)
        keys.update(loaded)
        values = {k.value for ks in loaded.values() for k in ks}
        frontier = units_sharing_keys(session, values, exclude=set(keys))
    ranks = dict(
        list(session.execute(select(CustomerRow.one_id, CustomerRow.id).where(CustomerRow.one_id.in_(list(keys)))))
    )
    return {u: identity.IdentityUnit(u, frozenset(ks), ranks[u]) for u, ks in keys.items()}


def _keys_of(session: Session, units: set[str]) -> dict[str, set[identity.IdentityKey]]:
    found: dict[str, set[identity.IdentityKey]] = {u: set() for u in units}
    rows = session.execute(
        select(IdentityRow.origin_one_id, IdentityRow.kind, IdentityRow.value_bidx).where(
            IdentityRow.origin_one_id.in_(list(units)), IdentityRow.detached.is_(False)
        )
    )
    for origin, kind, value in rows:
        found[origin].add(identity.IdentityKey(kind, value))
    return found


def _current_assignment(session: Session, units: set[str]) -> dict[str, str]:
    rows = session.execute(
        select(CustomerRow.one_id, CustomerRow.merged_into).where(CustomerRow.one_id.in_(list(units)))
    )
    return {one_id: merged_into or one_id for one_id, merged_into in rows}


def _apply(session: Session, change: identity.Reassignment, *, now: datetime, actor: str) -> None:
    merged = change.to_profile != change.unit_id
    session.execute(
        update(CustomerRow)
        .where(CustomerRow.one_id == change.unit_id)
        .values(
            status="merged" if merged else "active",
            merged_into=change.to_profile if merged else None,
            updated_at=now,
        )
    )
    session.execute(
        update(IdentityRow).where(IdentityRow.origin_one_id == change.unit_id).values(one_id=change.to_profile)
    )
    session.add(
        ProfileMergeRow(
            kind=change.kind,
            unit_one_id=change.unit_id,
            from_one_id=change.from_profile,
            to_one_id=change.to_profile,
            at=now,
            actor=actor,
        )
    )
    append_audit(
        session,
        at=now,
        actor=actor,
        action=f"profile.{change.kind}",
        subject=change.unit_id,
        detail={"from": change.from_profile, "to": change.to_profile},
    )


def _record_conflicts(session: Session, conflicts: Iterable[identity.IdentityConflict], *, now: datetime) -> int:
    count = 0
    for conflict in conflicts:
        key = conflict.key
        row = session.scalars(
            select(IdentityConflictRow).where(
                IdentityConflictRow.reason == conflict.reason,
                IdentityConflictRow.kind == key.kind,
                IdentityConflictRow.value_bidx == key.value,
            )
        ).one_or_none()
        one_ids = sorted(conflict.unit_ids)
        if row is None:
            session.add(
                IdentityConflictRow(
                    reason=conflict.reason,
                    kind=key.kind,
                    value_bidx=key.value,
                    masked=_masked(session, key),
                    one_ids=one_ids,
                    detected_at=now,
                )
            )
            count += 1
        elif row.one_ids != one_ids:
            row.one_ids, row.status, row.detected_at = one_ids, "open", now
            count += 1
    return count


def _masked(session: Session, key: identity.IdentityKey) -> str:
    masked = session.scalars(
        select(IdentityRow.masked).where(IdentityRow.kind == key.kind, IdentityRow.value_bidx == key.value).limit(1)
    ).first()
    return masked or "***"
