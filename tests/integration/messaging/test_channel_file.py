"""The file sink: one JSON line per message in <outbox>/<channel>.jsonl."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from huoke.messaging.channels.file_sink import FileSink
from huoke.messaging.model import DeliveryOutcome, OutboundMessage
from tests.support.providers import outbound

WRITTEN_AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def write(sink: FileSink, *messages: OutboundMessage) -> list[DeliveryOutcome]:
    async def go() -> list[DeliveryOutcome]:
        return list(await asyncio.gather(*(sink.send(message) for message in messages)))

    return asyncio.run(go())


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_message_becomes_one_line_of_its_channels_file(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox" / "nested"
    sink = FileSink(outbox, now=lambda: WRITTEN_AT)
    sms = outbound("sms", "13800138000", message_id="m-1")
    mail = outbound("email", "wang@example.com", message_id="m-2", subject="礼遇", html="<p>礼遇</p>", extra={"k": 1})

    outcomes = write(sink, sms, mail)

    assert outcomes == [
        DeliveryOutcome.sent("m-1", detail=str(outbox / "sms.jsonl")),
        DeliveryOutcome.sent("m-2", detail=str(outbox / "email.jsonl")),
    ]
    assert lines(outbox / "sms.jsonl") == [
        {
            "message_id": "m-1",
            "idempotency_key": "m-1",
            "channel": "sms",
            "purpose": "marketing",
            "recipient": "13800138000",
            "subject": None,
            "body": sms.body,
            "html": None,
            "extra": {},
            "written_at": "2026-11-24T01:00:00+00:00",
        }
    ]
    [email_line] = lines(outbox / "email.jsonl")
    assert (email_line["subject"], email_line["html"], email_line["extra"]) == ("礼遇", "<p>礼遇</p>", {"k": 1})
    assert "礼遇" in (outbox / "email.jsonl").read_text(encoding="utf-8")  # readable Chinese, not \\u escapes


def test_concurrent_writes_append_whole_lines_in_order(tmp_path: Path) -> None:
    sink = FileSink(tmp_path, fsync=True)
    long_body = "长" * 20_000
    messages = [outbound("push", f"device-{i}", message_id=f"m-{i}", body=long_body) for i in range(50)]

    write(sink, *messages)

    written = lines(tmp_path / "push.jsonl")
    assert [line["message_id"] for line in written] == [f"m-{i}" for i in range(50)]
    assert all(line["body"] == long_body for line in written)


def test_later_sends_append_to_the_existing_file(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    write(sink, outbound("webhook", "one-1", message_id="m-1"))
    write(FileSink(tmp_path), outbound("webhook", "one-2", message_id="m-2"))
    assert [line["recipient"] for line in lines(tmp_path / "webhook.jsonl")] == ["one-1", "one-2"]


def test_an_unwritable_outbox_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    [outcome] = write(FileSink(blocker), outbound("sms"))
    assert (outcome.kind, outcome.reason) == ("transient", "outbox_unwritable")
