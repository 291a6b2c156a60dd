"""E-mail through an SMTP relay (aiosmtplib): plain or implicit TLS or STARTTLS, with optional login.

The MIME message carries a UTF-8 subject and display name (RFC 2047 encoded by the email library), the text
body and an HTML alternative, a ``Message-ID`` made from our message id, and for marketing mail the RFC 8058
one-click unsubscribe headers. Connections that delivered well are kept for the next message.
"""

from __future__ import annotations

import email.errors
import ssl
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from huoke.messaging.channels.base import DETAIL_CHARS, missing_recipient
from huoke.messaging.channels.config import EmailConfig
from huoke.messaging.model import Channel, DeliveryOutcome, OutboundMessage

_PERMANENT_FLOOR, _PERMANENT_CEILING = 500, 600
_UNKNOWN_MAILBOX = frozenset({550, 551, 553})
# "Authentication required", "must issue STARTTLS first", "bad credentials": our configuration, not the message.
_NOT_ALLOWED_YET = frozenset({530, 534, 535, 538})


@dataclass(frozen=True)
class Sender:
    """Who the mail is from, and the addresses its headers name."""

    address: str
    name: str | None = None
    message_id_domain: str | None = None
    unsubscribe_mailto: str | None = None

    @property
    def domain(self) -> str:
        return self.message_id_domain or self.address.rpartition("@")[2]


def build_email(message: OutboundMessage, sender: Sender, *, now: datetime | None = None) -> EmailMessage:
    """The MIME message of MESSAGE: text part, HTML alternative when given, unsubscribe headers when asked."""
    mail = EmailMessage()
    local, _, domain = sender.address.rpartition("@")
    mail["From"] = Address(display_name=sender.name or "", username=local, domain=domain)
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or ""
    mail["Date"] = format_datetime(now or datetime.now(UTC))
    mail["Message-ID"] = f"<{message.message_id}@{sender.domain}>"
    _add_unsubscribe(mail, message, sender)
    mail.set_content(message.body, charset="utf-8")
    if message.html:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


def _add_unsubscribe(mail: EmailMessage, message: OutboundMessage, sender: Sender) -> None:
    url = message.extra.get("unsubscribe_url")
    if not url:
        return
    links = [f"<{url}>"]
    mailto = message.extra.get("unsubscribe_mailto") or _mailto(sender.unsubscribe_mailto, str(url))
    if mailto:
        links.append(f"<{mailto}>")
    mail["List-Unsubscribe"] = ", ".join(links)
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def _mailto(address: str | None, url: str) -> str | None:
    """``mailto:`` with the signed token of the unsubscribe link as its subject."""
    if not address:
        return None
    token = url.rstrip("/").rpartition("/")[2]
    return f"mailto:{address}?subject={urllib.parse.quote('unsubscribe ' + token)}"


# Failures without an SMTP reply, most specific first (each is an OSError of a kind).
_NO_REPLY: tuple[tuple[type[BaseException], str], ...] = (
    (TimeoutError, "timeout"),
    (ssl.SSLError, "tls_failed"),
    (aiosmtplib.SMTPServerDisconnected, "disconnected"),
    (OSError, "connection_failed"),
)


def outcome_of_smtp_error(exc: Exception) -> DeliveryOutcome:
    """4xx replies, timeouts and lost connections pass; 5xx replies do not (550: no such mailbox)."""
    detail = f"{type(exc).__name__}: {exc}"[:DETAIL_CHARS]
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _by_reply_code(exc, detail)
    reason = next((reason for kind, reason in _NO_REPLY if isinstance(exc, kind)), "smtp_error")
    return DeliveryOutcome.transient(reason, detail)


def _by_reply_code(exc: aiosmtplib.SMTPResponseException, detail: str) -> DeliveryOutcome:
    if not _PERMANENT_FLOOR <= exc.code < _PERMANENT_CEILING:
        return DeliveryOutcome.transient("smtp_4xx", detail)
    if exc.code in _NOT_ALLOWED_YET:
        return DeliveryOutcome.transient("provider_auth", detail)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused) and exc.code in _UNKNOWN_MAILBOX:
        return DeliveryOutcome.permanent("invalid_recipient", detail)
    return DeliveryOutcome.permanent("rejected", detail)


def tls_context(config: EmailConfig) -> ssl.SSLContext | None:
    """The context of TLS connections: the system's CAs or the configured ``ca_file``; no check when
    ``verify = false``."""
    if not (config.starttls or config.use_tls):
        return None
    context = ssl.create_default_context(cafile=config.ca_file)
    if not config.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SmtpAdapter:
    """Sends each message to its one recipient; keeps up to ``concurrency`` connections between messages."""

    channel: Channel = "email"
    provider = "smtp"

    def __init__(self, config: EmailConfig, *, password: str | None) -> None:
        self.concurrency = config.concurrency
        self.rate_per_second = config.rate_per_second
        self.config = config
        self.sender = Sender(config.from_address, config.from_name, config.message_id_domain, config.unsubscribe_mailto)
        self._password = password
        self._tls = tls_context(config)
        self._idle: list[aiosmtplib.SMTP] = []

    async def send(self, message: OutboundMessage) -> DeliveryOutcome:
        if (refused := missing_recipient(message)) is not None:
            return refused
        try:
            mail = build_email(message, self.sender)
        except (ValueError, TypeError, email.errors.MessageError) as exc:
            return DeliveryOutcome.permanent("invalid_message", f"{type(exc).__name__}: {exc}"[:DETAIL_CHARS])
        if self._idle:
            outcome = await self._deliver(self._idle.pop(), mail, message.recipient, reused=True)
            if outcome is not None:
                return outcome
        try:
            client = await self._connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return outcome_of_smtp_error(exc)
        return await self._deliver(client, mail, message.recipient, reused=False) or DeliveryOutcome.transient(
            "disconnected", "the server closed the connection"
        )

    async def _deliver(
        self, client: aiosmtplib.SMTP, mail: EmailMessage, recipient: str, *, reused: bool
    ) -> DeliveryOutcome | None:
        """Send over CLIENT; None when a kept connection turned out closed (the caller opens a new one)."""
        try:
            _, reply = await client.send_message(mail, sender=self.sender.address, recipients=[recipient])
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused) as exc:
            self._keep(client)  # a refusal is about this message: aiosmtplib reset the session, reuse it
            return outcome_of_smtp_error(exc)
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            client.close()
            if reused and isinstance(exc, aiosmtplib.SMTPServerDisconnected | ConnectionError):
                return None
            if isinstance(exc, ValueError):
                return DeliveryOutcome.permanent("invalid_message", str(exc)[:DETAIL_CHARS])
            return outcome_of_smtp_error(exc)
        self._keep(client)
        return DeliveryOutcome.sent(str(mail["Message-ID"]), detail=reply[:DETAIL_CHARS])

    async def _connect(self) -> aiosmtplib.SMTP:
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=self._password if config.username else None,
            use_tls=config.use_tls,
            start_tls=config.starttls,
            tls_context=self._tls,
            timeout=config.timeout_seconds,
        )
        await client.connect()
        return client

    def _keep(self, client: aiosmtplib.SMTP) -> None:
        if len(self._idle) < self.concurrency and client.is_connected:
            self._idle.append(client)
        else:
            client.close()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            await _close(client)


async def _close(client: aiosmtplib.SMTP) -> None:
    """Say goodbye when the server still listens; drop the connection either way."""
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
