"""The file sink: every message of a channel without a provider becomes one JSON line of
``<outbox_dir>/<channel>.jsonl``, so every flow can be followed end to end without external services.

Lines are appended whole, one writer per file at a time. By default a line reaches the operating system at
once but the disk when the system flushes it; ``fsync = true`` in ``[file]`` forces each line to the disk
before the message counts as sent (safer across power loss, much slower).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FileSink:
    """Writes messages of any channel, each to its own channel's file."""

    channel: Channel = "file"
    provider = "file"
    concurrency = 64
    rate_per_second: float | None = None

    def __init__(self, outbox_dir: Path, *, fsync: bool = False, now: Callable[[], datetime] = _utc_now) -> None:
        self.outbox_dir = outbox_dir
        self.fsync = fsync
        self._now = now
        self._locks: dict[Path, asyncio.Lock] = {}

    def path_of(self, channel: str) -> Path:
        return self.outbox_dir / f"{channel}.jsonl"

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        path = self.path_of(message.channel)
        line = json.dumps(self.record(message), ensure_ascii=False, default=str) + "\n"
        async with self._locks.setdefault(path, asyncio.Lock()):
            try:
                await asyncio.to_thread(self._append, path, line.encode("utf-8"))
            except OSError as exc:  # a full or read-only disk may be fixed: try again later
                return DeliveryOutcome.transient("outbox_unwritable", f"{path}: {exc}")
        return DeliveryOutcome.sent(message.message_id, detail=str(path))

    def record(self, message: OutboundMessage) -> dict[str, Any]:
        return {
            "message_id": message.message_id,
            "idempotency_key": message.idempotency_key,
            "channel": message.channel,
            "purpose": message.purpose,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "html": message.html,
            "extra": message.extra,
            "written_at": self._now().astimezone(UTC).isoformat(),
        }

    async def aclose(self) -> None:
        return None

    def _append(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as handle:
            handle.write(data)
            if self.fsync:
                handle.flush()
                os.fsync(handle.fileno())
