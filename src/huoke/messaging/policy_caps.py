"""Limits of the contact policy: frequency caps, quiet hours and the configuration that holds them.

Pure values. ``policy.py`` applies them; this module only says what the limits are, reads them from a
TOML-like mapping and answers the two time questions the policy asks: "is this local time quiet?" and
"when do quiet hours end next?".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from huoke.messaging.model import CHANNELS, Channel
from huoke.platform.errors import InvalidInput

CONFIG_CODE = "invalid_policy_config"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)
_CONFIG_KEYS = ("zone", "quiet_start", "quiet_end", "caps", "dedup_hours", "senior_age", "senior_no_sms_links")
_CAP_KEYS = ("limit", "days", "channel")


def _whole(value: object, record: str, key: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _invalid(record, key, f"must be a whole number ≥ {minimum}", value)


def _invalid(record: str, key: str, reason: str, value: object) -> InvalidInput:
    return InvalidInput(f"{record}: {key!r} {reason}, got {value!r}", code=CONFIG_CODE, details={"key": key})


@dataclass(frozen=True)
class FrequencyCap:
    """At most ``limit`` marketing messages in any rolling ``days`` × 24 h.

    ``channel`` None counts marketing on every channel; a channel counts only marketing on that channel
    and constrains only messages sent on it.
    """

    limit: int
    days: int
    channel: Channel | None = None

    def __post_init__(self) -> None:
        _whole(self.limit, "frequency cap", "limit", minimum=0)
        _whole(self.days, "frequency cap", "days", minimum=1)
        if self.channel is not None and self.channel not in CHANNELS:
            raise _invalid("frequency cap", "channel", f"must be one of {', '.join(CHANNELS)}", self.channel)

    @cached_property
    def window(self) -> timedelta:
        """The rolling window, ``days`` × 24 h (computed once)."""
        return timedelta(days=self.days)


DEFAULT_CAPS = (FrequencyCap(3, 7), FrequencyCap(1, 1, "sms"))


@dataclass(frozen=True)
class PolicyConfig:
    """How the contact policy decides; the defaults follow PRODUCT.md (21:00–08:00 Asia/Shanghai).

    Default caps: at most 3 marketing messages per customer in any 7 × 24 h across all channels, and at
    most 1 marketing SMS in any 24 h. ``quiet_start == quiet_end`` means no quiet hours; ``senior_age``
    None turns senior protection off.
    """

    zone: tzinfo = SHANGHAI
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    caps: tuple[FrequencyCap, ...] = DEFAULT_CAPS
    dedup_hours: int = 24
    senior_age: int | None = 75
    senior_no_sms_links: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.zone, tzinfo):
            raise _invalid("policy config", "zone", "must be a time zone", self.zone)
        _local_time(self.quiet_start, "quiet_start")
        _local_time(self.quiet_end, "quiet_end")
        object.__setattr__(self, "caps", _caps(self.caps))
        _whole(self.dedup_hours, "policy config", "dedup_hours", minimum=0)
        if self.senior_age is not None:
            _whole(self.senior_age, "policy config", "senior_age", minimum=1)
        if not isinstance(self.senior_no_sms_links, bool):
            raise _invalid("policy config", "senior_no_sms_links", "must be true or false", self.senior_no_sms_links)

    @cached_property
    def dedup_window(self) -> timedelta:
        """How far back a touch with the same template makes a message a duplicate (computed once)."""
        return timedelta(hours=self.dedup_hours)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PolicyConfig:
        """Read a ``[messaging.policy]``-style table; absent keys keep their defaults.

        Times are ``"HH:MM"`` (or TOML local times), ``zone`` an IANA name, ``caps`` a list of
        ``{limit, days, channel?}`` tables and ``senior_age = false`` turns senior protection off.
        Raises InvalidInput naming the offending key.
        """
        for key in data:
            if key not in _CONFIG_KEYS:
                raise _invalid("policy config", key, f"is not a known key ({', '.join(_CONFIG_KEYS)})", data[key])
        readers: dict[str, Callable[[Any, str], Any]] = {
            "zone": _zone,
            "quiet_start": _time,
            "quiet_end": _time,
            "caps": _cap_list,
            "senior_age": _age,
        }
        values = {key: readers.get(key, _same)(value, key) for key, value in data.items()}
        return cls(**values)


def in_quiet_hours(config: PolicyConfig, local: time) -> bool:
    """Whether the local wall-clock time falls in ``[quiet_start, quiet_end)``, which may wrap midnight."""
    start, end = config.quiet_start, config.quiet_end
    if start < end:
        return start <= local < end
    if start > end:
        return local >= start or local < end
    return False


def quiet_hours_end(config: PolicyConfig, now_utc: datetime) -> datetime:
    """The first instant after ``now_utc`` at which the clock in ``config.zone`` reads ``quiet_end``.

    DST-safe: an end time the clocks pass twice (autumn) counts at both instants, so the second pass
    through a repeated hour is covered; an end time skipped by a spring gap ends quiet hours when the
    clocks jump past it. The result is in ``config.zone``.
    """
    today = now_utc.astimezone(config.zone).date()
    for day in (today, today + _ONE_DAY):
        for instant in _instants(day, config.quiet_end, config.zone):
            if instant > now_utc:
                return instant.astimezone(config.zone)
    raise AssertionError("unreachable: quiet_end occurs within two local days")  # pragma: no cover


def _instants(day: date, at: time, zone: tzinfo) -> tuple[datetime, ...]:
    """The UTC instants at which the local clock first reads ``at`` or later on ``day``.

    Two in a repeated (autumn) hour; in a spring gap, where ``at`` never shows, the end of the gap.
    """
    first = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    second = datetime.combine(day, at.replace(fold=1), tzinfo=zone).astimezone(UTC)
    if second > first:
        return (first, second)
    if second < first:  # a gap: fold=1 reads it with the offset after the change, fold=0 with the one before
        return (_gap_end(second, first, zone),)
    return (first,)


def _gap_end(before: datetime, after: datetime, zone: tzinfo) -> datetime:
    """The instant, to the second, at which the zone's offset changes between ``before`` and ``after``."""
    offset = after.astimezone(zone).utcoffset()
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)


def _caps(caps: Sequence[FrequencyCap]) -> tuple[FrequencyCap, ...]:
    result = tuple(caps)
    for index, cap in enumerate(result):
        if not isinstance(cap, FrequencyCap):
            raise _invalid("policy config", f"caps[{index}]", "must be a FrequencyCap", cap)
    return result


def _local_time(value: object, key: str) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise _invalid("policy config", key, "must be a local time of day without a zone", value)


def _same(value: Any, key: str) -> Any:
    return value


def _zone(value: Any, key: str) -> tzinfo:
    if isinstance(value, tzinfo):
        return value
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _invalid("policy config", key, "must be an IANA time zone such as 'Asia/Shanghai'", value) from exc


def _time(value: Any, key: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise _invalid("policy config", key, "must be a time of day 'HH:MM'", value) from exc


def _age(value: Any, key: str) -> int | None:
    # TOML has no null: `senior_age = false` is how a file turns the protection off.
    return None if value is None or value is False else cast(int, value)


def _cap_list(value: Any, key: str) -> tuple[FrequencyCap, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _invalid("policy config", key, "must be a list of {limit, days, channel} tables", value)
    return tuple(_cap(item, f"{key}[{index}]") for index, item in enumerate(value))


def _cap(item: Any, where: str) -> FrequencyCap:
    if not isinstance(item, Mapping):
        raise _invalid("policy config", where, "must be a table with limit, days and optionally channel", item)
    for key in item:
        if key not in _CAP_KEYS:
            raise _invalid("policy config", f"{where}.{key}", f"is not a known key ({', '.join(_CAP_KEYS)})", item[key])
    for key in ("limit", "days"):
        if key not in item:
            raise _invalid("policy config", f"{where}.{key}", "is required", None)
        _whole(item[key], "policy config", f"{where}.{key}", minimum=0 if key == "limit" else 1)
    channel = item.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise _invalid("policy config", f"{where}.channel", f"must be one of {', '.join(CHANNELS)}", channel)
    return FrequencyCap(item["limit"], item["days"], channel)
