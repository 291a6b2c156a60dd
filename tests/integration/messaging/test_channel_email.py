"""The SMTP adapter against a real SMTP server (aiosmtpd) on loopback, in plain text and over STARTTLS."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from huoke.messaging.channels.config import EmailConfig
from huoke.messaging.channels.smtp import SmtpAdapter
from huoke.messaging.model import DeliveryOutcome, OutboundMessage
from tests.support.providers import free_port, outbound
from tests.support.smtp_server import SmtpServer, TlsFiles, self_signed_tls

FROM = "marketing@huoke-bank.example"
UNSUBSCRIBE = "https://huoke-bank.example/u/m-mail-1.3f9a0c"
LOGIN = ("huoke", "s3cret")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(refused={"nobody@example.com"}) as server:
        yield server


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed_tls(tmp_path_factory.mktemp("tls"))


def config(port: int, **options: Any) -> EmailConfig:
    values = {"host": "127.0.0.1", "port": port, "from_address": FROM, "from_name": "活客银行 信用卡中心"}
    return EmailConfig.model_validate(values | options)


def mail(recipient: str = "wang@example.com", **fields: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "message_id": "m-mail-1",
        "subject": "王先生，您的专属理财礼遇",
        "body": "尊敬的王先生：您的专属理财礼遇已到账。",
        "html": "<p>尊敬的王先生：您的<b>专属理财礼遇</b>已到账。</p>",
        "extra": {"unsubscribe_url": UNSUBSCRIBE},
    }
    return outbound("email", recipient, **(values | fields))


def send(settings: EmailConfig, *messages: OutboundMessage, password: str | None = None) -> list[DeliveryOutcome]:
    async def go() -> list[DeliveryOutcome]:
        adapter = SmtpAdapter(settings, password=password)
        try:
            return [await adapter.send(message) for message in messages]
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_a_marketing_mail_arrives_with_chinese_subject_both_parts_and_one_click_unsubscribe(smtp: SmtpServer) -> None:
    settings = config(smtp.port, unsubscribe_mailto="unsubscribe@huoke-bank.example")

    [outcome] = send(settings, mail())

    assert outcome == DeliveryOutcome.sent("<m-mail-1@huoke-bank.example>", detail=outcome.detail)
    [received] = smtp.mails
    assert received.rcpt_tos == ["wang@example.com"]
    assert received.mail_from == FROM
    parsed = received.parsed()
    assert parsed["Subject"] == "王先生，您的专属理财礼遇"
    assert parsed["From"].addresses[0].display_name == "活客银行 信用卡中心"
    assert parsed["From"].addresses[0].addr_spec == FROM
    assert parsed["To"] == "wang@example.com"
    assert parsed["Message-ID"] == "<m-mail-1@huoke-bank.example>"
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().strip() == "尊敬的王先生：您的专属理财礼遇已到账。"
    assert "<b>专属理财礼遇</b>" in html.get_content()
    links = parsed["List-Unsubscribe"]
    assert links.startswith(f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@huoke-bank.example?subject=")
    assert "m-mail-1.3f9a0c" in links
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_headers_stay_ascii_on_the_wire(smtp: SmtpServer) -> None:
    send(config(smtp.port), mail())
    head = smtp.mails[0].content.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head
    head.decode("ascii")


def test_a_service_mail_without_html_or_unsubscribe_link_is_plain_text(smtp: SmtpServer) -> None:
    send(config(smtp.port), mail(html=None, extra={}, purpose="service", subject="账单提醒"))
    parsed = smtp.mails[0].parsed()
    assert parsed.get_content_type() == "text/plain"
    assert parsed["List-Unsubscribe"] is None
    assert parsed["List-Unsubscribe-Post"] is None


def test_an_unknown_mailbox_is_a_permanent_invalid_recipient(smtp: SmtpServer) -> None:
    [outcome] = send(config(smtp.port), mail("nobody@example.com"))
    assert (outcome.kind, outcome.reason) == ("permanent", "invalid_recipient")
    assert "550" in outcome.detail
    assert smtp.mails == []


def test_a_connection_is_reused_and_survives_a_refused_recipient(smtp: SmtpServer) -> None:
    outcomes = send(
        config(smtp.port),
        mail("a@example.com", message_id="m-a"),
        mail("nobody@example.com", message_id="m-b"),
        mail("c@example.com", message_id="m-c"),
    )
    assert [outcome.kind for outcome in outcomes] == ["sent", "permanent", "sent"]
    assert [m.rcpt_tos for m in smtp.mails] == [["a@example.com"], ["c@example.com"]]
    assert len({m.peer for m in smtp.mails}) == 1


def test_a_server_that_is_down_is_transient() -> None:
    [outcome] = send(config(free_port(), timeout_seconds=2), mail())
    assert (outcome.kind, outcome.reason) == ("transient", "connection_failed")


def test_starttls_with_login_delivers_to_a_server_trusting_its_own_certificate(tls_files: TlsFiles) -> None:
    server = SmtpServer(tls=tls_files, require_starttls=True, credentials=LOGIN)
    with server:
        settings = config(server.port, starttls=True, ca_file=str(tls_files.cert), username="huoke")
        [outcome] = send(settings, mail(), password=LOGIN[1])
    assert outcome.kind == "sent", outcome
    [received] = server.mails
    assert received.authenticated_as == "huoke"
    assert received.parsed()["Subject"] == "王先生，您的专属理财礼遇"


def test_an_untrusted_certificate_or_a_wrong_password_is_transient(tls_files: TlsFiles, tmp_path: Path) -> None:
    stranger = self_signed_tls(tmp_path)  # a different self-signed certificate: not the server's
    server = SmtpServer(tls=tls_files, require_starttls=True, credentials=LOGIN)
    with server:
        untrusted = config(server.port, starttls=True, ca_file=str(stranger.cert), username="huoke")
        [tls_refused] = send(untrusted, mail(), password=LOGIN[1])
        trusted = config(server.port, starttls=True, ca_file=str(tls_files.cert), username="huoke")
        [login_refused] = send(trusted, mail(), password=LOGIN[1][::-1])
    assert (tls_refused.kind, tls_refused.reason) == ("transient", "tls_failed")
    assert (login_refused.kind, login_refused.reason) == ("transient", "provider_auth")
    assert server.mails == []


def test_a_server_requiring_starttls_refuses_a_client_configured_without_it_until_fixed(tls_files: TlsFiles) -> None:
    with SmtpServer(tls=tls_files, require_starttls=True) as server:
        [outcome] = send(config(server.port), mail())
    assert (outcome.kind, outcome.reason) == ("transient", "provider_auth")
    assert "530" in outcome.detail
    assert server.mails == []
