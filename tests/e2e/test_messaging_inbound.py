"""Provider callbacks end to end: SMS replies that opt out, delivery receipts, WeChat unfollows — each signed
with the channel's callback secret — and provider errors met by the dispatcher through a real local SMS
gateway (a 5xx retried later, an invalid number dead-lettered and queued again)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huoke.app import create_app
from huoke.customers.import_service import import_file
from huoke.customers.service import CustomerLookup, show_customer
from huoke.customers.store import ConsentRow
from huoke.messaging.receipts import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from huoke.platform.apikeys import create_api_key
from huoke.platform.runtime import Runtime
from tests.conftest import START
from tests.e2e.test_messaging_api import Api
from tests.integration.customers.bank_files import write_csv
from tests.integration.messaging.bank import open_bank, run_until
from tests.support.providers import SmsGatewayServer

SMS_SECRET = "sms-callback-secret"  # noqa: S105 - throwaway secrets of the local gateway and callbacks
WECHAT_SECRET = "wechat-callback-secret"  # noqa: S105
OPENID = "oWx-c3-openid-0001"
C2_PHONE = "13800002222"
BEFORE_START = "2026-11-24T08:59:00+08:00"
SMS_TABLE = '[sms]\nbase_url = "{url}"\nsecret_env = "HUOKE_TEST_SMS_SECRET"\n'
WECHAT_TABLE = """
[wechat_template]
appid = "wx-test"
secret_env = "HUOKE_TEST_WECHAT_SECRET"
callback_secret_env = "HUOKE_TEST_WECHAT_CALLBACK_SECRET"
"""


class Callbacks(Api):
    """The API as a provider reaches it: signed bodies, no API key."""

    def callback(self, path: str, body: bytes, *, secret: str = SMS_SECRET, **headers: str) -> httpx.Response:
        stamp = str(int(time.time()))
        signed = {SIGNATURE_HEADER: sign(body, secret.encode(), timestamp=stamp), TIMESTAMP_HEADER: stamp}
        response: httpx.Response = self.client.post(f"/api/v1/inbound/{path}", content=body, headers=signed | headers)
        return response

    def reply(self, text: str, reply_id: str, *, secret: str = SMS_SECRET) -> httpx.Response:
        body = {"replies": [{"from": C2_PHONE, "text": text, "at": BEFORE_START, "id": reply_id}]}
        return self.callback("sms/replies", json.dumps(body, ensure_ascii=False).encode(), secret=secret)

    def messages(self, customer_no: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.get("/api/v1/messages", customer_no=customer_no).json()["messages"]
        return messages

    def consent(self, customer_no: str, channel: str) -> dict[str, Any]:
        consents = show_customer(self.runtime, CustomerLookup(customer_no=customer_no))["consents"]
        [found] = [c for c in consents if (c["channel"], c["purpose"]) == (channel, "marketing")]
        return dict(found)

    def run(self, seconds: float) -> None:
        run_until(self.runtime, START + timedelta(seconds=seconds))


def write_channels(runtime: Runtime, text: str) -> None:
    runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)  # on PostgreSQL nothing else made it yet
    (runtime.settings.data_dir / "channels.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def api(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callbacks]:
    monkeypatch.setenv("HUOKE_TEST_SMS_SECRET", SMS_SECRET)
    write_channels(runtime, SMS_TABLE.format(url="http://127.0.0.1:9"))  # nothing listens: no SMS leaves
    open_bank(runtime, tmp_path / "bank")
    _, token = create_api_key(runtime, "e2e")
    with TestClient(create_app(runtime.settings), raise_server_exceptions=False) as client:
        yield Callbacks(client, runtime, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def gateway(api: Callbacks) -> Iterator[SmsGatewayServer]:
    with SmsGatewayServer(SMS_SECRET.encode()) as server:
        write_channels(api.runtime, SMS_TABLE.format(url=server.url))
        yield server


def withdrawals(runtime: Runtime, customer_no: str, channel: str) -> int:
    query = select(func.count()).where(
        ConsentRow.customer_no == customer_no,
        ConsentRow.channel == channel,
        ConsentRow.purpose == "marketing",
        ConsentRow.status == "withdrawn",
    )
    with runtime.uow() as uow:
        return int(uow.session.scalar(query) or 0)


def test_an_opt_out_reply_withdraws_sms_marketing_once_with_the_event_as_evidence(api: Callbacks) -> None:
    first = api.reply("退订", "r1")
    again = api.reply("退订", "r1")  # the gateway retried its callback
    api.run(60)
    later = api.send("C2", "welcome_sms")

    assert first.status_code == 202
    assert first.json()["accepted"] == 1
    assert again.json()["duplicates"] == 1
    consent = api.consent("C2", "sms")
    assert (consent["status"], consent["source"]) == ("withdrawn", "event:sms-reply:r1")
    assert withdrawals(api.runtime, "C2", "sms") == 1
    assert (later["decision"], later["reason"]) == ("suppress", "no_consent")


def test_a_reply_that_is_not_an_opt_out_withdraws_nothing(api: Callbacks) -> None:
    answer = api.reply("好的", "r2")
    api.run(60)
    later = api.send("C2", "welcome_sms")

    assert answer.status_code == 202
    assert api.consent("C2", "sms")["status"] == "granted"
    assert later["decision"] == "send"


def test_a_callback_with_a_bad_signature_is_401_and_changes_nothing(api: Callbacks) -> None:
    forged = api.reply("退订", "r3", secret="guessed-secret")  # noqa: S106
    unsigned = api.client.post("/api/v1/inbound/sms/replies", json={"replies": []})
    api.run(60)

    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/problem+json")
    assert forged.json()["code"] == "bad_signature"
    assert unsigned.status_code == 401
    assert api.consent("C2", "sms")["status"] == "granted"
    timeline = api.get(f"/api/v1/customers/{api.one_id('C2')}/timeline", types="message_replied").json()
    assert timeline["entries"] == []


def test_a_delivery_receipt_marks_the_message_delivered(api: Callbacks, gateway: SmsGatewayServer) -> None:
    sent = api.send("C2", "welcome_sms")
    api.run(60)
    [accepted] = gateway.accepted
    [attempt] = api.messages("C2")[0]["attempts"]
    receipt = {"receipts": [{"id": attempt["provider_id"], "status": "DELIVRD", "at": "2026-11-24T09:00:30+08:00"}]}

    answer = api.callback("sms/receipts", json.dumps(receipt).encode())

    assert (accepted["to"], accepted["message_id"]) == (C2_PHONE, sent["message_id"])
    assert accepted["text"].startswith("【活客银行】李女士您好")
    assert answer.status_code == 202
    assert answer.json()["accepted"] == 1
    assert api.messages("C2")[0]["status"] == "sent"  # until the worker applies the receipt event
    api.run(90)
    [message] = api.messages("C2")
    assert (message["status"], message["reason"]) == ("delivered", "delivered")
    assert message["delivered_at"] == "2026-11-24T09:00:30+08:00"


def test_a_malformed_receipt_batch_is_refused_whole(api: Callbacks, gateway: SmsGatewayServer) -> None:
    api.send("C2", "welcome_sms")
    api.run(60)
    [attempt] = api.messages("C2")[0]["attempts"]
    good = {"id": attempt["provider_id"], "status": "DELIVRD", "at": "2026-11-24T09:00:30+08:00"}
    batch = {"receipts": [good, {"id": "sms-99", "status": "DELIVRD"}]}

    refused = api.callback("sms/receipts", json.dumps(batch).encode())

    assert refused.status_code == 422  # InvalidInput, as for every field-level error of the API
    assert refused.json()["code"] == "bad_receipt"
    assert "receipts[1]: field at" in refused.json()["detail"]
    assert api.messages("C2")[0]["status"] == "sent"


def test_a_wechat_unfollow_withdraws_wechat_marketing(
    api: Callbacks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    follower_of_the_official_account(api.runtime, tmp_path)
    monkeypatch.setenv("HUOKE_TEST_WECHAT_SECRET", "app-secret")
    monkeypatch.setenv("HUOKE_TEST_WECHAT_CALLBACK_SECRET", WECHAT_SECRET)
    write_channels(api.runtime, SMS_TABLE.format(url="http://127.0.0.1:9") + WECHAT_TABLE)
    assert api.consent("C3", "wechat")["status"] == "granted"

    answer = api.callback("wechat", unfollow_xml(OPENID), secret=WECHAT_SECRET, **{"Content-Type": "text/xml"})
    forged = api.callback("wechat", unfollow_xml(OPENID), secret=SMS_SECRET, **{"Content-Type": "text/xml"})
    api.run(60)

    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1
    assert forged.status_code == 401
    consent = api.consent("C3", "wechat")
    assert consent["status"] == "withdrawn"
    assert consent["source"].startswith("event:wechat:unsubscribe:")
    assert api.consent("C2", "sms")["status"] == "granted"


def test_a_provider_5xx_is_retried_and_sent_later(api: Callbacks, gateway: SmsGatewayServer) -> None:
    gateway.fail_next(1, 503)
    sent = api.send("C2", "welcome_sms")

    api.run(5)  # the first attempt fails; the retry falls due 15–30 s later
    [waiting] = api.messages("C2")
    api.run(120)
    [message] = api.messages("C2")

    assert (waiting["status"], waiting["reason"]) == ("queued", "retry_provider_5xx")
    assert [(a["attempt"], a["outcome"]) for a in waiting["attempts"]] == [(1, "transient")]
    assert (message["status"], message["reason"]) == ("sent", "sent")
    assert [a["outcome"] for a in message["attempts"]] == ["transient", "sent"]
    assert [d["message_id"] for d in gateway.accepted] == [sent["message_id"]]


def test_an_invalid_number_is_a_dead_letter_that_can_be_queued_again(api: Callbacks, gateway: SmsGatewayServer) -> None:
    gateway.invalid_numbers.add(C2_PHONE)
    sent = api.send("C2", "welcome_sms")
    api.run(60)
    [failed] = api.messages("C2")
    dead = api.get("/api/v1/messages/dead-letters").json()["messages"]
    health = api.get("/api/v1/messages/health").json()

    assert (failed["status"], failed["reason"]) == ("failed", "invalid_number")
    assert [(d["message_id"], d["reason"]) for d in dead] == [(sent["message_id"], "invalid_number")]
    assert health["dead_letters"] == 1

    gateway.invalid_numbers.clear()  # the customer's number was corrected at the gateway
    empty = api.post("/api/v1/messages/dead-letters/retry", {"message_ids": []})
    retried = api.post("/api/v1/messages/dead-letters/retry", {"message_ids": [sent["message_id"]]})
    queued = api.messages("C2")[0]

    assert empty.status_code == 422
    assert "message_ids" in json.dumps(empty.json()["errors"])
    assert retried.json() == {"retried": [sent["message_id"]]}
    assert (queued["status"], queued["reason"]) == ("queued", "retry_requested")

    api.run(120)

    [message] = api.messages("C2")
    assert (message["status"], message["reason"]) == ("sent", "sent")
    assert [a["outcome"] for a in message["attempts"]] == ["permanent", "sent"]
    assert api.get("/api/v1/messages/dead-letters").json()["messages"] == []


def follower_of_the_official_account(runtime: Runtime, folder: Path) -> None:
    """C3, a customer known by the openid of the bank's WeChat official account, with WeChat marketing."""
    customer = {"customer_no": "C3", "name": "王芳", "gender": "F", "wechat_openid": OPENID, "branch_code": "SB01"}
    consent = {"customer_no": "C3", "channel": "wechat", "purpose": "marketing", "status": "granted",
               "recorded_at": "2025-01-01T10:00:00", "source": "wechat", "notice_version": "2024.1"}  # fmt: skip
    import_file(runtime, kind="customers", path=write_csv(folder / "c3.csv", [customer]))
    import_file(runtime, kind="consents", path=write_csv(folder / "c3_consents.csv", [consent]))


def unfollow_xml(openid: str) -> bytes:
    created = int((START - timedelta(minutes=1)).timestamp())
    return (
        "<xml><ToUserName><![CDATA[gh_huoke_bank]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event></xml>"
    ).encode()
