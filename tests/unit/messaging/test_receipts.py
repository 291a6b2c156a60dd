"""Reading what providers send back: receipts, replies, WeChat pushes, and callback signatures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.messaging.receipts import (
    InboundReply,
    Receipt,
    WechatEvent,
    parse_sms_receipts,
    parse_sms_replies,
    parse_wechat_event,
    sign,
    verify_signature,
)
from huoke.platform.errors import InvalidInput

BEIJING = timezone(timedelta(hours=8))
SECRET = b"callback-secret"


def body(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def refusal(parse: object, raw: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse(raw)  # type: ignore[operator]
    return caught.value


# --- signatures ---------------------------------------------------------------------------------------


def test_a_signature_made_with_the_secret_and_timestamp_verifies() -> None:
    raw = body({"receipts": []})
    verify_signature(raw, sign(raw, SECRET, timestamp="1764000000"), SECRET, timestamp="1764000000")
    verify_signature(raw, sign(raw, SECRET), SECRET)
    verify_signature(raw, sign(raw, SECRET).upper().replace("SHA256=", "sha256="), SECRET)


@pytest.mark.parametrize(
    ("header", "timestamp", "why"),
    [
        (None, None, "missing"),
        ("", None, "missing"),
        ("sha256=" + "0" * 64, None, "does not match"),
        (sign(b'{"receipts":[]}', b"other-secret"), None, "does not match"),
        (sign(b'{"receipts":[]}', SECRET, timestamp="1"), "2", "does not match"),
        (sign(b'{"receipts":[]}', SECRET), "1764000000", "does not match"),
        (sign(b'{"receipts":[]}', SECRET), "时间", "not ASCII"),
    ],
)
def test_a_wrong_or_missing_signature_is_refused(header: str | None, timestamp: str | None, why: str) -> None:
    with pytest.raises(InvalidInput, match=why) as caught:
        verify_signature(b'{"receipts":[]}', header, SECRET, timestamp=timestamp)
    assert caught.value.code == "bad_signature"


def test_no_configured_secret_refuses_everything() -> None:
    with pytest.raises(InvalidInput, match="no shared secret"):
        verify_signature(b"{}", sign(b"{}", b""), b"")


@given(st.binary(max_size=200), st.binary(min_size=1, max_size=32), st.binary(max_size=200))
def test_any_change_to_the_body_breaks_the_signature(raw: bytes, secret: bytes, other: bytes) -> None:
    header = sign(raw, secret, timestamp="1764000000")
    verify_signature(raw, header, secret, timestamp="1764000000")
    if other != raw:
        with pytest.raises(InvalidInput):
            verify_signature(other, header, secret, timestamp="1764000000")


# --- SMS receipts and replies -------------------------------------------------------------------------


def test_receipts_of_both_vocabularies_are_read() -> None:
    raw = body(
        {
            "receipts": [
                {"id": "gw-1", "status": "DELIVRD", "at": "2026-11-24T09:00:05+08:00"},
                {"message_id": "m-2", "status": "delivered", "at": "2026-11-24T01:00:06Z"},
                {"id": 77, "status": "UNDELIV", "at": "2026-11-24 09:00:07"},
                {
                    "id": "gw-4",
                    "message_id": "m-4",
                    "status": "failed",
                    "at": 1764000000,
                    "reason": "Blocked_By_Carrier",
                },
                {"id": "gw-5", "status": "EXPIRED", "at": "2026-11-24T09:00:09+08:00", "reason": "不在服务区"},
            ]
        }
    )

    receipts = parse_sms_receipts(raw)

    assert receipts == [
        Receipt("gw-1", None, "delivered", datetime(2026, 11, 24, 9, 0, 5, tzinfo=BEIJING), None),
        Receipt(None, "m-2", "delivered", datetime(2026, 11, 24, 1, 0, 6, tzinfo=UTC), None),
        Receipt("77", None, "failed", datetime(2026, 11, 24, 9, 0, 7, tzinfo=BEIJING), "undeliverable"),
        Receipt("gw-4", "m-4", "failed", datetime.fromtimestamp(1764000000, UTC), "blocked_by_carrier"),
        Receipt("gw-5", None, "failed", datetime(2026, 11, 24, 9, 0, 9, tzinfo=BEIJING), "expired"),
    ]
    assert all(receipt.at.utcoffset() is not None for receipt in receipts)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"status": "DELIVRD", "at": "2026-11-24T09:00:00+08:00"}, "receipts[1]: field id: one of id or message_id"),
        ({"id": "x", "status": "SENT", "at": "2026-11-24T09:00:00+08:00"}, "receipts[1]: field status: 'SENT'"),
        ({"id": "x", "at": "2026-11-24T09:00:00+08:00"}, "receipts[1]: field status: None"),
        ({"id": "x", "status": "DELIVRD"}, "receipts[1]: field at: an ISO 8601 time is required"),
        ({"id": "x", "status": "DELIVRD", "at": "yesterday"}, "receipts[1]: field at: 'yesterday' is not an ISO"),
        ({"id": ["x"], "status": "DELIVRD", "at": 1}, "receipts[1]: field id: expected a string"),
        ("DELIVRD", "receipts[1]: expected an object"),
    ],
)
def test_a_malformed_receipt_names_its_index_field_and_reason(item: object, expected: str) -> None:
    good = {"id": "ok", "status": "DELIVRD", "at": "2026-11-24T09:00:00+08:00"}
    error = refusal(parse_sms_receipts, body({"receipts": [good, item]}))
    assert error.code == "bad_receipt"
    assert expected in error.message


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"receipts": {}}', b"\xff\xfe"])
def test_a_batch_that_is_not_a_receipt_list_is_refused(raw: bytes) -> None:
    assert refusal(parse_sms_receipts, raw).code == "bad_receipt"


def test_replies_are_read_with_the_sender_text_and_time() -> None:
    raw = body(
        {
            "replies": [
                {"from": " 13800138000 ", "text": "退订", "at": "2026-11-24T20:15:00+08:00", "id": "r-1"},
                {"from": "13900139000", "text": "", "at": "2026-11-24 20:16:00"},
            ]
        }
    )
    assert parse_sms_replies(raw) == [
        InboundReply("13800138000", "退订", datetime(2026, 11, 24, 20, 15, tzinfo=BEIJING), "r-1"),
        InboundReply("13900139000", "", datetime(2026, 11, 24, 20, 16, tzinfo=BEIJING), None),
    ]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"text": "R", "at": "2026-11-24T20:15:00+08:00"}, "replies[0]: field from"),
        ({"from": "138", "text": 5, "at": "2026-11-24T20:15:00+08:00"}, "replies[0]: field text"),
        ({"from": "138", "text": "R"}, "replies[0]: field at"),
    ],
)
def test_a_malformed_reply_names_its_index_and_field(item: object, expected: str) -> None:
    error = refusal(parse_sms_replies, body({"replies": [item]}))
    assert (error.code, expected in error.message) == ("bad_reply", True)


# --- WeChat pushes ------------------------------------------------------------------------------------


def wechat_xml(event: str, *, extra: str = "", openid: str = "o-openid-1", create_time: str = "1764000000") -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_bank]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{extra}</xml>"
    ).encode()


def test_follow_and_unfollow_pushes_are_read() -> None:
    at = datetime.fromtimestamp(1764000000, UTC)
    assert parse_wechat_event(wechat_xml("unsubscribe")) == WechatEvent("o-openid-1", "unsubscribe", at, None, None)
    assert parse_wechat_event(wechat_xml("subscribe")).kind == "subscribe"


@pytest.mark.parametrize("status", ["success", "failed:user block", "failed: system failed"])
def test_a_template_send_result_carries_the_message_id_and_status(status: str) -> None:
    raw = wechat_xml("TEMPLATESENDJOBFINISH", extra=f"<MsgID>200163836</MsgID><Status><![CDATA[{status}]]></Status>")
    event = parse_wechat_event(raw)
    assert (event.kind, event.msg_id, event.status) == ("template_finished", "200163836", status)


def test_other_messages_and_events_are_unsupported() -> None:
    text = b"<xml><FromUserName>o-1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>"
    assert refusal(parse_wechat_event, text).code == "unsupported_event"
    assert refusal(parse_wechat_event, wechat_xml("CLICK")).code == "unsupported_event"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (wechat_xml("subscribe", openid=""), "FromUserName"),
        (wechat_xml("subscribe", create_time="yesterday"), "CreateTime"),
        (b"<xml><unclosed></xml>", "not well-formed"),
        (b"<xml>" + b"<A>x</A>" * 10_000 + b"</xml>", "larger than"),
    ],
)
def test_a_broken_push_is_refused_with_the_reason(raw: bytes, expected: str) -> None:
    error = refusal(parse_wechat_event, raw)
    assert (error.code, expected in error.message) == ("bad_event", True)


def test_entity_expansion_and_external_entities_are_refused_before_parsing() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<xml><FromUserName>&b;</FromUserName></xml>"
    )
    external = b'<!doctype xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><FromUserName>&x;</FromUserName></xml>'
    for raw in (bomb, external):
        error = refusal(parse_wechat_event, raw)
        assert (error.code, "DOCTYPE" in error.message) == ("bad_event", True)
