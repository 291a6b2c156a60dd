"""The small test bank of the customers tests, with consents and templates for messaging.

C1 张三 (76, RM S1, SMS marketing withdrawn, e-mail marketing granted); C2 李娜 (36, no RM, SMS and push
marketing granted).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from huoke.app import build_platform
from huoke.customers.import_service import import_file
from huoke.messaging import service
from huoke.platform.runtime import Runtime
from tests.integration.customers import bank_files as bank

CONSENTS = [
    *bank.CONSENTS,
    {
        "customer_no": "C1",
        "channel": "email",
        "purpose": "marketing",
        "status": "granted",
        "recorded_at": "2025-01-01T10:00:00",
        "source": "branch",
        "notice_version": "2024.1",
    },
    {
        "customer_no": "C2",
        "channel": "sms",
        "purpose": "marketing",
        "status": "granted",
        "recorded_at": "2025-01-01T10:00:00",
        "source": "app",
        "notice_version": "2024.1",
    },
    {
        "customer_no": "C2",
        "channel": "push",
        "purpose": "marketing",
        "status": "granted",
        "recorded_at": "2025-01-01T10:00:00",
        "source": "app",
        "notice_version": "2024.1",
    },
]

TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "welcome_sms",
        "channel": "sms",
        "purpose": "marketing",
        "signature": "活客银行",
        "body": "{{ customer.honorific }}您好，欢迎成为我行客户。拒收请回复R",
    },
    {
        "name": "offer_sms",
        "channel": "sms",
        "purpose": "marketing",
        "signature": "活客银行",
        "body": "{{ customer.honorific }}，理财新品上线：{{ link('https://bank.example.cn/w1') }} 拒收请回复R",
    },
    {
        "name": "fraud_alert",
        "channel": "sms",
        "purpose": "risk",
        "signature": "活客银行",
        "body": "{{ customer.honorific }}，您的账户刚刚在异地登录，如非本人操作请致电95555。",
    },
    {
        "name": "inbox_note",
        "channel": "inbox",
        "purpose": "marketing",
        "subject": "新品推荐",
        "body": "{{ customer.honorific }}，为您推荐稳健理财。",
    },
    {
        "name": "rm_call",
        "channel": "rm_task",
        "purpose": "service",
        "body": "请致电{{ customer.honorific }}（{{ customer.customer_no }}）回访理财需求",
    },
    {
        "name": "monthly_email",
        "channel": "email",
        "purpose": "marketing",
        "subject": "{{ customer.honorific }}的月度精选",
        "body": "本月精选产品。",
        "html": "<p>本月精选 <a href=\"{{ link('https://bank.example.cn/m') }}\">查看</a></p>",
    },
]


def open_bank(runtime: Runtime, folder: Path) -> None:
    bank.import_bank(runtime, folder)
    consents = bank.write_csv(folder / "consents_messaging.csv", CONSENTS)
    import_file(runtime, kind="consents", path=consents)
    for template in TEMPLATES:
        service.create_template(runtime, template, actor="test")


def send(runtime: Runtime, customer_no: str, template: str, **options: Any) -> dict[str, Any]:
    return service.send_message(
        runtime,
        customer_no=customer_no,
        template=template,
        priority=options.pop("priority", 5),
        source="test",
        **options,
    )


def run_until(runtime: Runtime, until: datetime) -> dict[str, Any]:
    platform = build_platform(runtime)
    try:
        return platform.run_until(until)
    finally:
        for work in platform.due_work:
            close = getattr(getattr(work, "__self__", None), "close", None)
            if close is not None:
                close()


def messages_of(runtime: Runtime, customer_no: str) -> list[dict[str, Any]]:
    return list(service.list_messages(runtime, customer_no=customer_no)["messages"])
