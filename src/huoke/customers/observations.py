"""Identity resolution for live events and transactions, inside the caller's transaction.

Most live items name a known customer, or keys ONE_ID already links to one profile: those resolve with set-based
lookups for the whole batch. Only items that bring a new key (a new device, a first WeChat visit) take the slow
path through ONE_ID (`identity_service`), which may create an anonymous profile, merge or split.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from huoke.customers.identity import CUSTOMER_NO
from huoke.customers.identity_service import attach_observation, observation_keys
from huoke.customers.profile_import import Key
from huoke.customers.resolution import resolve
from huoke.customers.store import CustomerRow, HoldingRow, IdentityRow
from huoke.platform.crypto import PiiCipher
from huoke.platform.db import key_in
from huoke.platform.errors import InvalidInput

_IN_BATCH = 500


@dataclass(frozen=True)
class Observed:
    """Where a live item belongs: the identity unit it was observed on and that unit's customer number, if any."""

    unit: str
    customer_no: str | None


def resolve_observations(
    session: Session,
    cipher: PiiCipher,
    identities: Sequence[Mapping[str, str]],
    *,
    now: datetime,
    zone: tzinfo,
    actor: str,
) -> list[Observed | InvalidInput]:
    """One result per identity, in order: its unit, or why it cannot be resolved (unknown customer number …)."""
    today = now.astimezone(zone).date()
    keyed: list[list[Key] | InvalidInput] = []
    for identity in identities:
        try:
            keyed.append(observation_keys(cipher, identity, today=today))
        except InvalidInput as exc:
            keyed.append(exc)
    known = _known_customer_nos(session, [i[CUSTOMER_NO] for i in identities if CUSTOMER_NO in i])
    links = _links(session, [b for keys in keyed if isinstance(keys, list) for _, b, _ in keys])
    results: list[Observed | InvalidInput] = []
    for identity, keys in zip(identities, keyed, strict=True):
        number = identity.get(CUSTOMER_NO)
        if isinstance(keys, InvalidInput):
            results.append(keys)
        elif number is not None and number not in known:
            results.append(InvalidInput("identity.customer_no: no customer with this number", code="unknown_customer"))
        else:
            unit = _linked_unit(keys, links)
            if unit is None:
                unit = attach_observation(session, keys, now)
                resolve(session, {unit}, now=now, actor=actor)
                links = _links(session, _still_needed(keyed, len(results)))
            results.append(Observed(unit, number or _customer_no_of(session, unit)))
    return results


def _known_customer_nos(session: Session, numbers: Iterable[str]) -> set[str]:
    wanted = sorted(set(numbers))
    found: set[str] = set()
    for start in range(0, len(wanted), _IN_BATCH):
        chunk = wanted[start : start + _IN_BATCH]
        found.update(
            n
            for n in session.scalars(
                select(CustomerRow.customer_no).where(key_in(CustomerRow.customer_no, chunk, _dialect(session)))
            )
            if n
        )
    return found


def _links(session: Session, bidx: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
    """Blind index → [(kind, origin unit, owning profile)] for keys ONE_ID currently links."""
    wanted = sorted(set(bidx))
    links: dict[str, list[tuple[str, str, str]]] = {}
    for start in range(0, len(wanted), _IN_BATCH):
        query = select(IdentityRow.value_bidx, IdentityRow.kind, IdentityRow.origin_one_id, IdentityRow.one_id).where(
            key_in(IdentityRow.value_bidx, wanted[start : start + _IN_BATCH], _dialect(session)),
            IdentityRow.detached.is_(False),
        )
        for value, kind, origin, owner in session.execute(query):
            links.setdefault(value, []).append((kind, origin, owner))
    return links


def _linked_unit(keys: list[Key], links: Mapping[str, list[tuple[str, str, str]]]) -> str | None:
    """The unit to record the item on when every key is already linked to one and the same profile."""
    rows = [row for _, bidx, _ in keys for row in links.get(bidx, [])]
    if any(bidx not in links for _, bidx, _ in keys) or len({owner for _, _, owner in rows}) != 1:
        return None
    anchored = sorted(origin for kind, origin, _ in rows if kind == CUSTOMER_NO)
    return anchored[0] if anchored else min(origin for _, origin, _ in rows)


def _still_needed(keyed: Sequence[list[Key] | InvalidInput], done: int) -> list[str]:
    return [b for keys in keyed[done:] if isinstance(keys, list) for _, b, _ in keys]


def _customer_no_of(session: Session, unit: str) -> str | None:
    row = session.scalars(select(CustomerRow).where(CustomerRow.one_id == unit)).one()
    if row.customer_no is not None or row.merged_into is None:
        return row.customer_no
    return session.scalars(select(CustomerRow.customer_no).where(CustomerRow.one_id == row.merged_into)).one()


def accounts_of(session: Session, cipher: PiiCipher, account_nos: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """Account number → (blind index, masked, owner's customer number) for the accounts the bank knows."""
    by_bidx = {cipher.blind_index("account_no", n): n for n in set(account_nos)}
    found: dict[str, tuple[str, str, str]] = {}
    wanted = sorted(by_bidx)
    for start in range(0, len(wanted), _IN_BATCH):
        query = select(HoldingRow.account_bidx, HoldingRow.account_masked, HoldingRow.customer_no).where(
            key_in(HoldingRow.account_bidx, wanted[start : start + _IN_BATCH], _dialect(session))
        )
        for bidx, masked, customer_no in session.execute(query):
            found[by_bidx[bidx]] = (bidx, masked, customer_no)
    return found


def units_of_customers(session: Session, numbers: Iterable[str]) -> dict[str, str]:
    """Customer number → the customer's own identity unit (its profile's ONE_ID) for known customers."""
    wanted = sorted(set(numbers))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _IN_BATCH):
        query = select(CustomerRow.customer_no, CustomerRow.one_id).where(
            key_in(CustomerRow.customer_no, wanted[start : start + _IN_BATCH], _dialect(session))
        )
        found.update({n: u for n, u in session.execute(query) if n is not None})
    return found


def profile_units(session: Session, one_id: str) -> list[str]:
    """The profile's own unit and every unit ONE_ID merged into it (where its live items are recorded)."""
    merged = session.scalars(select(CustomerRow.one_id).where(CustomerRow.merged_into == one_id))
    return [one_id, *sorted(merged)]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
