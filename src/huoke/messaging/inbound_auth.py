"""Provider callbacks authenticate by an HMAC signature of their body under the channel's callback secret
(``callback_secret_env`` in the channels file), not by an API key."""

from __future__ import annotations

import os

from fastapi import Request

from huoke.messaging.channels.config import load_channels_config
from huoke.messaging.config import channels_file
from huoke.messaging.model import Channel
from huoke.messaging.receipts import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from huoke.platform.errors import InvalidInput, PayloadTooLarge, Unauthorized
from huoke.platform.runtime import Runtime

CALLBACK_MAX_BYTES = 1_048_576


async def verify_inbound(runtime: Runtime, request: Request, channel: Channel) -> bytes:
    """The request body once its signature is verified; Unauthorized otherwise (nothing is applied)."""
    body = await request.body()
    if len(body) > CALLBACK_MAX_BYTES:
        raise PayloadTooLarge(f"a callback body is at most {CALLBACK_MAX_BYTES} bytes", code="callback_too_large")
    secret = load_channels_config(channels_file(runtime.settings)).callback_secret(channel, os.environ)
    if secret is None:
        raise Unauthorized(f"callbacks of channel {channel} are not configured (no callback secret)", code="no_secret")
    try:
        verify_signature(
            body, request.headers.get(SIGNATURE_HEADER), secret, timestamp=request.headers.get(TIMESTAMP_HEADER)
        )
    except InvalidInput as exc:
        raise Unauthorized(exc.message, code="bad_signature") from exc
    return body
