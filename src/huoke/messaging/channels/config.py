"""The channels file (``channels.toml``): which provider each channel uses and how to reach it.

One table per channel (``[sms]``, ``[email]``, ``[wechat_template]``, ``[wecom_text]``, ``[push]``,
``[webhook]``), plus ``[file]`` for the file sink. A channel without a table, or with ``provider = "file"``,
writes to ``<data-dir>/outbox/<channel>.jsonl``. Secrets are never in the file: keys ending in ``_env`` name
the environment variable that holds them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from huoke.messaging.model import Channel
from huoke.platform.errors import InvalidInput

ERROR_CODE = "bad_channels_file"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Provider(_Table):
    rate_per_second: float | None = Field(default=None, gt=0, description="calls per second; none = unlimited")
    concurrency: int = Field(default=16, ge=1, le=1024, description="in-flight sends at most")


class _HttpProvider(_Provider):
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    read_timeout_seconds: float = Field(default=5.0, gt=0)


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) < len("http://x"):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value.rstrip("/")


HttpUrlText = Annotated[str, AfterValidator(_http_url)]


class SmsConfig(_HttpProvider):
    """An HTTP SMS gateway: POST {base_url}{path}, HMAC-signed with the secret in ``secret_env``."""

    provider: Literal["http"] = "http"
    base_url: HttpUrlText
    path: str = "/send"
    secret_env: str
    signature: str | None = Field(default=None, description="sender signature sent with every SMS, e.g. 活客银行")
    callback_secret_env: str | None = Field(default=None, description="secret of receipts and replies")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} must start with /")
        return value


class EmailConfig(_Provider):
    """An SMTP relay."""

    provider: Literal["smtp"] = "smtp"
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    username: str | None = None
    password_env: str | None = None
    starttls: bool = False
    use_tls: bool = False
    ca_file: str | None = Field(default=None, description="PEM file of the CA (or self-signed cert) to trust")
    verify: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0)
    from_address: str
    from_name: str | None = None
    unsubscribe_mailto: str | None = Field(default=None, description="address of mailto: unsubscribes")
    message_id_domain: str | None = None
    concurrency: int = Field(default=4, ge=1, le=256)

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if value.count("@") != 1 or value.startswith("@") or value.endswith("@"):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value


class WechatConfig(_HttpProvider):
    """A WeChat official account (公众号) sending template messages."""

    provider: Literal["wechat_mp"] = "wechat_mp"
    base_url: HttpUrlText = "https://api.weixin.qq.com"
    appid: str
    secret_env: str
    callback_secret_env: str | None = Field(default=None, description="secret of the forwarded event pushes")


class WecomConfig(_HttpProvider):
    """A WeCom (企业微信) application sending text messages."""

    provider: Literal["wecom"] = "wecom"
    base_url: HttpUrlText = "https://qyapi.weixin.qq.com"
    corpid: str
    agentid: int
    secret_env: str


class PushConfig(_HttpProvider):
    """An app push service reached by a JSON POST."""

    provider: Literal["http"] = "http"
    url: HttpUrlText
    token_env: str | None = Field(default=None, description="bearer token, when the service wants one")


class WebhookConfig(_HttpProvider):
    """A receiver of whole messages as signed JSON."""

    provider: Literal["http"] = "http"
    url: HttpUrlText
    secret_env: str


class FileConfig(_Table):
    """The file sink shared by every channel without a provider."""

    provider: Literal["file"] = "file"
    fsync: bool = Field(default=False, description="fsync after each line: survives power loss, slower")


class ChannelsConfig(_Table):
    """Every channel's provider; ``None`` means the file sink."""

    source: str = "defaults"
    sms: SmsConfig | None = None
    email: EmailConfig | None = None
    wechat_template: WechatConfig | None = None
    wecom_text: WecomConfig | None = None
    push: PushConfig | None = None
    webhook: WebhookConfig | None = None
    file: FileConfig = FileConfig()

    def callback_secret(self, channel: Channel, environ: Mapping[str, str]) -> bytes | None:
        """The secret provider callbacks of CHANNEL are signed with (``callback_secret_env``, else the SMS
        gateway's own ``secret_env``), or None when none is configured or the variable is unset."""
        table = getattr(self, channel, None)
        name = getattr(table, "callback_secret_env", None)
        if name is None and isinstance(table, SmsConfig):
            name = table.secret_env
        value = environ.get(name) if name else None
        return value.encode() if value else None


TABLES: dict[str, type[_Table]] = {
    "sms": SmsConfig,
    "email": EmailConfig,
    "wechat_template": WechatConfig,
    "wecom_text": WecomConfig,
    "push": PushConfig,
    "webhook": WebhookConfig,
    "file": FileConfig,
}


def load_channels_config(path: Path | None) -> ChannelsConfig:
    """Read the channels file at PATH; None or a missing file leaves every channel on the file sink."""
    if path is None or not path.is_file():
        return ChannelsConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"channels file {path}: {exc}", code=ERROR_CODE) from exc
    return parse_channels_config(document, source=str(path))


def parse_channels_config(document: Mapping[str, Any], *, source: str) -> ChannelsConfig:
    """Validate the tables of a channels document (already parsed from TOML)."""
    tables: dict[str, Any] = {}
    for name, raw in document.items():
        if name not in TABLES:
            known = ", ".join(f"[{table}]" for table in TABLES)
            raise InvalidInput(f"channels file {source}: [{name}] is not a channel table ({known})", code=ERROR_CODE)
        if not isinstance(raw, dict):
            raise InvalidInput(f"channels file {source}: {name} must be a table [{name}]", code=ERROR_CODE)
        table = _table(name, raw, source)
        if table is not None:
            tables[name] = table
    return ChannelsConfig(source=source, **tables)


def _table(name: str, raw: dict[str, Any], source: str) -> _Table | None:
    model = TABLES[name]
    provider = raw.get("provider", model.model_fields["provider"].default)
    if provider == "file" and name != "file":
        extra = sorted(set(raw) - {"provider"})
        if extra:
            _fail(source, name, extra[0], 'has no meaning with provider = "file"')
        return None
    if provider != model.model_fields["provider"].default:
        choices = f'"{model.model_fields["provider"].default}" or "file"'
        _fail(source, name, "provider", f"{provider!r} is not a provider of this channel ({choices})")
    try:
        table = model.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(source, name, exc) from exc
    if isinstance(table, EmailConfig) and table.starttls and table.use_tls:
        _fail(source, name, "use_tls", "starttls and use_tls exclude each other (STARTTLS upgrades a plain port)")
    return table


def _invalid(source: str, name: str, exc: ValidationError) -> InvalidInput:
    problems = [_problem(error) for error in exc.errors()]
    text = "; ".join(f"key {key}: {reason}" for key, reason in problems)
    details = {"errors": [{"table": name, "key": key, "reason": reason} for key, reason in problems]}
    return InvalidInput(f"channels file {source}: [{name}] {text}", code=ERROR_CODE, details=details)


def _problem(error: Any) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"]) or "?"
    if error["type"] == "missing":
        return key, "is required"
    if error["type"] == "extra_forbidden":
        return key, "is not a known key"
    reason = str(error["msg"]).removeprefix("Value error, ")
    return key, f"{reason} (got {error['input']!r})"


def _fail(source: str, name: str, key: str, reason: str) -> NoReturn:
    raise InvalidInput(
        f"channels file {source}: [{name}] key {key}: {reason}",
        code=ERROR_CODE,
        details={"errors": [{"table": name, "key": key, "reason": reason}]},
    )
