"""Local stand-ins for the providers huoke talks to: real HTTP servers (uvicorn) and a real SMTP server
(aiosmtpd) on 127.0.0.1, each on a free port in a background thread.

Every HTTP server records what it received, can be told to fail the next N requests with a given status and
body, answers after ``delay_ms`` (to model a provider's latency in benchmarks), and tracks how many requests
were in flight at once. Use them as context managers::

    with SmsGatewayServer(b"secret", delay_ms=5) as gateway:
        ... gateway.url ...
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl

import uvicorn

from huoke.messaging.model import Channel, OutboundMessage
from huoke.messaging.receipts import verify_signature
from huoke.platform.errors import InvalidInput

Answer = tuple[int, Any]
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it (header names in lower case)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Failure:
    status: int
    body: Any
    path: str | None


class ProviderServer:
    """A small ASGI application served by uvicorn in a thread; subclasses answer in ``handle``."""

    def __init__(self, *, delay_ms: float = 0) -> None:
        self.delay_ms = delay_ms
        self.received: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._failures: deque[_Failure] = deque()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def fail_next(self, count: int, status: int = 503, body: Any = None, *, path: str | None = None) -> None:
        """Answer the next COUNT requests (to PATH only, when given) with STATUS and BODY instead."""
        for _ in range(count):
            self._failures.append(_Failure(status, {"error": "injected_failure"} if body is None else body, path))

    def requests_to(self, path: str) -> list[Recorded]:
        return [request for request in self.received if request.path == path]

    async def handle(self, request: Recorded) -> Answer:
        raise NotImplementedError

    def start(self) -> Self:
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that name it (else Nagle adds ~40 ms).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self, interface="asgi3", lifespan="off", log_level="warning", access_log=False, backlog=4096
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = await _read(scope, receive)
        self.received.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_ms:
                await asyncio.sleep(self.delay_ms / 1000)
            status, body = self._injected(request) or await self.handle(request)
        finally:
            self.in_flight -= 1
        await _answer(send, status, body)

    def _injected(self, request: Recorded) -> Answer | None:
        failure = self._failures[0] if self._failures else None
        if failure is None or failure.path not in (None, request.path):
            return None
        self._failures.popleft()
        return failure.status, failure.body


async def _read(scope: dict[str, Any], receive: Any) -> Recorded:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    query = dict(parse_qsl(scope.get("query_string", b"").decode()))
    return Recorded(scope["method"], scope["path"], query, headers, b"".join(chunks))


async def _answer(send: Any, status: int, body: Any) -> None:
    data = json.dumps(body, ensure_ascii=False).encode() if not isinstance(body, bytes) else body
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _signed(request: Recorded, secret: bytes) -> bool:
    try:
        verify_signature(
            request.body,
            request.headers.get("x-huoke-signature"),
            secret,
            timestamp=request.headers.get("x-huoke-timestamp"),
        )
    except InvalidInput:
        return False
    return True


class SmsGatewayServer(ProviderServer):
    """An SMS gateway: verifies the HMAC, dedups on ``idempotency_key``, refuses numbers in
    ``invalid_numbers`` with ``400 {"error": "invalid_number"}``."""

    def __init__(self, secret: bytes, *, path: str = "/send", delay_ms: float = 0) -> None:
        super().__init__(delay_ms=delay_ms)
        self.secret = secret
        self.path = path
        self.invalid_numbers: set[str] = set()
        self.accepted: list[dict[str, Any]] = []
        self.ids_by_key: dict[str, str] = {}
        self.duplicates = 0
        self.bad_signatures = 0

    async def handle(self, request: Recorded) -> Answer:
        if (request.method, request.path) != ("POST", self.path):
            return 404, {"error": "not_found"}
        if not _signed(request, self.secret):
            self.bad_signatures += 1
            return 401, {"error": "bad_signature"}
        document = request.json()
        key = document["idempotency_key"]
        if key in self.ids_by_key:
            self.duplicates += 1
            return 200, {"id": self.ids_by_key[key]}
        if document["to"] in self.invalid_numbers:
            return 400, {"error": "invalid_number"}
        self.ids_by_key[key] = provider_id = f"sms-{len(self.ids_by_key) + 1}"
        self.accepted.append(document)
        return 200, {"id": provider_id}


class _TokenServer(ProviderServer):
    """The access-token half of WeChat and WeCom: issued tokens, their expiry, and a way to void them."""

    invalid_token_code = 40001

    def __init__(self, *, token_ttl: int = 7200, delay_ms: float = 0) -> None:
        super().__init__(delay_ms=delay_ms)
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.sent: list[dict[str, Any]] = []
        self.duplicates = 0

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired (errcode 42001), as when another system fetched one."""
        self.tokens = dict.fromkeys(self.tokens, 0.0)

    def _issue(self) -> Answer:
        self.token_requests += 1
        token = f"token-{self.token_requests}"
        self.tokens[token] = time.monotonic() + self.token_ttl
        return 200, {"access_token": token, "expires_in": self.token_ttl}

    def _token_error(self, request: Recorded) -> Answer | None:
        expires = self.tokens.get(request.query.get("access_token", ""))
        if expires is None:
            return 200, {"errcode": self.invalid_token_code, "errmsg": "invalid access_token"}
        if expires <= time.monotonic():
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}
        return None


class WechatServer(_TokenServer):
    """An official account's API: ``/cgi-bin/token`` and ``/cgi-bin/message/template/send``. Openids in
    ``unfollowed`` answer 43004; a repeated ``client_msg_id`` is counted in ``duplicates`` and not sent."""

    def __init__(self, appid: str, secret: str, *, token_ttl: int = 7200, delay_ms: float = 0) -> None:
        super().__init__(token_ttl=token_ttl, delay_ms=delay_ms)
        self.appid, self.secret = appid, secret
        self.unfollowed: set[str] = set()
        self._msgids: dict[str, int] = {}

    async def handle(self, request: Recorded) -> Answer:
        if request.path == "/cgi-bin/token":
            query = request.query
            if (query.get("grant_type"), query.get("appid"), query.get("secret")) != (
                "client_credential",
                self.appid,
                self.secret,
            ):
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            return self._issue()
        if request.path == "/cgi-bin/message/template/send":
            return self._template(request)
        return 404, {"errcode": 404, "errmsg": "not found"}

    def _template(self, request: Recorded) -> Answer:
        if (error := self._token_error(request)) is not None:
            return error
        document = request.json()
        if document.get("touser") in self.unfollowed:
            return 200, {"errcode": 43004, "errmsg": "require subscribe"}
        key = document.get("client_msg_id")
        if key in self._msgids:
            self.duplicates += 1
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": self._msgids[key]}
        msgid = 1000 + len(self.sent)
        self.sent.append(document)
        if key:
            self._msgids[key] = msgid
        return 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid}


class WecomServer(_TokenServer):
    """A WeCom application's API: ``/cgi-bin/gettoken`` and ``/cgi-bin/message/send``. Users in
    ``invalid_users`` answer 81013; the same text to the same user within the duplicate-check interval is
    counted in ``duplicates`` and not sent again."""

    invalid_token_code = 40014

    def __init__(self, corpid: str, secret: str, *, token_ttl: int = 7200, delay_ms: float = 0) -> None:
        super().__init__(token_ttl=token_ttl, delay_ms=delay_ms)
        self.corpid, self.secret = corpid, secret
        self.invalid_users: set[str] = set()
        self._recent: set[tuple[str, str]] = set()

    async def handle(self, request: Recorded) -> Answer:
        if request.path == "/cgi-bin/gettoken":
            if (request.query.get("corpid"), request.query.get("corpsecret")) != (self.corpid, self.secret):
                return 200, {"errcode": 40001, "errmsg": "invalid secret"}
            return self._issue()
        if request.path == "/cgi-bin/message/send":
            return self._send(request)
        return 404, {"errcode": 404, "errmsg": "not found"}

    def _send(self, request: Recorded) -> Answer:
        if (error := self._token_error(request)) is not None:
            return error
        document = request.json()
        user = document.get("touser", "")
        if user in self.invalid_users:
            return 200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
        key = (user, json.dumps(document.get("text"), sort_keys=True))
        if document.get("enable_duplicate_check") and key in self._recent:
            self.duplicates += 1
        else:
            self._recent.add(key)
            self.sent.append(document)
        return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": f"wecom-{len(self.sent)}"}


class WebhookServer(ProviderServer):
    """A generic JSON receiver (app push services, bank webhooks): verifies the HMAC when given a secret,
    dedups on the ``Idempotency-Key`` header, answers ``{"id": …}``."""

    def __init__(self, *, secret: bytes | None = None, delay_ms: float = 0) -> None:
        super().__init__(delay_ms=delay_ms)
        self.secret = secret
        self.accepted: list[Recorded] = []
        self.ids_by_key: dict[str, str] = {}
        self.duplicates = 0
        self.bad_signatures = 0

    async def handle(self, request: Recorded) -> Answer:
        if self.secret is not None and not _signed(request, self.secret):
            self.bad_signatures += 1
            return 401, {"error": "bad_signature"}
        key = request.headers.get("idempotency-key", "")
        if key and key in self.ids_by_key:
            self.duplicates += 1
            return 200, {"id": self.ids_by_key[key]}
        provider_id = f"hook-{len(self.accepted) + 1}"
        self.accepted.append(request)
        if key:
            self.ids_by_key[key] = provider_id
        return 200, {"id": provider_id}


def free_port() -> int:
    """A loopback port nobody listens on (for a moment): for servers that need the port up front, and for
    testing a provider that is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def outbound(channel: Channel = "sms", recipient: str = "13800138000", **fields: Any) -> OutboundMessage:
    """A message as the dispatcher hands it to an adapter; FIELDS override the defaults."""
    message_id = fields.pop("message_id", f"m-{channel}-{time.monotonic_ns()}")
    values: dict[str, Any] = {
        "message_id": message_id,
        "idempotency_key": message_id,
        "channel": channel,
        "purpose": "marketing",
        "recipient": recipient,
        "body": "【活客银行】王先生您好，您的专属理财礼遇已到账。拒收请回复R",
    }
    return OutboundMessage(**(values | fields))
