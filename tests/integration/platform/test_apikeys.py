"""API keys on a real store: the token is shown once, only a hash is kept, revocation is immediate."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from huoke.platform.apikeys import create_api_key, list_api_keys, revoke_api_key, verify_api_key
from huoke.platform.errors import InvalidInput, NotFound, Unauthorized
from huoke.platform.runtime import Runtime
from huoke.platform.store import ApiKeyRow, audit_entries
from tests.conftest import START


def test_a_created_token_verifies_to_its_key_id(runtime: Runtime) -> None:
    key_id, token = create_api_key(runtime, "mobile-app")

    assert token.startswith(f"hk_{key_id}_")
    assert verify_api_key(runtime, token) == key_id


def test_only_a_sha256_hash_of_the_secret_is_stored(runtime: Runtime) -> None:
    key_id, token = create_api_key(runtime, "mobile-app")
    secret = token.removeprefix(f"hk_{key_id}_")

    with runtime.uow() as uow:
        row = uow.session.scalars(select(ApiKeyRow)).one()
        stored = {c.key: getattr(row, c.key) for c in ApiKeyRow.__table__.columns}
    assert stored["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in stored.values())
    assert stored["created_at"] == START


@pytest.mark.parametrize(
    "token",
    [None, "", "nonsense", "hk_", "hk_0123456789abcdef_", "Bearer hk_x_y", "hk_0123456789abcdef_" + "A" * 43],
)
def test_missing_malformed_or_unknown_tokens_are_refused(runtime: Runtime, token: str | None) -> None:
    create_api_key(runtime, "mobile-app")

    with pytest.raises(Unauthorized) as caught:
        verify_api_key(runtime, token)
    assert caught.value.code == "invalid_api_key"
    assert caught.value.http_status == 401


def test_a_wrong_secret_for_a_real_key_id_is_refused(runtime: Runtime) -> None:
    _, token = create_api_key(runtime, "mobile-app")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(Unauthorized):
        verify_api_key(runtime, tampered)


def test_a_revoked_key_is_refused_at_once_and_others_still_work(runtime: Runtime) -> None:
    gone_id, gone = create_api_key(runtime, "old-partner")
    kept_id, kept = create_api_key(runtime, "mobile-app")

    revoked = revoke_api_key(runtime, gone_id)

    assert revoked.status == "revoked"
    assert revoked.revoked_at == START
    with pytest.raises(Unauthorized):
        verify_api_key(runtime, gone)
    assert verify_api_key(runtime, kept) == kept_id


def test_revoking_twice_is_safe_and_audited_once(runtime: Runtime) -> None:
    key_id, _ = create_api_key(runtime, "mobile-app")

    revoke_api_key(runtime, key_id)
    again = revoke_api_key(runtime, key_id)

    assert again.status == "revoked"
    with runtime.uow() as uow:
        actions = [e.action for e in audit_entries(uow.session, subject=key_id)]
    assert actions == ["api_key.revoked", "api_key.created"]


def test_revoking_an_unknown_key_names_it(runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="nope"):
        revoke_api_key(runtime, "nope")


def test_listing_shows_names_and_states_but_never_secrets(runtime: Runtime) -> None:
    first_id, first = create_api_key(runtime, "mobile-app")
    second_id, second = create_api_key(runtime, "wechat-bot")
    revoke_api_key(runtime, first_id)

    keys = list_api_keys(runtime)

    assert {(k.key_id, k.name, k.status) for k in keys} == {
        (first_id, "mobile-app", "revoked"),
        (second_id, "wechat-bot", "active"),
    }
    listing = repr([k.as_dict() for k in keys])
    for token in (first, second):
        assert token.split("_", 2)[2] not in listing


@pytest.mark.parametrize("name", ["", "   ", "x" * 129])
def test_a_key_needs_a_sensible_name(runtime: Runtime, name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        create_api_key(runtime, name)
    assert caught.value.code == "bad_name"


def test_creation_is_audited_with_the_name(runtime: Runtime) -> None:
    key_id, _ = create_api_key(runtime, "mobile-app", actor="ops@bank")

    with runtime.uow() as uow:
        entries = [(e.action, e.actor, e.detail) for e in audit_entries(uow.session, subject=key_id)]
    assert entries == [("api_key.created", "ops@bank", {"name": "mobile-app"})]
