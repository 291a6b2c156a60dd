"""Building every channel's adapter from the channels configuration.

Each channel the dispatcher sends through (sms, email, wechat_template, wecom_text, push, webhook, file) gets
its configured provider, or the file sink writing ``<outbox_dir>/<channel>.jsonl``. The in-app inbox and RM
tasks are not here: the platform stores those itself (``local_channels.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from huoke.messaging.channels.base import ChannelAdapter
from huoke.messaging.channels.config import (
    ChannelsConfig,
    EmailConfig,
    PushConfig,
    SmsConfig,
    WebhookConfig,
    WechatConfig,
    WecomConfig,
)
from huoke.messaging.channels.file_sink import FileSink
from huoke.messaging.channels.push import PushAdapter
from huoke.messaging.channels.sms_gateway import SmsGatewayAdapter
from huoke.messaging.channels.smtp import SmtpAdapter
from huoke.messaging.channels.webhook import WebhookAdapter
from huoke.messaging.channels.wechat import WechatTemplateAdapter
from huoke.messaging.channels.wecom import WecomTextAdapter
from huoke.messaging.model import Channel
from huoke.platform.errors import InvalidInput

ADAPTED_CHANNELS: tuple[Channel, ...] = ("sms", "email", "wechat_template", "wecom_text", "push", "webhook", "file")


class _Secrets:
    """Reads the secrets a table names from the environment, naming the table and variable when one is unset."""

    def __init__(self, config: ChannelsConfig, environ: Mapping[str, str]) -> None:
        self.source = config.source
        self.environ = environ

    def required(self, table: str, key: str, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise InvalidInput(
                f"channels file {self.source}: [{table}] key {key}: environment variable {name} is not set",
                code="missing_secret",
                details={"table": table, "key": key, "variable": name},
            )
        return value

    def optional(self, table: str, key: str, name: str | None) -> str | None:
        return None if name is None else self.required(table, key, name)


def _sms(config: SmsConfig, secrets: _Secrets) -> ChannelAdapter:
    return SmsGatewayAdapter(config, secret=secrets.required("sms", "secret_env", config.secret_env).encode())


def _email(config: EmailConfig, secrets: _Secrets) -> ChannelAdapter:
    return SmtpAdapter(config, password=secrets.optional("email", "password_env", config.password_env))


def _wechat(config: WechatConfig, secrets: _Secrets) -> ChannelAdapter:
    return WechatTemplateAdapter(config, secret=secrets.required("wechat_template", "secret_env", config.secret_env))


def _wecom(config: WecomConfig, secrets: _Secrets) -> ChannelAdapter:
    return WecomTextAdapter(config, secret=secrets.required("wecom_text", "secret_env", config.secret_env))


def _push(config: PushConfig, secrets: _Secrets) -> ChannelAdapter:
    return PushAdapter(config, token=secrets.optional("push", "token_env", config.token_env))


def _webhook(config: WebhookConfig, secrets: _Secrets) -> ChannelAdapter:
    return WebhookAdapter(config, secret=secrets.required("webhook", "secret_env", config.secret_env).encode())


BUILDERS: dict[Channel, Callable[[Any, _Secrets], ChannelAdapter]] = {
    "sms": _sms,
    "email": _email,
    "wechat_template": _wechat,
    "wecom_text": _wecom,
    "push": _push,
    "webhook": _webhook,
}


def build_adapters(
    config: ChannelsConfig, *, outbox_dir: Path, environ: Mapping[str, str] = os.environ
) -> dict[Channel, ChannelAdapter]:
    """One adapter per channel the dispatcher sends through; unconfigured channels share the file sink.

    Every secret is read first, so a missing variable fails before any connection is opened.
    """
    secrets = _Secrets(config, environ)
    sink = FileSink(outbox_dir, fsync=config.file.fsync)
    adapters: dict[Channel, ChannelAdapter] = {}
    for channel in ADAPTED_CHANNELS:
        table = getattr(config, channel) if channel in BUILDERS else None
        adapters[channel] = sink if table is None else BUILDERS[channel](table, secrets)
    return adapters
