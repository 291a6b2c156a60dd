"""The channels file and the adapters built from it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from huoke.messaging.channels.base import ChannelAdapter
from huoke.messaging.channels.config import ChannelsConfig, load_channels_config
from huoke.messaging.channels.file_sink import FileSink
from huoke.messaging.channels.registry import build_adapters
from huoke.messaging.channels.sms_gateway import SmsGatewayAdapter
from huoke.messaging.channels.smtp import SmtpAdapter
from huoke.messaging.channels.wechat import WechatTemplateAdapter
from huoke.messaging.model import Channel, DeliveryOutcome
from huoke.platform.errors import InvalidInput
from tests.support.providers import SmsGatewayServer, outbound

FULL = """
[sms]
provider = "http"
base_url = "http://127.0.0.1:9000/"
secret_env = "HUOKE_SMS_SECRET"
signature = "活客银行"
rate_per_second = 200
concurrency = 64

[email]
host = "smtp.bank.example"
port = 587
starttls = true
username = "huoke"
password_env = "HUOKE_SMTP_PASSWORD"
from_address = "marketing@bank.example"
from_name = "活客银行"

[wechat_template]
appid = "wx123"
secret_env = "HUOKE_WECHAT_SECRET"

[push]
provider = "file"

[file]
fsync = true
"""
ENV = {"HUOKE_SMS_SECRET": "s", "HUOKE_SMTP_PASSWORD": "p", "HUOKE_WECHAT_SECRET": "w"}


def channels_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "channels.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        load_channels_config(channels_file(tmp_path, text))
    assert caught.value.code == "bad_channels_file"
    assert str(tmp_path / "channels.toml") in caught.value.message
    return caught.value.message


def test_no_file_leaves_every_channel_on_the_file_sink(tmp_path: Path) -> None:
    assert load_channels_config(None) == ChannelsConfig()
    assert load_channels_config(tmp_path / "absent.toml") == ChannelsConfig()

    adapters = build_adapters(ChannelsConfig(), outbox_dir=tmp_path / "outbox", environ={})

    assert set(adapters) == {"sms", "email", "wechat_template", "wecom_text", "push", "webhook", "file"}
    assert all(isinstance(adapter, FileSink) for adapter in adapters.values())


def test_a_full_file_configures_each_table(tmp_path: Path) -> None:
    config = load_channels_config(channels_file(tmp_path, FULL))

    assert config.sms is not None
    assert (config.sms.base_url, config.sms.rate_per_second, config.sms.concurrency) == (
        "http://127.0.0.1:9000",
        200,
        64,
    )
    assert config.email is not None
    assert (config.email.port, config.email.starttls, config.email.password_env) == (587, True, "HUOKE_SMTP_PASSWORD")
    assert config.wechat_template is not None
    assert config.wechat_template.base_url == "https://api.weixin.qq.com"
    assert config.push is None
    assert config.file.fsync is True

    adapters = build_adapters(config, outbox_dir=tmp_path, environ=ENV)

    assert isinstance(adapters["sms"], SmsGatewayAdapter)
    assert (adapters["sms"].rate_per_second, adapters["sms"].concurrency) == (200, 64)
    assert isinstance(adapters["email"], SmtpAdapter)
    assert isinstance(adapters["wechat_template"], WechatTemplateAdapter)
    assert isinstance(adapters["push"], FileSink)
    assert isinstance(adapters["wecom_text"], FileSink)
    assert "inbox" not in adapters
    assert "rm_task" not in adapters
    asyncio.run(close_all(adapters))


async def close_all(adapters: dict[Channel, ChannelAdapter]) -> None:
    for adapter in adapters.values():
        await adapter.aclose()


def test_a_missing_secret_names_the_table_and_the_variable(tmp_path: Path) -> None:
    config = load_channels_config(channels_file(tmp_path, FULL))
    with pytest.raises(InvalidInput) as caught:
        build_adapters(config, outbox_dir=tmp_path, environ={"HUOKE_SMS_SECRET": "s"})
    assert caught.value.code == "missing_secret"
    assert "[email]" in caught.value.message
    assert "HUOKE_SMTP_PASSWORD" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[sms]\nbase_url = "http://x"\nsecret_env = "S"\nrate_per_second = -5', "[sms] key rate_per_second"),
        ('[sms]\nbase_url = "http://x"\nsecret_env = "S"\nrate = 5', "[sms] key rate: is not a known key"),
        ('[sms]\nsecret_env = "S"', "[sms] key base_url: is required"),
        ('[sms]\nbase_url = "ftp://x"\nsecret_env = "S"', "[sms] key base_url: 'ftp://x' is not an http"),
        ('[sms]\nprovider = "twilio"\nbase_url = "http://x"', "[sms] key provider: 'twilio' is not a provider"),
        ('[push]\nprovider = "file"\nurl = "http://x"', '[push] key url: has no meaning with provider = "file"'),
        ('[email]\nhost = "h"\nfrom_address = "a@b"\nport = "25"', "[email] key port"),
        ('[email]\nhost = "h"\nfrom_address = "nobody"', "[email] key from_address: 'nobody' is not an e-mail"),
        ('[email]\nhost = "h"\nfrom_address = "a@b"\nstarttls = true\nuse_tls = true', "[email] key use_tls"),
        ('[wecom_text]\ncorpid = "c"\nsecret_env = "S"', "[wecom_text] key agentid: is required"),
        ("[fax]\nnumber = 1", "[fax] is not a channel table"),
        ("sms = 1", "sms must be a table [sms]"),
        ("[sms\n", "channels file"),
    ],
)
def test_a_bad_key_or_value_names_the_file_table_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refused(tmp_path, text)


def test_callback_secrets_come_from_the_environment(tmp_path: Path) -> None:
    text = FULL.replace('appid = "wx123"', 'appid = "wx123"\ncallback_secret_env = "HUOKE_WECHAT_CALLBACK"')
    config = load_channels_config(channels_file(tmp_path, text))
    environ = ENV | {"HUOKE_WECHAT_CALLBACK": "cb"}
    assert config.callback_secret("sms", environ) == b"s"
    assert config.callback_secret("wechat_template", environ) == b"cb"
    assert config.callback_secret("wechat_template", ENV) is None
    assert config.callback_secret("push", environ) is None


def test_built_adapters_send_to_the_configured_gateway_and_the_rest_to_the_outbox(tmp_path: Path) -> None:
    with SmsGatewayServer(b"gateway-secret") as gateway:
        text = f'[sms]\nbase_url = "{gateway.url}"\nsecret_env = "SMS_SECRET"\n'
        config = load_channels_config(channels_file(tmp_path, text))
        adapters = build_adapters(config, outbox_dir=tmp_path / "outbox", environ={"SMS_SECRET": "gateway-secret"})
        messages = [outbound("sms", "13800138000"), outbound("email", "wang@example.com"), outbound("file", "one-1")]

        async def go() -> list[DeliveryOutcome]:
            try:
                return [await adapters[m.channel].send(m) for m in messages]
            finally:
                await close_all(adapters)

        outcomes = asyncio.run(go())
    assert [outcome.kind for outcome in outcomes] == ["sent", "sent", "sent"]
    assert len(gateway.accepted) == 1
    assert read_ids(tmp_path / "outbox" / "email.jsonl") == [messages[1].message_id]
    assert read_ids(tmp_path / "outbox" / "file.jsonl") == [messages[2].message_id]


def read_ids(path: Path) -> list[str]:
    return [json.loads(line)["message_id"] for line in path.read_text(encoding="utf-8").splitlines()]
