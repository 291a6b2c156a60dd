"""Properties of the contact policy over generated customers, messages, histories, configurations and times.

The checks recompute consent, quiet hours and cap counts independently of the policy's own helpers. Zones
with daylight saving are included and `now` is often drawn near the nights the clocks change.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huoke.messaging.model import CHANNELS, CONSENT_CHANNEL, Channel, Purpose
from huoke.messaging.policy import (
    ALL_CONSENT_CHANNELS,
    ContactProfile,
    Decision,
    FrequencyCap,
    MessageIntent,
    PolicyConfig,
    Touch,
    decide,
    decide_batch,
)

# zone -> (the instants its clocks change in 2026, local times those nights skip or repeat)
DST: dict[str, tuple[tuple[datetime, ...], tuple[time, ...]]] = {
    "Asia/Shanghai": ((), ()),
    # 02:00-03:00 skipped in March, 01:00-02:00 repeated in November
    "America/New_York": (
        (datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)),
        (time(2, 30), time(1, 30)),
    ),
    # 01:00-02:00 skipped in March, repeated in October
    "Europe/London": ((datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)), (time(1, 30),)),
    # half-hour changes: 01:30-02:00 repeated in April, 02:00-02:30 skipped in October
    "Australia/Lord_Howe": (
        (datetime(2026, 4, 4, 15, tzinfo=UTC), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
        (time(1, 45), time(2, 15)),
    ),
}
TEMPLATES = tuple(f"t{i}" for i in range(8))
# Marketing is where the rules are: draw it most often, but service and risk too.
INTENT_PURPOSES: tuple[Purpose, ...] = ("marketing", "marketing", "marketing", "marketing", "service", "risk")
TOUCH_PURPOSES: tuple[Purpose, ...] = ("marketing", "marketing", "service", "risk")
MANY = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    profile: ContactProfile
    intent: MessageIntent
    history: tuple[Touch, ...]
    now: datetime
    config: PolicyConfig


clocks = st.sampled_from([time(21), time(8), time(12), time(14)]) | st.builds(
    time, st.integers(0, 23), st.integers(0, 59)
)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
any_time: st.SearchStrategy[datetime] = st.integers(0, 730 * 86_400).map(lambda s: EPOCH + timedelta(seconds=s))
NEAR_CHANGE = [-180, -90, -40, -20, -1, 1, 20, 40, 90]  # minutes from the instant the clocks change
EDGE_OFFSETS = [0, 0, 0, -1, 1, -60, 60]  # seconds from a quiet-hours edge
caps = st.builds(FrequencyCap, st.integers(0, 6), st.integers(1, 10), st.none() | st.sampled_from(CHANNELS))


@st.composite
def configs(draw: st.DrawFn) -> PolicyConfig:
    zone = draw(st.sampled_from(sorted(DST)))
    telling = DST[zone][1]
    use_telling = bool(telling) and draw(st.booleans())
    end = draw(st.sampled_from(telling)) if use_telling else draw(clocks)
    # quiet for 0 (none) to 22 hours: a day keeps more open time than a DST gap is long
    minutes = draw(st.sampled_from([11 * 60, 2 * 60, 0]) | st.integers(1, 22 * 60))
    start = (datetime.combine(EPOCH.date(), end) - timedelta(minutes=minutes)).time()
    return PolicyConfig(
        zone=ZoneInfo(zone),
        quiet_start=start,
        quiet_end=end,
        caps=tuple(draw(st.lists(caps, max_size=3))),
        dedup_hours=draw(st.sampled_from([0, 1, 24]) | st.integers(0, 48)),
        senior_age=draw(st.none() | st.integers(60, 90)),
        senior_no_sms_links=draw(st.booleans()),
    )


CONSENT_KEYS = [(channel, purpose) for channel in ALL_CONSENT_CHANNELS for purpose in ("marketing", "service", "risk")]


def _consents(mode: str, missing: str, states: list[bool | None]) -> dict[tuple[str, str], bool]:
    """Per consent key: never asked (None), granted or withdrawn; then, by ``mode``, marketing granted on
    every channel ("all") or on every channel but ``missing`` ("all_but_one"), the case webhooks hinge on."""
    consents = {key: state for key, state in zip(CONSENT_KEYS, states, strict=True) if state is not None}
    if mode != "random":
        consents.update({(channel, "marketing"): True for channel in ALL_CONSENT_CHANNELS})
    if mode == "all_but_one":
        consents[(missing, "marketing")] = False
    return consents


consent_maps = st.builds(
    _consents,
    st.sampled_from(["all", "all_but_one", "random"]),
    st.sampled_from(ALL_CONSENT_CHANNELS),
    st.lists(st.sampled_from([None, True, True, False]), min_size=18, max_size=18),
)
profile_specs = st.tuples(
    consent_maps,
    st.sampled_from([False] * 9 + [True]),  # on the do-not-contact list
    st.sampled_from([None] * 12 + [-24, 0, 1, 48]),  # a complaint lapses this many hours from now
    st.none() | st.dates(date(1935, 1, 1), date(2005, 12, 31)),
)
IntentSpec = tuple[Channel, Purpose, str, int, Literal["defer", "drop"], bool, int | None]
intent_specs: st.SearchStrategy[IntentSpec] = st.tuples(
    st.sampled_from(CHANNELS),
    st.sampled_from(INTENT_PURPOSES),
    st.sampled_from(TEMPLATES),
    st.integers(0, 9),
    st.sampled_from(["defer", "drop"]),
    st.booleans(),
    st.none() | st.integers(-60, 48 * 60),  # expires this many minutes from now
)
touch_specs = st.lists(
    st.tuples(
        st.integers(-3600, 11 * 86_400),
        st.sampled_from(CHANNELS),
        st.sampled_from(TOUCH_PURPOSES),
        st.sampled_from(TEMPLATES),
    ),
    max_size=8,
)


def intent(spec: IntentSpec, now: datetime) -> MessageIntent:
    channel, purpose, template, priority, at_quiet, links, expires = spec
    expires_at = None if expires is None else now + timedelta(minutes=expires)
    return MessageIntent(channel, purpose, template, priority, None, at_quiet, links, expires_at)


@st.composite
def instants(draw: st.DrawFn, config: PolicyConfig) -> datetime:
    """Any time in 2026-27, a time near a DST change, or one on or next to a quiet-hours edge (local time)."""
    nights = DST[str(config.zone)][0]
    kind = draw(st.sampled_from(["any", "dst", "edge", "edge"] if nights else ["any", "edge"]))
    when = draw(any_time)
    if kind == "dst":
        minutes = draw(st.sampled_from(NEAR_CHANGE) | st.integers(-720, 720))
        when = draw(st.sampled_from(nights)) + timedelta(minutes=minutes)
    if kind != "edge":
        return when
    day = when.astimezone(config.zone).date()
    edge = datetime.combine(day, draw(st.sampled_from([config.quiet_start, config.quiet_end])), tzinfo=config.zone)
    return edge.astimezone(UTC) + timedelta(seconds=draw(st.sampled_from(EDGE_OFFSETS)))


@st.composite
def cases(draw: st.DrawFn, *, reachable: bool = False) -> Case:
    """A generated case; ``reachable``: a marketing message to a customer who may receive marketing."""
    config = draw(configs())
    now = draw(instants(config))
    consents, dnc, complaint, born = draw(profile_specs)
    complaint_until = None if complaint is None else now + timedelta(hours=complaint)
    profile = ContactProfile(consents, dnc, complaint_until, born)
    history = tuple(Touch(now - timedelta(seconds=s), c, p, t) for s, c, p, t in draw(touch_specs))
    message = intent(draw(intent_specs), now)
    if reachable:
        profile = ContactProfile(dict.fromkeys(CONSENT_KEYS, True), birth_date=born)
        message = replace(message, purpose="marketing", template="fresh", quiet_hours="defer")
    return Case(profile, message, history, now, config)


def quiet(config: PolicyConfig, instant: datetime) -> bool:
    clock = instant.astimezone(config.zone).time()
    start, end = config.quiet_start, config.quiet_end
    if start == end:
        return False
    return start <= clock < end if start < end else not end <= clock < start


def has_marketing_consent(profile: ContactProfile, channel: Channel) -> bool:
    consent_channel = CONSENT_CHANNEL[channel]
    needed = ALL_CONSENT_CHANNELS if consent_channel is None else (consent_channel,)
    return all(profile.consents.get((c, "marketing")) is True for c in needed)


def cap_room(cap: FrequencyCap, history: tuple[Touch, ...], now: datetime) -> int:
    """How many more marketing messages the cap admits: the limit less the touches in (now - days, ...]."""
    used = sum(
        1
        for t in history
        if t.purpose == "marketing" and t.at > now - timedelta(days=cap.days) and cap.channel in (None, t.channel)
    )
    return cap.limit - used


def applies(cap: FrequencyCap, channel: Channel) -> bool:
    return cap.channel in (None, channel)


@MANY
@given(cases() | cases(reachable=True))
def test_marketing_is_never_sent_without_consent_in_quiet_hours_or_over_a_cap(case: Case) -> None:
    decision = decide(case.profile, case.intent, case.history, case.now, case.config)
    if case.intent.purpose != "marketing" or decision.kind != "send":
        return
    assert has_marketing_consent(case.profile, case.intent.channel)
    assert not case.profile.do_not_contact
    assert not quiet(case.config, case.now)
    assert all(
        cap_room(cap, case.history, case.now) >= 1 for cap in case.config.caps if applies(cap, case.intent.channel)
    )
    assert decision.deliver_at == case.now


@MANY
@given(cases() | cases(reachable=True))
def test_a_deferral_lands_after_now_outside_quiet_hours_and_before_expiry(case: Case) -> None:
    decision = decide(case.profile, case.intent, case.history, case.now, case.config)
    if decision.kind != "defer":
        return
    assert case.intent.purpose == "marketing"
    assert case.intent.expires_at is None or (decision.deliver_at or case.now) <= case.intent.expires_at
    assert_earliest_open_instant(case.config, case.now, decision)


@st.composite
def dst_nights(draw: st.DrawFn) -> tuple[PolicyConfig, datetime]:
    """Quiet hours in a zone with daylight saving, often ending at a time the night skips or repeats."""
    zone = draw(st.sampled_from(sorted(name for name, (nights, _) in DST.items() if nights)))
    nights, telling = DST[zone]
    end = draw(st.sampled_from(telling) | clocks)
    minutes = draw(st.sampled_from([11 * 60, 2 * 60]) | st.integers(1, 22 * 60))
    start = (datetime.combine(EPOCH.date(), end) - timedelta(minutes=minutes)).time()
    now = draw(st.sampled_from(nights)) + timedelta(minutes=draw(st.integers(-24 * 60, 24 * 60)))
    return PolicyConfig(ZoneInfo(zone), start, end, caps=()), now


@MANY
@given(dst_nights())
def test_around_dst_changes_marketing_is_deferred_exactly_while_quiet(
    config_now: tuple[PolicyConfig, datetime],
) -> None:
    config, now = config_now
    profile = ContactProfile(dict.fromkeys(CONSENT_KEYS, True))
    decision = decide(profile, MessageIntent("email", "marketing", "x"), (), now, config)
    if not quiet(config, now):
        assert decision == Decision("send", "sent", now)
        return
    assert_earliest_open_instant(config, now, decision)


def assert_earliest_open_instant(config: PolicyConfig, now: datetime, decision: Decision) -> None:
    """A deferral for quiet hours lands on the first instant after now that is not quiet."""
    assert (decision.kind, decision.reason) == ("defer", "quiet_hours")
    assert quiet(config, now)
    assert decision.deliver_at is not None
    assert now < decision.deliver_at < now + timedelta(days=1)
    assert not quiet(config, decision.deliver_at)
    second_before = decision.deliver_at.astimezone(UTC) - timedelta(seconds=1)  # real time, not wall time
    assert second_before < now or quiet(config, second_before)


@MANY
@given(cases())
def test_risk_always_sends_unless_expired_and_decisions_are_deterministic(case: Case) -> None:
    decision = decide(case.profile, case.intent, case.history, case.now, case.config)
    if case.intent.purpose == "risk" and (case.intent.expires_at is None or case.intent.expires_at >= case.now):
        assert decision == Decision("send", "sent", case.now)
    assert decide(case.profile, case.intent, case.history, case.now, case.config) == decision
    shuffled = list(case.history)
    random.Random(len(shuffled)).shuffle(shuffled)
    assert decide(case.profile, case.intent, tuple(shuffled), case.now, case.config) == decision


@MANY
@given(cases() | cases(reachable=True), st.data())
def test_a_batch_never_sends_more_marketing_than_the_caps_allow(case: Case, data: st.DataObject) -> None:
    batch = [intent(spec, case.now) for spec in data.draw(st.lists(intent_specs, min_size=1, max_size=6))]
    decisions = decide_batch(case.profile, batch, case.history, case.now, case.config)
    assert len(decisions) == len(batch)
    sent = [intent for intent, d in zip(batch, decisions, strict=True) if d.kind == "send"]
    for cap in case.config.caps:
        used = sum(1 for intent in sent if intent.purpose == "marketing" and applies(cap, intent.channel))
        assert used <= max(0, cap_room(cap, case.history, case.now))
    assert decide_batch(case.profile, batch, case.history, case.now, case.config) == decisions


@MANY
@given(cases(), st.data())
def test_a_batch_of_one_decides_like_decide(case: Case, data: st.DataObject) -> None:
    extra = intent(data.draw(intent_specs), case.now)
    single = decide(case.profile, case.intent, case.history, case.now, case.config)
    assert decide_batch(case.profile, [case.intent], case.history, case.now, case.config) == [single]
    # a message outranking everything else in the batch is decided as if it were alone
    if extra.priority < case.intent.priority:
        pair = decide_batch(case.profile, [extra, case.intent], case.history, case.now, case.config)
        assert pair[1] == single
