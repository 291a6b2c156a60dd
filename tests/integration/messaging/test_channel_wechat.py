"""WeChat template messages and WeCom text messages against local servers that mimic their APIs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from huoke.messaging.channels.config import WechatConfig, WecomConfig
from huoke.messaging.channels.wechat import AccessTokens, WechatTemplateAdapter
from huoke.messaging.channels.wecom import WecomTextAdapter
from huoke.messaging.model import DeliveryOutcome, OutboundMessage
from tests.support.providers import WechatServer, WecomServer, outbound

APPID, APP_SECRET = "wx-bank", "app-secret"
CORPID, CORP_SECRET = "ww-bank", "corp-secret"
TEMPLATE = "tpl-wealth-offer"
ENV_NAME = "HUOKE_TEST_SECRET"


@pytest.fixture
def wechat() -> Iterator[WechatServer]:
    with WechatServer(APPID, APP_SECRET) as server:
        yield server


@pytest.fixture
def wecom() -> Iterator[WecomServer]:
    with WecomServer(CORPID, CORP_SECRET) as server:
        yield server


def wechat_message(openid: str = "o-openid-1", **extra: Any) -> OutboundMessage:
    fields = {"template_id": TEMPLATE, "data": {"name": "王先生", "amount": {"value": "88.00", "color": "#c00"}}}
    return outbound("wechat_template", openid, extra=fields | extra)


def with_wechat(
    url: str, script: Callable[[WechatTemplateAdapter], Coroutine[Any, Any, Any]], secret: str = APP_SECRET
) -> Any:
    async def go() -> Any:
        adapter = WechatTemplateAdapter(WechatConfig(base_url=url, appid=APPID, secret_env=ENV_NAME), secret=secret)
        try:
            return await script(adapter)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def with_wecom(url: str, script: Callable[[WecomTextAdapter], Coroutine[Any, Any, Any]]) -> Any:
    async def go() -> Any:
        config = WecomConfig(base_url=url, corpid=CORPID, agentid=1000002, secret_env=ENV_NAME)
        adapter = WecomTextAdapter(config, secret=CORP_SECRET)
        try:
            return await script(adapter)
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_a_template_message_is_sent_with_the_template_data_and_client_msg_id(wechat: WechatServer) -> None:
    message = wechat_message(url="https://bank.example/offer")

    outcome = with_wechat(wechat.url, lambda adapter: adapter.send(message))

    assert outcome == DeliveryOutcome.sent("1000")
    [sent] = wechat.sent
    assert sent == {
        "touser": "o-openid-1",
        "template_id": TEMPLATE,
        "data": {"name": {"value": "王先生"}, "amount": {"value": "88.00", "color": "#c00"}},
        "client_msg_id": message.idempotency_key,
        "url": "https://bank.example/offer",
    }
    [request] = wechat.requests_to("/cgi-bin/message/template/send")
    assert request.headers["idempotency-key"] == message.idempotency_key


def test_the_access_token_is_fetched_once_for_many_sends(wechat: WechatServer) -> None:
    async def many(adapter: WechatTemplateAdapter) -> list[DeliveryOutcome]:
        return list(await asyncio.gather(*(adapter.send(wechat_message(f"o-{i}")) for i in range(10))))

    outcomes = with_wechat(wechat.url, many)

    assert [outcome.kind for outcome in outcomes] == ["sent"] * 10
    assert wechat.token_requests == 1
    [token_request] = wechat.requests_to("/cgi-bin/token")
    assert token_request.query == {"grant_type": "client_credential", "appid": APPID, "secret": APP_SECRET}


def test_an_expired_token_is_refreshed_once_within_the_same_send(wechat: WechatServer) -> None:
    async def expire_between(adapter: WechatTemplateAdapter) -> tuple[DeliveryOutcome, DeliveryOutcome]:
        first = await adapter.send(wechat_message())
        wechat.expire_tokens()
        return first, await adapter.send(wechat_message("o-openid-2"))

    first, second = with_wechat(wechat.url, expire_between)

    assert (first.kind, second.kind) == ("sent", "sent")
    assert wechat.token_requests == 2
    assert len(wechat.sent) == 2


def test_a_token_rejected_again_after_the_refresh_is_transient(wechat: WechatServer) -> None:
    path = "/cgi-bin/message/template/send"
    wechat.fail_next(2, 200, {"errcode": 40001, "errmsg": "invalid credential"}, path=path)

    outcome = with_wechat(wechat.url, lambda adapter: adapter.send(wechat_message()))

    assert (outcome.kind, outcome.reason) == ("transient", "token_invalid")
    assert wechat.token_requests == 2
    assert len(wechat.requests_to(path)) == 2


def test_an_unfollowed_or_invalid_openid_is_a_permanent_invalid_recipient(wechat: WechatServer) -> None:
    wechat.unfollowed.add("o-gone")
    outcome = with_wechat(wechat.url, lambda adapter: adapter.send(wechat_message("o-gone")))
    assert (outcome.kind, outcome.reason) == ("permanent", "invalid_recipient")

    wechat.fail_next(1, 200, {"errcode": 40003, "errmsg": "invalid openid"}, path="/cgi-bin/message/template/send")
    outcome = with_wechat(wechat.url, lambda adapter: adapter.send(wechat_message("o-bad")))
    assert (outcome.kind, outcome.reason) == ("permanent", "invalid_recipient")


def test_system_busy_and_5xx_are_transient(wechat: WechatServer) -> None:
    path = "/cgi-bin/message/template/send"
    wechat.fail_next(1, 200, {"errcode": -1, "errmsg": "system error"}, path=path)
    wechat.fail_next(1, 502, path=path)

    async def twice(adapter: WechatTemplateAdapter) -> list[DeliveryOutcome]:
        return [await adapter.send(wechat_message()), await adapter.send(wechat_message())]

    busy, bad_gateway = with_wechat(wechat.url, twice)
    assert (busy.kind, busy.reason) == ("transient", "provider_busy")
    assert (bad_gateway.kind, bad_gateway.reason) == ("transient", "provider_5xx")


def test_wrong_app_credentials_are_transient_so_a_fixed_secret_still_delivers(wechat: WechatServer) -> None:
    outcome = with_wechat(wechat.url, lambda adapter: adapter.send(wechat_message()), secret=APP_SECRET[::-1])
    assert (outcome.kind, outcome.reason) == ("transient", "provider_auth")
    assert "40125" in outcome.detail
    assert wechat.sent == []


def test_a_message_without_a_template_id_is_refused_before_any_call(wechat: WechatServer) -> None:
    message = outbound("wechat_template", "o-1", extra={"data": {}})
    outcome = with_wechat(wechat.url, lambda adapter: adapter.send(message))
    assert (outcome.kind, outcome.reason) == ("permanent", "invalid_message")
    assert wechat.received == []


def test_a_token_is_kept_until_five_minutes_before_it_expires() -> None:
    now, fetches = [0.0], []

    async def fetch() -> tuple[str, float]:
        fetches.append(now[0])
        return f"t{len(fetches)}", 7200.0

    tokens = AccessTokens(fetch, clock=lambda: now[0])

    async def script() -> list[str | DeliveryOutcome]:
        got = [await tokens.get()]
        now[0] = 7200 - 301
        got.append(await tokens.get())
        now[0] = 7200 - 299
        got.append(await tokens.get())
        tokens.invalidate("t1")  # an old token: the newer one stays
        got.append(await tokens.get())
        return got

    assert asyncio.run(script()) == ["t1", "t1", "t2", "t2"]


def test_a_wecom_text_message_is_sent_with_duplicate_check(wecom: WecomServer) -> None:
    message = outbound("wecom_text", "rm-zhang", body="客户王先生浏览理财产品 3 分钟，请跟进。")

    outcome = with_wecom(wecom.url, lambda adapter: adapter.send(message))

    assert outcome == DeliveryOutcome.sent("wecom-1")
    assert wecom.sent == [
        {
            "touser": "rm-zhang",
            "msgtype": "text",
            "agentid": 1000002,
            "text": {"content": message.body},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        }
    ]
    [token_request] = wecom.requests_to("/cgi-bin/gettoken")
    assert token_request.query == {"corpid": CORPID, "corpsecret": CORP_SECRET}


def test_a_wecom_retry_of_the_same_text_is_not_delivered_twice(wecom: WecomServer) -> None:
    message = outbound("wecom_text", "rm-zhang", body="请跟进客户。")

    async def twice(adapter: WecomTextAdapter) -> list[DeliveryOutcome]:
        return [await adapter.send(message), await adapter.send(message)]

    outcomes = with_wecom(wecom.url, twice)
    assert [outcome.kind for outcome in outcomes] == ["sent", "sent"]
    assert (len(wecom.sent), wecom.duplicates) == (1, 1)


def test_wecom_refreshes_an_expired_token_and_refuses_unknown_users(wecom: WecomServer) -> None:
    wecom.invalid_users.add("nobody")

    async def script(adapter: WecomTextAdapter) -> list[DeliveryOutcome]:
        first = await adapter.send(outbound("wecom_text", "rm-li"))
        wecom.expire_tokens()
        return [
            first,
            await adapter.send(outbound("wecom_text", "rm-wu")),
            await adapter.send(outbound("wecom_text", "nobody")),
        ]

    first, refreshed, unknown = with_wecom(wecom.url, script)
    assert (first.kind, refreshed.kind) == ("sent", "sent")
    assert wecom.token_requests == 2
    assert (unknown.kind, unknown.reason) == ("permanent", "invalid_recipient")


def test_wecom_lists_an_invalid_user_in_an_accepted_answer(wecom: WecomServer) -> None:
    wecom.fail_next(1, 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "ghost"}, path="/cgi-bin/message/send")
    outcome = with_wecom(wecom.url, lambda adapter: adapter.send(outbound("wecom_text", "ghost")))
    assert (outcome.kind, outcome.reason) == ("permanent", "invalid_recipient")
