"""Unsubscribe links of marketing e-mail (RFC 8058 one-click): a token naming the message, signed so that
nobody can unsubscribe someone else by guessing."""

from __future__ import annotations

import hmac

from huoke.platform.runtime import Runtime

TOKEN_SIGNATURE_LENGTH = 20


def unsubscribe_token(runtime: Runtime, message_id: str) -> str:
    return f"{message_id}.{_signature(runtime, message_id)}"


def unsubscribe_url(runtime: Runtime, message_id: str) -> str:
    return f"{runtime.settings.public_base_url.rstrip('/')}/u/{unsubscribe_token(runtime, message_id)}"


def message_of_token(runtime: Runtime, token: str) -> str | None:
    """The message a genuine token names, or None for a forged or mangled one."""
    message_id, _, signature = token.partition(".")
    if not message_id or not signature:
        return None
    return message_id if hmac.compare_digest(signature, _signature(runtime, message_id)) else None


def _signature(runtime: Runtime, message_id: str) -> str:
    return runtime.cipher.blind_index("unsubscribe", message_id)[:TOKEN_SIGNATURE_LENGTH]
