"""Marketing consent histories per channel, with evidence (source, time, notice version).

Every reachable channel of a customer gets a grant (or a refusal) when they start using it; about one in
eight channels ends withdrawn, most of those after an earlier grant, so the latest record decides.
"""

from __future__ import annotations

from functools import cache
from random import Random

from huoke.demo.dates import iso_day, iso_timestamp
from huoke.demo.people import Person
from huoke.demo.sampling import Weighted, days_between

CONSENT_COLUMNS = ("customer_no", "channel", "purpose", "status", "recorded_at", "source", "notice_version")
ConsentRow = tuple[str, str, str, str, str, str, str]

_HISTORIES = Weighted(
    [
        (("granted",), 85),
        (("granted", "withdrawn"), 8),
        (("withdrawn",), 5),
        (("granted", "withdrawn", "granted"), 2),
    ]
)
_JOIN_SOURCE = {
    "branch_counter": "branch_counter",
    "payroll_partner": "branch_counter",
    "mobile_app": "app",
    "online_banking": "online_banking",
    "wechat_mini_program": "wechat",
}
_WITHDRAWAL_SOURCES = {
    "sms": Weighted([("sms_reply", 60), ("app", 25), ("branch_counter", 15)]),
    "email": Weighted([("email_unsubscribe", 80), ("online_banking", 20)]),
    "wechat": Weighted([("wechat", 100)]),
    "push": Weighted([("app", 100)]),
}
# (channel, most days after account opening before the channel's first record)
_FIRST_RECORD_DELAY = {"sms": 3, "email": 30, "wechat": 400, "push": 200}
_COUNTER_HOURS = (9 * 3600, 17 * 3600)
_WAKING_HOURS = (7 * 3600, 23 * 3600)


@cache
def notice_version(ordinal: int) -> str:
    """The privacy notice in force on a day: a new version each half-year, named like `2024.1`."""
    day = iso_day(ordinal)
    return f"{day[:4]}.{1 if int(day[5:7]) <= 6 else 2}"


class ConsentHistories:
    def __init__(self, rng: Random, *, last_day: int) -> None:
        self._rng = rng
        self._last_day = last_day

    def for_customer(self, person: Person) -> list[ConsentRow]:
        rows: list[ConsentRow] = []
        for channel in _channels(person):
            self._history(rows, person, channel)
        return rows

    def _history(self, rows: list[ConsentRow], person: Person, channel: str) -> None:
        rng = self._rng
        day = min(person.opened + int(rng.random() * _FIRST_RECORD_DELAY[channel]), self._last_day)
        source = _first_source(person, channel)
        statuses = _HISTORIES.pick(rng)
        rows.append(self._record(person, channel, statuses[0], day, source))
        for status in statuses[1:]:
            if day >= self._last_day:
                return  # no time left for a later change of mind
            day = days_between(rng, day + 1, self._last_day)
            if status == "withdrawn":
                source = _WITHDRAWAL_SOURCES[channel].pick(rng)
            rows.append(self._record(person, channel, status, day, source))

    def _record(self, person: Person, channel: str, status: str, day: int, source: str) -> ConsentRow:
        low, high = _COUNTER_HOURS if source == "branch_counter" else _WAKING_HOURS
        second = low + int(self._rng.random() * (high - low))
        return (
            person.customer_no,
            channel,
            "marketing",
            status,
            iso_timestamp(day, second),
            source,
            notice_version(day),
        )


def _channels(person: Person) -> list[str]:
    channels = ["sms"] if person.phone else []
    if person.email:
        channels.append("email")
    if person.openid:
        channels.append("wechat")
    if person.app_user:
        channels.append("push")
    return channels


def _first_source(person: Person, channel: str) -> str:
    if channel == "push":
        return "app"
    if channel == "wechat":
        return "wechat"
    return _JOIN_SOURCE[person.join_channel]
