"""The outbox end to end on the embedded channels: enqueue, the policy's decisions at enqueueing and at
sending, rendering, the file sink, the inbox and RM tasks, on the simulated clock (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from huoke.customers.service import withdraw_consent
from huoke.messaging import operations, service, task_service
from huoke.platform.errors import InvalidInput
from huoke.platform.runtime import Runtime
from tests.conftest import SHANGHAI, START
from tests.integration.messaging.bank import messages_of, open_bank, run_until, send


@pytest.fixture
def bank_runtime(runtime: Runtime, tmp_path: Path) -> Runtime:
    open_bank(runtime, tmp_path / "bank")
    return runtime


def sink(runtime: Runtime, channel: str) -> list[dict[str, object]]:
    path = runtime.settings.data_dir / "outbox" / f"{channel}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_consented_marketing_sms_is_rendered_and_delivered_to_the_file_sink(bank_runtime: Runtime) -> None:
    answer = send(bank_runtime, "C2", "welcome_sms")
    assert (answer["decision"], answer["reason"]) == ("send", "sent")

    run_until(bank_runtime, START + timedelta(minutes=1))

    [line] = sink(bank_runtime, "sms")
    assert line["body"] == "【活客银行】李女士您好，欢迎成为我行客户。拒收请回复R"
    assert line["recipient"] == "13800002222"
    assert line["idempotency_key"] == answer["message_id"]
    [message] = messages_of(bank_runtime, "C2")
    assert message["status"] == "sent"
    assert [d["stage"] for d in message["decisions"]] == ["enqueue", "send"]
    assert message["attempts"][0]["outcome"] == "sent"
    assert message["recipient"] == "138****2222"


def test_marketing_without_consent_is_suppressed_but_a_fraud_alert_goes(bank_runtime: Runtime) -> None:
    refused = send(bank_runtime, "C1", "welcome_sms")
    alert = send(bank_runtime, "C1", "fraud_alert")
    assert (refused["decision"], refused["reason"]) == ("suppress", "no_consent")
    assert alert["decision"] == "send"

    run_until(bank_runtime, START + timedelta(minutes=1))

    bodies = [line["body"] for line in sink(bank_runtime, "sms")]
    assert bodies == ["【活客银行】张先生，您的账户刚刚在异地登录，如非本人操作请致电95555。"]
    statuses = {m["template"]: m["status"] for m in messages_of(bank_runtime, "C1")}
    assert statuses == {"welcome_sms": "suppressed", "fraud_alert": "sent"}


def test_marketing_in_quiet_hours_is_deferred_to_eight_and_sent_then(bank_runtime: Runtime) -> None:
    evening = START.replace(hour=22)
    run_until(bank_runtime, evening)
    answer = send(bank_runtime, "C2", "welcome_sms")
    assert answer["decision"] == "defer"
    assert answer["reason"] == "quiet_hours"
    eight = datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI)
    assert datetime.fromisoformat(answer["deliver_at"]) == eight

    run_until(bank_runtime, eight - timedelta(seconds=1))
    assert sink(bank_runtime, "sms") == []
    run_until(bank_runtime, eight + timedelta(hours=1))

    [message] = messages_of(bank_runtime, "C2")
    assert message["status"] == "sent"
    assert datetime.fromisoformat(message["sent_at"]) == eight


def test_consent_withdrawn_after_enqueueing_suppresses_at_send_time(bank_runtime: Runtime) -> None:
    evening = START.replace(hour=22)
    run_until(bank_runtime, evening)
    send(bank_runtime, "C2", "welcome_sms")  # deferred to 08:00
    with bank_runtime.uow() as uow:
        one_id = task_service.customer_one_id_in(uow.session, "C2")
        withdraw_consent(
            uow.session,
            bank_runtime.cipher,
            one_id=one_id,
            channel="sms",
            purpose="marketing",
            at=evening + timedelta(minutes=5),
            source="test",
        )
        uow.commit()

    run_until(bank_runtime, evening + timedelta(hours=12))

    [message] = messages_of(bank_runtime, "C2")
    assert (message["status"], message["reason"]) == ("suppressed", "no_consent")
    assert [(d["stage"], d["decision"]) for d in message["decisions"]] == [("enqueue", "defer"), ("send", "suppress")]
    assert sink(bank_runtime, "sms") == []


def test_the_same_idempotency_key_makes_one_message(bank_runtime: Runtime) -> None:
    first = send(bank_runtime, "C2", "welcome_sms", idempotency_key="journey:welcome:C2")
    again = send(bank_runtime, "C2", "welcome_sms", idempotency_key="journey:welcome:C2")
    assert again["message_id"] == first["message_id"]
    assert again["duplicate"] is True
    assert len(messages_of(bank_runtime, "C2")) == 1


def test_one_cap_slot_left_goes_to_the_higher_priority_message(bank_runtime: Runtime) -> None:
    policy = bank_runtime.settings.data_dir / "policy.toml"
    policy.write_text("caps = [{limit = 1, days = 7}]\n", encoding="utf-8")
    low = send(bank_runtime, "C2", "inbox_note", priority=1)
    high = send(bank_runtime, "C2", "welcome_sms", priority=9)
    assert low["decision"] == high["decision"] == "send"  # each alone fits the cap when enqueued

    run_until(bank_runtime, START + timedelta(minutes=1))

    outcome = {m["template"]: (m["status"], m["reason"]) for m in messages_of(bank_runtime, "C2")}
    assert outcome == {"welcome_sms": ("sent", "sent"), "inbox_note": ("suppressed", "frequency_cap")}


def test_inbox_items_and_rm_tasks_are_delivered_by_the_store(bank_runtime: Runtime) -> None:
    send(bank_runtime, "C2", "inbox_note")
    send(bank_runtime, "C1", "rm_call")
    send(bank_runtime, "C2", "rm_call")

    run_until(bank_runtime, START + timedelta(minutes=1))

    with bank_runtime.uow() as uow:
        c2 = task_service.customer_one_id_in(uow.session, "C2")
    [item] = task_service.inbox(bank_runtime, one_id=c2)["items"]
    assert (item["title"], item["body"]) == ("新品推荐", "李女士，为您推荐稳健理财。")
    tasks = {t["customer_no"]: t for t in task_service.list_tasks(bank_runtime)["tasks"]}
    assert tasks["C1"]["staff_no"] == "S1"
    assert tasks["C1"]["text"] == "请致电张先生（C1）回访理财需求"
    assert (tasks["C2"]["staff_no"], tasks["C2"]["queue"]) == (None, "SB01")
    assert datetime.fromisoformat(tasks["C1"]["due_at"]) == START + timedelta(hours=24)
    read = task_service.mark_read(bank_runtime, one_id=c2, item_id=item["id"])
    assert read["read_at"] is not None


def test_tracked_links_are_stored_per_message(bank_runtime: Runtime) -> None:
    send(bank_runtime, "C2", "offer_sms")
    run_until(bank_runtime, START + timedelta(minutes=1))
    [line] = sink(bank_runtime, "sms")
    assert "https://bank.example.cn/w1" not in str(line["body"])
    assert "http://127.0.0.1:8000/t/" in str(line["body"])


def test_marketing_email_carries_a_one_click_unsubscribe_address(bank_runtime: Runtime) -> None:
    answer = send(bank_runtime, "C1", "monthly_email")
    assert answer["decision"] == "send"  # e-mail links are fine for seniors; only SMS links are refused
    run_until(bank_runtime, START + timedelta(minutes=1))
    [mail] = sink(bank_runtime, "email")
    assert str(mail["recipient"]) == "zhang.san@example.com"
    assert "/u/" in str(mail["extra"]["unsubscribe_url"])


def test_dead_letters_can_be_retried(bank_runtime: Runtime) -> None:
    answer = send(bank_runtime, "C1", "welcome_sms", recipient="13900001111")  # C1 has not consented: suppressed
    assert answer["decision"] == "suppress"
    with pytest.raises(Exception, match="only failed messages"):
        operations.retry_dead_letters(bank_runtime, message_ids=[answer["message_id"]], actor="test")


def test_an_undefined_variable_fails_at_preview_and_fails_the_message_at_send(bank_runtime: Runtime) -> None:
    template = {
        "name": "tier_sms",
        "channel": "sms",
        "purpose": "service",
        "signature": "活客银行",
        "body": "{{ customer.honorific }}，您的会员等级为{{ customer.vip_tier }}。",
    }
    service.create_template(bank_runtime, template, actor="test")  # customer.* is open: known only per customer
    with pytest.raises(InvalidInput, match="vip_tier") as refused:
        service.preview_template(bank_runtime, "tier_sms", customer_no="C2")
    assert refused.value.code == "undefined_variable"

    send(bank_runtime, "C2", "tier_sms")
    run_until(bank_runtime, START + timedelta(minutes=1))

    [message] = messages_of(bank_runtime, "C2")
    assert (message["status"], message["reason"]) == ("failed", "undefined_variable")
    assert sink(bank_runtime, "sms") == []
