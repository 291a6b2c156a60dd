"""The messaging API as integrations and customers reach it: templates, sending with idempotency keys, a
customer's messages, the in-app inbox, RM tasks, the outbox's health, errors as problem+json — and the
public links customers follow without an API key (tracked links and e-mail unsubscribes)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from huoke.app import create_app
from huoke.customers.service import contact_card
from huoke.messaging import task_service
from huoke.messaging.store import TrackedLinkRow
from huoke.platform.apikeys import create_api_key
from huoke.platform.runtime import Runtime
from tests.conftest import START
from tests.integration.messaging.bank import open_bank, run_until

LINK = re.compile(r"http://127\.0\.0\.1:8000/t/([A-Za-z0-9_-]+)")
BIRTHDAY = {
    "name": "birthday_sms",
    "channel": "sms",
    "purpose": "marketing",
    "signature": "活客银行",
    "body": "{{ customer.honorific }}，生日快乐！拒收请回复R",
}


@dataclass
class Api:
    client: TestClient
    runtime: Runtime
    headers: dict[str, str]

    def post(self, url: str, body: Any = None) -> httpx.Response:
        response: httpx.Response = self.client.post(url, json=body, headers=self.headers)
        return response

    def get(self, url: str, **params: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(url, params=params, headers=self.headers)
        return response

    def one_id(self, customer_no: str) -> str:
        with self.runtime.uow() as uow:
            return task_service.customer_one_id_in(uow.session, customer_no)

    def send(self, customer_no: str, template: str, **fields: Any) -> dict[str, Any]:
        response = self.post("/api/v1/messages", {"customer_no": customer_no, "template": template, **fields})
        assert response.status_code == 202, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def dispatch(self, minutes: int = 1) -> None:
        run_until(self.runtime, START + timedelta(minutes=minutes))


@pytest.fixture
def api(runtime: Runtime, tmp_path: Path) -> Iterator[Api]:
    open_bank(runtime, tmp_path / "bank")
    _, token = create_api_key(runtime, "e2e")
    with TestClient(create_app(runtime.settings), raise_server_exceptions=False) as client:
        yield Api(client, runtime, {"Authorization": f"Bearer {token}"})


def sink(runtime: Runtime, channel: str) -> list[dict[str, Any]]:
    path = runtime.settings.data_dir / "outbox" / f"{channel}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_templates_are_saved_and_versioned(api: Api) -> None:
    created = api.post("/api/v1/templates", BIRTHDAY)
    again = api.post("/api/v1/templates", BIRTHDAY)
    edited = api.post("/api/v1/templates", {**BIRTHDAY, "signature": "活客银行信用卡中心"})
    listed = api.get("/api/v1/templates").json()["templates"]

    assert created.status_code == 201
    assert (created.json()["name"], created.json()["version"]) == ("birthday_sms", 1)
    assert again.json()["version"] == 1
    assert edited.json()["version"] == 2
    assert {"name": "birthday_sms", "version": 2, "channel": "sms", "purpose": "marketing"} in listed


def test_the_same_idempotency_key_sends_once_and_the_message_is_listed(api: Api) -> None:
    first = api.send("C2", "welcome_sms", idempotency_key="crm-42")
    again = api.send("C2", "welcome_sms", idempotency_key="crm-42")
    other = api.send("C2", "welcome_sms", idempotency_key="crm-43")
    listed = api.get("/api/v1/messages", customer_no="C2")

    assert (first["decision"], first["reason"]) == ("send", "sent")
    assert again["message_id"] == first["message_id"]
    assert again["duplicate"] is True
    assert other["message_id"] != first["message_id"]
    messages = listed.json()["messages"]
    assert sorted(m["message_id"] for m in messages) == sorted([first["message_id"], other["message_id"]])
    assert {(m["template"], m["channel"], m["purpose"], m["status"]) for m in messages} == {
        ("welcome_sms", "sms", "marketing", "queued")
    }


def test_marketing_without_consent_is_suppressed_and_says_why(api: Api) -> None:
    refused = api.send("C1", "welcome_sms")

    [message] = api.get("/api/v1/messages", customer_no="C1").json()["messages"]
    assert (refused["decision"], refused["reason"]) == ("suppress", "no_consent")
    assert (message["status"], message["reason"]) == ("suppressed", "no_consent")
    assert [(d["stage"], d["decision"], d["reason"]) for d in message["decisions"]] == [
        ("enqueue", "suppress", "no_consent")
    ]


def test_the_inbox_shows_a_dispatched_item_until_it_is_read(api: Api) -> None:
    api.send("C2", "inbox_note")
    api.dispatch()
    one_id = api.one_id("C2")

    inbox = api.get(f"/api/v1/customers/{one_id}/inbox").json()
    [item] = inbox["items"]
    read = api.post(f"/api/v1/customers/{one_id}/inbox/{item['id']}/read")
    unread = api.get(f"/api/v1/customers/{one_id}/inbox", unread="true").json()

    assert (item["title"], item["body"], item["read_at"]) == ("新品推荐", "李女士，为您推荐稳健理财。", None)
    assert inbox["unread"] == 1
    assert read.status_code == 200
    assert read.json()["read_at"] == "2026-11-24T09:01:00+08:00"
    assert (unread["items"], unread["unread"]) == ([], 0)
    assert api.post(f"/api/v1/customers/{one_id}/inbox/999999/read").status_code == 404


def test_rm_tasks_are_created_listed_and_closed(api: Api) -> None:
    api.send("C2", "rm_call")  # C2 has no RM: the task goes to the queue of branch SB01
    api.dispatch()
    made = api.post("/api/v1/tasks", {"customer_no": "C1", "text": "回访养老理财需求", "due_hours": 48})
    task_id = made.json()["task_id"]

    mine = api.get("/api/v1/tasks", staff_no="S1").json()["tasks"]
    queued = api.get("/api/v1/tasks", queue="SB01").json()["tasks"]
    unknown_outcome = api.post(f"/api/v1/tasks/{task_id}/outcome", {"outcome": "maybe"})
    closed = api.post(f"/api/v1/tasks/{task_id}/outcome", {"outcome": "interested", "note": "周五到网点"})
    still_open = api.get("/api/v1/tasks", status="open").json()["tasks"]

    assert made.status_code == 201
    assert (made.json()["staff_no"], made.json()["due_at"]) == ("S1", "2026-11-26T09:01:00+08:00")
    assert [(t["task_id"], t["customer_no"], t["status"]) for t in mine] == [(task_id, "C1", "open")]
    assert [(t["customer_no"], t["staff_no"], t["text"]) for t in queued] == [
        ("C2", None, "请致电李女士（C2）回访理财需求")
    ]
    assert unknown_outcome.status_code == 422
    assert "'outcome'" in unknown_outcome.json()["detail"]
    assert (closed.json()["status"], closed.json()["outcome"]) == ("done", "interested")
    assert closed.json()["note"] == "周五到网点"
    assert [t["customer_no"] for t in still_open] == ["C2"]


def test_health_counts_what_is_queued_and_sent(api: Api) -> None:
    api.send("C2", "welcome_sms")
    api.send("C2", "fraud_alert")
    before = api.get("/api/v1/messages/health").json()
    api.dispatch()
    after = api.get("/api/v1/messages/health").json()
    dead = api.get("/api/v1/messages/dead-letters")

    assert {c["channel"]: c["queued"] for c in before["channels"]} == {"sms": 2}
    [sms] = after["channels"]
    assert (sms["channel"], sms["queued"], sms["sent_last_hour"], sms["failed_last_hour"]) == ("sms", 0, 2, 0)
    assert after["dead_letters"] == 0
    assert (dead.status_code, dead.json()) == (200, {"messages": []})


def test_bad_input_is_a_problem_naming_the_field(api: Api) -> None:
    priority = api.post("/api/v1/messages", {"customer_no": "C2", "template": "welcome_sms", "priority": 12})
    no_template = api.post("/api/v1/messages", {"customer_no": "C2"})
    no_customer_no = api.get("/api/v1/messages")
    stranger = api.post("/api/v1/messages", {"customer_no": "C404", "template": "welcome_sms"})
    bad_channel = api.post("/api/v1/templates", {**BIRTHDAY, "channel": "fax"})
    bad_due = api.post("/api/v1/tasks", {"customer_no": "C1", "text": "x", "due_hours": -1})

    for response in (priority, no_template, no_customer_no, stranger, bad_channel, bad_due):
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
    assert priority.status_code == 422
    assert "body.priority" in priority.json()["errors"]
    assert "body.template" in no_template.json()["errors"]
    assert "query.customer_no" in no_customer_no.json()["errors"]
    assert (stranger.status_code, stranger.json()["code"]) == (404, "customer_not_found")
    assert "C404" in stranger.json()["detail"]
    assert bad_channel.status_code == 422
    assert "channel" in bad_channel.json()["detail"]
    assert bad_due.status_code == 422
    assert "due_hours" in bad_due.json()["detail"]


def test_the_messaging_api_needs_an_api_key(api: Api) -> None:
    anonymous = api.client.post("/api/v1/messages", json={"customer_no": "C2", "template": "welcome_sms"})

    assert anonymous.status_code == 401
    assert api.get("/api/v1/messages", customer_no="C2").json()["messages"] == []


def test_a_tracked_link_redirects_counts_the_click_and_records_an_event(api: Api) -> None:
    api.send("C2", "offer_sms")
    api.dispatch()
    [line] = sink(api.runtime, "sms")
    code = LINK.search(str(line["body"]))
    assert code is not None, line["body"]

    followed = api.client.get(f"/t/{code.group(1)}", follow_redirects=False)  # a customer: no API key
    unknown = api.client.get("/t/nosuchcode", follow_redirects=False)

    assert followed.status_code == 302
    assert followed.headers["location"] == "https://bank.example.cn/w1"
    with api.runtime.uow() as uow:
        link = uow.session.get(TrackedLinkRow, code.group(1))
        assert link is not None
        assert link.clicks == 1
    timeline = api.get(f"/api/v1/customers/{api.one_id('C2')}/timeline", types="message_clicked").json()
    [click] = timeline["entries"]
    assert click["type"] == "message_clicked"
    assert unknown.status_code == 404


def test_the_unsubscribe_link_withdraws_email_marketing(api: Api) -> None:
    api.send("C1", "monthly_email")
    api.dispatch()
    [mail] = sink(api.runtime, "email")
    path = urlsplit(str(mail["extra"]["unsubscribe_url"])).path
    message_id = path.removeprefix("/u/").partition(".")[0]

    page = api.client.get(path)
    forged = api.client.post(f"/u/{message_id}.{'0' * 20}")
    api.dispatch(minutes=2)
    consent_after_forgery = email_marketing(api, "C1")
    done = api.client.post(path)  # the RFC 8058 one-click POST, without an API key
    api.dispatch(minutes=3)  # the work queue applies the opt-out
    later = api.send("C1", "monthly_email")

    assert page.status_code == 200
    assert f'action="{path}"' in page.text
    assert forged.status_code == 404
    assert consent_after_forgery is True
    assert done.status_code == 200
    assert email_marketing(api, "C1") is False
    assert (later["decision"], later["reason"]) == ("suppress", "no_consent")


def email_marketing(api: Api, customer_no: str) -> bool | None:
    with api.runtime.uow() as uow:
        card = contact_card(uow.session, api.runtime.cipher, api.one_id(customer_no), api.runtime.settings.zone)
        assert card is not None
        return card.consents.get(("email", "marketing"))


def test_the_360_view_shows_the_contact_history(api: Api) -> None:
    api.send("C2", "welcome_sms")
    api.send("C1", "welcome_sms")  # another customer's message is not in C2's history
    api.dispatch()

    view = api.get(f"/api/v1/customers/{api.one_id('C2')}").json()

    [message] = view["messages"]
    assert (message["template"], message["channel"], message["status"]) == ("welcome_sms", "sms", "sent")
