"""API key use cases: create (the token is shown once), verify, revoke, list. Each opens one unit of work.

A token reads ``hk_<key_id>_<secret>``. Only a SHA-256 hash of the secret is stored: the secret carries 256
random bits, so a fast hash is enough (no password stretching needed) and a stolen table yields no tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from huoke.platform.errors import InvalidInput, NotFound, Unauthorized
from huoke.platform.runtime import Runtime
from huoke.platform.store import ApiKeyRow, append_audit

TOKEN_PREFIX = "hk_"  # noqa: S105 - a public marker, not a credential
MAX_NAME_LENGTH = 128
_TOKEN = re.compile(r"hk_(?P<key_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{16,128})")
# Compared against when the key id is unknown, so a miss costs the same as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """An API key as operators see it: never its secret."""

    key_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "active"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def create_api_key(runtime: Runtime, name: str, *, actor: str = "cli") -> tuple[str, str]:
    """A new key named NAME: ``(key_id, token)``. The token is returned only here; store it safely."""
    label = _checked_name(name)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    with runtime.uow() as uow:
        now = runtime.clock().now()
        uow.session.add(
            ApiKeyRow(key_id=key_id, name=label, secret_hash=_hash(secret), created_at=now, revoked_at=None)
        )
        append_audit(uow.session, at=now, actor=actor, action="api_key.created", subject=key_id, detail={"name": label})
        uow.commit()
    return key_id, f"{TOKEN_PREFIX}{key_id}_{secret}"


def verify_api_key(runtime: Runtime, token: str | None) -> str:
    """The key id of a valid, unrevoked TOKEN; Unauthorized if missing, malformed, unknown or revoked."""
    if not token:
        raise Unauthorized(
            "an API key is required: send `Authorization: Bearer <token>` or `X-API-Key: <token>`",
            code="invalid_api_key",
        )
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise _invalid()
    with runtime.uow() as uow:
        row = uow.session.get(ApiKeyRow, match["key_id"])
        stored = row.secret_hash if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(stored, _hash(match["secret"]))
        if row is None or not matches or row.revoked_at is not None:
            raise _invalid()
        return row.key_id


def revoke_api_key(runtime: Runtime, key_id: str, *, actor: str = "cli") -> ApiKey:
    """Revoke a key at once; revoking it again changes nothing (safe to retry)."""
    with runtime.uow() as uow:
        row = uow.session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFound(f"no API key with id {key_id!r}; `huoke apikeys list` shows them", code="api_key_not_found")
        if row.revoked_at is None:
            now = runtime.clock().now()
            row.revoked_at = now
            append_audit(
                uow.session,
                at=now,
                actor=actor,
                action="api_key.revoked",
                subject=key_id,
                detail={"name": row.name},
            )
            uow.commit()
        return _key(row)


def list_api_keys(runtime: Runtime) -> list[ApiKey]:
    """Every key, oldest first, active and revoked; secrets are never part of it."""
    with runtime.uow() as uow:
        rows = uow.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id))
        return [_key(r) for r in rows]


def _checked_name(name: str) -> str:
    label = name.strip()
    if not label or len(label) > MAX_NAME_LENGTH:
        raise InvalidInput(f"API key name must be 1 to {MAX_NAME_LENGTH} characters, not {len(label)}", code="bad_name")
    return label


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _invalid() -> Unauthorized:
    # One message for malformed, unknown and revoked keys: a caller learns nothing about which keys exist.
    return Unauthorized(
        "the API key is not valid (unknown, revoked or malformed); "
        "an operator creates one with `huoke apikeys create NAME`",
        code="invalid_api_key",
    )


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(key_id=row.key_id, name=row.name, created_at=row.created_at, revoked_at=row.revoked_at)
