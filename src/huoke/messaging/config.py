"""The messaging configuration files of a data dir: the contact policy (``policy.toml``) and the channel
providers (``channels.toml``). Both are optional; defaults are documented in docs/messaging.md."""

from __future__ import annotations

import tomllib
from pathlib import Path

from huoke.messaging.policy import PolicyConfig
from huoke.platform.errors import InvalidInput
from huoke.platform.settings import Settings


def policy_file(settings: Settings) -> Path | None:
    """The policy file in force: HUOKE_POLICY_FILE, else <data-dir>/policy.toml when present."""
    return _chosen(settings.policy_file, settings.data_dir / "policy.toml")


def channels_file(settings: Settings) -> Path | None:
    """The channels file in force: HUOKE_CHANNELS_FILE, else <data-dir>/channels.toml when present."""
    return _chosen(settings.channels_file, settings.data_dir / "channels.toml")


def policy_config(settings: Settings) -> PolicyConfig:
    """The contact policy: defaults in the business time zone, overridden by the policy file's keys."""
    path = policy_file(settings)
    data = {"zone": settings.time_zone}
    if path is not None:
        try:
            data |= tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"policy file {path}: {exc}", code="bad_policy_file") from exc
    return PolicyConfig.from_mapping(data)


def _chosen(explicit: Path | None, default: Path) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise InvalidInput(f"configuration file {explicit} does not exist", code="missing_config_file")
        return explicit
    return default if default.is_file() else None
