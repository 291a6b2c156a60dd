"""`huoke templates …`, `huoke messages …` and `huoke tasks …` as users run them (CONTRACTS.md §1, §4): a
subprocess, one JSON document on stdout, exit 1 naming the problem, on a simulated clock.

The bank (the customers test bank with the messaging consents and templates) is imported once per module
into a data dir made by `huoke init`; each test works on its own copy of that data dir.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from huoke.platform.runtime import build_runtime
from tests.conftest import make_settings
from tests.e2e.test_cli import as_json, huoke
from tests.integration.messaging.bank import open_bank

BIRTHDAY = {
    "name": "birthday_sms",
    "channel": "sms",
    "purpose": "marketing",
    "signature": "活客银行",
    "body": "{{ customer.honorific }}，生日快乐！拒收请回复R",
}


@pytest.fixture(scope="module")
def prepared_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir initialised by the CLI at 2026-11-24 09:00 Shanghai, with the bank imported."""
    root = tmp_path_factory.mktemp("messaging_cli")
    data_dir = root / "data"
    as_json(huoke(data_dir, "init", "--clock", "simulated", "--now", "2026-11-24T09:00", "--json"))
    runtime = build_runtime(make_settings(data_dir))
    try:
        open_bank(runtime, root / "bank")
    finally:
        runtime.close()
    return data_dir


@pytest.fixture
def data_dir(prepared_bank: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(prepared_bank, copy)
    return copy


def template_file(folder: Path, document: dict[str, Any], name: str) -> str:
    path = folder / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def sink_lines(data_dir: Path, channel: str) -> list[dict[str, Any]]:
    path = data_dir / "outbox" / f"{channel}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_saving_a_template_versions_it_only_when_it_changes(data_dir: Path, tmp_path: Path) -> None:
    first = template_file(tmp_path, BIRTHDAY, "birthday.json")
    changed = template_file(tmp_path, {**BIRTHDAY, "signature": "活客银行信用卡中心"}, "v2.json")

    created = as_json(huoke(data_dir, "templates", "create", first, "--json"))
    again = as_json(huoke(data_dir, "templates", "create", first, "--json"))
    edited = as_json(huoke(data_dir, "templates", "create", changed, "--json"))

    assert {"name", "version"} <= set(created)
    assert (created["name"], created["version"]) == ("birthday_sms", 1)
    assert again["version"] == 1
    assert edited["version"] == 2


def test_a_template_with_a_syntax_error_or_a_sandbox_escape_exits_1(data_dir: Path, tmp_path: Path) -> None:
    broken = {**BIRTHDAY, "body": "{{ customer.honorific }}您好\n{{ customer.surname 拒收请回复R"}
    escape = {**BIRTHDAY, "body": "{{ ''.__class__.__mro__ }} 拒收请回复R"}

    syntax = huoke(data_dir, "templates", "create", template_file(tmp_path, broken, "broken.json"), "--json")
    sandbox = huoke(data_dir, "templates", "create", template_file(tmp_path, escape, "escape.json"), "--json")

    assert syntax.returncode == 1
    error = json.loads(syntax.stdout)["error"]
    assert (error["code"], error["line"]) == ("template_syntax", 2)
    assert "line 2, column" in syntax.stderr
    assert sandbox.returncode == 1
    assert json.loads(sandbox.stdout)["error"]["code"] == "template_sandbox"
    assert "__class__" in sandbox.stderr


def test_send_list_run_and_the_file_sink(data_dir: Path) -> None:
    sent = as_json(huoke(data_dir, "messages", "send", "--customer-no", "C2", "--template", "welcome_sms", "--json"))
    task = as_json(huoke(data_dir, "messages", "send", "--customer-no", "C1", "--template", "rm_call", "--json"))
    ran = as_json(huoke(data_dir, "run", "--until", "2026-11-24T09:05", "--json"))
    listed = as_json(huoke(data_dir, "messages", "list", "--customer-no", "C2", "--json"))
    tasks = as_json(huoke(data_dir, "tasks", "list", "--json"))
    health = as_json(huoke(data_dir, "messages", "health", "--json"))

    assert {"message_id", "decision", "reason", "deliver_at"} <= set(sent)
    assert (sent["decision"], sent["reason"], sent["deliver_at"]) == ("send", "sent", "2026-11-24T09:00:00+08:00")
    assert task["decision"] == "send"
    assert ran["now"] == "2026-11-24T09:05:00+08:00"
    assert ran["processed"] >= 2  # the SMS and the RM task at least
    [message] = listed["messages"]
    assert message["message_id"] == sent["message_id"]
    keys = {"message_id", "template", "channel", "purpose", "status", "reason", "enqueued_at", "sent_at"}
    assert keys <= set(message)
    assert (message["template"], message["channel"], message["purpose"]) == ("welcome_sms", "sms", "marketing")
    assert (message["status"], message["reason"]) == ("sent", "sent")
    assert message["enqueued_at"] == message["sent_at"] == "2026-11-24T09:00:00+08:00"
    [line] = sink_lines(data_dir, "sms")
    assert line["recipient"] == "13800002222"
    assert line["body"] == "【活客银行】李女士您好，欢迎成为我行客户。拒收请回复R"
    [follow_up] = tasks["tasks"]
    assert {"task_id", "customer_no", "staff_no", "journey", "due_at", "status"} <= set(follow_up)
    assert (follow_up["customer_no"], follow_up["staff_no"], follow_up["status"]) == ("C1", "S1", "open")
    assert follow_up["due_at"] == "2026-11-25T09:00:00+08:00"
    by_channel = {c["channel"]: c for c in health["channels"]}
    assert (by_channel["sms"]["queued"], by_channel["sms"]["sent_last_hour"]) == (0, 1)
    assert health["dead_letters"] == 0


def test_an_unknown_customer_or_template_exits_1_naming_it(data_dir: Path) -> None:
    nobody = huoke(data_dir, "messages", "send", "--customer-no", "C404", "--template", "welcome_sms", "--json")
    nothing = huoke(data_dir, "messages", "send", "--customer-no", "C2", "--template", "no_such_sms", "--json")

    assert nobody.returncode == 1
    assert "C404" in nobody.stderr
    assert json.loads(nobody.stdout)["error"]["code"] == "customer_not_found"
    assert nothing.returncode == 1
    assert "no_such_sms" in nothing.stderr
    assert "no_such_sms" in json.loads(nothing.stdout)["error"]["message"]
