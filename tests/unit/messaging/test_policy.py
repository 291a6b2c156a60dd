"""The contact policy, rule by rule, with expectations worked out by hand.

Unless a test says otherwise: Wednesday 2026-03-18 in Asia/Shanghai, the default configuration (quiet hours
21:00–08:00, at most 3 marketing messages in 7 days and 1 marketing SMS a day, de-duplication over 24 h,
senior protection from 75), and a customer who granted marketing consent on every channel.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huoke.messaging.model import CONSENT_CHANNEL, Channel
from huoke.messaging.policy import (
    ALL_CONSENT_CHANNELS,
    REASONS,
    ContactProfile,
    Decision,
    FrequencyCap,
    MessageIntent,
    PolicyConfig,
    Touch,
    age_on,
    decide,
    decide_batch,
)
from huoke.platform.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
CONFIG = PolicyConfig()
ALL_MARKETING = {(channel, "marketing"): True for channel in ALL_CONSENT_CHANNELS}
CUSTOMER = ContactProfile(ALL_MARKETING)


def at(clock: str, day: str = "2026-03-18", zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


NOON = at("12:00")


def offer(channel: Channel = "email", **fields: Any) -> MessageIntent:
    return MessageIntent(channel, fields.pop("purpose", "marketing"), fields.pop("template", "wealth_offer"), **fields)


def touch(when: datetime, channel: Channel = "email", template: str = "earlier", purpose: Any = "marketing") -> Touch:
    return Touch(when, channel, purpose, template)


def verdict(
    intent: MessageIntent,
    profile: ContactProfile = CUSTOMER,
    history: tuple[Touch, ...] = (),
    now: datetime = NOON,
    config: PolicyConfig = CONFIG,
) -> tuple[str, str]:
    decision = decide(profile, intent, history, now, config)
    assert decision.reason in REASONS
    return decision.kind, decision.reason


SENT = ("send", "sent")


# 1. time and expiry


def test_a_naive_now_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="'now'") as caught:
        decide(CUSTOMER, offer(), (), datetime(2026, 3, 18, 12), CONFIG)  # noqa: DTZ001 - the point of the test
    assert caught.value.code == "invalid_policy_input"


def test_send_delivers_now() -> None:
    assert decide(CUSTOMER, offer(), (), NOON, CONFIG) == Decision("send", "sent", NOON)


@pytest.mark.parametrize("purpose", ["marketing", "service", "risk"])
def test_an_expired_message_is_suppressed_whatever_its_purpose(purpose: str) -> None:
    assert verdict(offer(purpose=purpose, expires_at=NOON - timedelta(seconds=1))) == ("suppress", "expired")


def test_a_message_may_still_go_at_the_instant_it_expires() -> None:
    assert verdict(offer(expires_at=NOON)) == SENT


# 2. risk and service


BLOCKED = ContactProfile({}, do_not_contact=True, complaint_until=NOON + timedelta(days=9), birth_date=date(1940, 1, 1))
FULL = tuple(touch(NOON - timedelta(hours=h), "sms", "fraud_alert") for h in (1, 2, 3))


def test_risk_messages_bypass_every_other_rule() -> None:
    fraud = offer("sms", purpose="risk", template="fraud_alert", has_links=True)
    assert verdict(fraud, BLOCKED, FULL, now=at("23:30")) == SENT


def test_service_needs_no_consent_record_and_ignores_marketing_limits() -> None:
    statement = offer("sms", purpose="service", template="statement")
    assert verdict(statement, BLOCKED, FULL, now=at("23:30")) == SENT


def test_service_is_suppressed_when_service_consent_was_withdrawn() -> None:
    profile = ContactProfile({("sms", "service"): False, ("email", "service"): True})
    assert verdict(offer("sms", purpose="service"), profile) == ("suppress", "no_service_consent")
    assert verdict(offer("email", purpose="service"), profile) == SENT


def test_service_through_webhook_is_blocked_by_a_withdrawal_on_any_channel() -> None:
    profile = ContactProfile({("push", "service"): False})
    assert verdict(offer("webhook", purpose="service"), profile) == ("suppress", "no_service_consent")


def test_service_is_deduplicated() -> None:
    history = (touch(NOON - timedelta(hours=1), template="statement", purpose="service"),)
    assert verdict(offer(purpose="service", template="statement"), history=history) == ("suppress", "duplicate")


# 3. do-not-contact, complaints, consent


def test_do_not_contact_comes_before_consent() -> None:
    assert verdict(offer(), ContactProfile({}, do_not_contact=True)) == ("suppress", "do_not_contact")


def test_an_open_complaint_suppresses_marketing_until_it_lapses() -> None:
    assert verdict(offer(), replace(CUSTOMER, complaint_until=NOON + timedelta(seconds=1))) == ("suppress", "complaint")
    assert verdict(offer(), replace(CUSTOMER, complaint_until=NOON)) == SENT


@pytest.mark.parametrize("granted", [None, False])
def test_marketing_needs_consent_granted_for_its_channel(granted: bool | None) -> None:
    consents = {} if granted is None else {("email", "marketing"): granted}
    profile = ContactProfile({**consents, ("sms", "marketing"): True, ("email", "service"): True})
    assert verdict(offer("email"), profile) == ("suppress", "no_consent")


@pytest.mark.parametrize("channel", ["wechat_template", "wecom_text", "push", "inbox", "rm_task"])
def test_each_channel_is_governed_by_its_consent_channel(channel: Channel) -> None:
    consent_channel = CONSENT_CHANNEL[channel]
    assert verdict(offer(channel), ContactProfile({(str(consent_channel), "marketing"): True})) == SENT
    others = {(c, "marketing"): True for c in ALL_CONSENT_CHANNELS if c != consent_channel}
    assert verdict(offer(channel), ContactProfile(others)) == ("suppress", "no_consent")


@pytest.mark.parametrize("channel", ["webhook", "file"])
def test_webhook_and_file_marketing_need_consent_on_every_channel(channel: Channel) -> None:
    assert verdict(offer(channel)) == SENT
    for missing in ALL_CONSENT_CHANNELS:
        consents = {key: True for key in ALL_MARKETING if key[0] != missing}
        assert verdict(offer(channel), ContactProfile(consents)) == ("suppress", "no_consent")


# 4. senior protection


BORN = date(1951, 3, 18)  # 75 on the day of these tests
SMS_LINK = offer("sms", has_links=True)


def test_no_sms_with_links_from_the_75th_birthday() -> None:
    senior = replace(CUSTOMER, birth_date=BORN)
    assert verdict(SMS_LINK, senior) == ("suppress", "senior_protection")
    assert verdict(SMS_LINK, senior, now=NOON - timedelta(days=1)) == SENT  # still 74


def test_age_is_counted_on_the_local_date() -> None:
    senior = replace(CUSTOMER, birth_date=BORN)
    # 2026-03-17 17:30 UTC is already the 18th in Shanghai (in UTC the customer would still be 74)
    assert verdict(SMS_LINK, senior, now=datetime(2026, 3, 17, 17, 30, tzinfo=UTC)) == ("suppress", "senior_protection")


@pytest.mark.parametrize(
    ("intent", "config"),
    [
        (offer("sms"), CONFIG),
        (offer("email", has_links=True), CONFIG),
        (SMS_LINK, replace(CONFIG, senior_age=None)),
        (SMS_LINK, replace(CONFIG, senior_no_sms_links=False)),
    ],
    ids=["no_links", "email", "protection_off", "links_allowed"],
)
def test_senior_protection_only_blocks_sms_with_links_when_on(intent: MessageIntent, config: PolicyConfig) -> None:
    assert verdict(intent, replace(CUSTOMER, birth_date=BORN), config=config) == SENT


def test_senior_protection_also_covers_service_sms() -> None:
    service = offer("sms", purpose="service", has_links=True)
    assert verdict(service, replace(CUSTOMER, birth_date=BORN)) == ("suppress", "senior_protection")


@pytest.mark.parametrize(
    ("today", "age"),
    [("2027-02-27", 74), ("2027-02-28", 75), ("2028-02-28", 75), ("2028-02-29", 76), ("2026-03-01", 74)],
)
def test_a_leap_day_birthday_completes_a_year_on_feb_28_in_common_years(today: str, age: int) -> None:
    assert age_on(date(1952, 2, 29), date.fromisoformat(today)) == age


# 5. de-duplication


@pytest.mark.parametrize(
    ("ago", "expected"),
    [(timedelta(hours=24) - timedelta(seconds=1), ("suppress", "duplicate")), (timedelta(hours=24), SENT)],
)
def test_the_same_template_within_24_hours_is_a_duplicate(ago: timedelta, expected: tuple[str, str]) -> None:
    history = (touch(NOON - ago, "push", template="wealth_offer"),)
    assert verdict(offer(), history=history) == expected


def test_dedup_ignores_other_templates_and_can_be_turned_off() -> None:
    history = (touch(NOON - timedelta(hours=1), template="wealth_offer"),)
    assert verdict(offer(template="card_offer"), history=history) == SENT
    assert verdict(offer(), history=history, config=replace(CONFIG, dedup_hours=0)) == SENT


def test_a_committed_future_send_of_the_same_template_is_a_duplicate() -> None:
    history = (touch(NOON + timedelta(hours=20), template="wealth_offer"),)
    assert verdict(offer(), history=history) == ("suppress", "duplicate")


# 6. frequency caps


def marketing_touches(*hours_ago: float, channel: Channel = "email") -> tuple[Touch, ...]:
    return tuple(touch(NOON - timedelta(hours=h), channel, f"t{i}") for i, h in enumerate(hours_ago))


def test_the_weekly_cap_counts_marketing_on_all_channels() -> None:
    history = (*marketing_touches(30, channel="push"), *marketing_touches(50, 100))
    assert verdict(offer("wechat_template"), history=history) == ("suppress", "frequency_cap")
    assert verdict(offer("wechat_template"), history=history[:2]) == SENT


def test_a_touch_exactly_seven_days_ago_no_longer_counts() -> None:
    assert verdict(offer(), history=marketing_touches(30, 50, 7 * 24)) == SENT
    assert verdict(offer(), history=marketing_touches(30, 50, 7 * 24 - 1 / 3600)) == ("suppress", "frequency_cap")


def test_service_and_risk_touches_do_not_count_against_marketing_caps() -> None:
    history = tuple(
        touch(NOON - timedelta(hours=h), purpose=p) for h, p in ((30, "service"), (40, "risk"), (50, "service"))
    )
    assert verdict(offer(), history=history) == SENT


def test_the_sms_cap_counts_only_sms_and_constrains_only_sms() -> None:
    history = marketing_touches(23, channel="sms")
    assert verdict(offer("sms"), history=history) == ("suppress", "frequency_cap")
    assert verdict(offer("email"), history=history) == SENT
    assert verdict(offer("sms"), history=marketing_touches(24, channel="sms")) == SENT
    assert verdict(offer("sms"), history=marketing_touches(1, channel="email")) == SENT


def test_a_cap_of_zero_closes_the_channel() -> None:
    config = replace(CONFIG, caps=(FrequencyCap(0, 30, "push"),))
    assert verdict(offer("push"), config=config) == ("suppress", "frequency_cap")


def test_duplicate_is_reported_before_frequency_cap() -> None:
    history = (touch(NOON - timedelta(hours=1), "sms", "wealth_offer"),)
    assert verdict(offer("sms"), history=history) == ("suppress", "duplicate")


# 7. quiet hours


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("20:59:59", None),
        ("21:00", "2026-03-19T08:00"),
        ("23:30", "2026-03-19T08:00"),
        ("00:30", "2026-03-18T08:00"),
        ("07:59:59", "2026-03-18T08:00"),
        ("08:00", None),
    ],
)
def test_quiet_hours_defer_marketing_to_0800(clock: str, expected: str | None) -> None:
    decision = decide(CUSTOMER, offer(), (), at(clock), CONFIG)
    if expected is None:
        assert decision == Decision("send", "sent", at(clock))
    else:
        assert decision == Decision("defer", "quiet_hours", datetime.fromisoformat(expected).replace(tzinfo=SHANGHAI))


def test_quiet_hours_are_read_in_the_configured_zone_whatever_the_zone_of_now() -> None:
    decision = decide(CUSTOMER, offer(), (), datetime(2026, 3, 18, 13, 30, tzinfo=UTC), CONFIG)  # 21:30 in Shanghai
    assert decision == Decision("defer", "quiet_hours", at("08:00", "2026-03-19"))


def test_a_campaign_may_drop_instead_of_defer() -> None:
    assert verdict(offer(quiet_hours="drop"), now=at("22:00")) == ("suppress", "quiet_hours")


def test_a_deferral_past_expiry_is_suppressed_as_expired() -> None:
    assert verdict(offer(expires_at=at("07:59:59")), now=at("07:00")) == ("suppress", "expired")
    assert verdict(offer(expires_at=at("08:00")), now=at("07:00")) == ("defer", "quiet_hours")


def test_caps_are_checked_before_quiet_hours() -> None:
    assert verdict(offer("sms"), history=marketing_touches(2, channel="sms"), now=at("22:00")) == (
        "suppress",
        "frequency_cap",
    )


@pytest.mark.parametrize(
    ("clock", "expected"),
    [("11:59", None), ("12:00", "14:00"), ("13:59:59", "14:00"), ("14:00", None), ("22:00", None), ("03:00", None)],
)
def test_quiet_hours_that_do_not_wrap_midnight(clock: str, expected: str | None) -> None:
    config = replace(CONFIG, quiet_start=time(12), quiet_end=time(14))
    decision = decide(CUSTOMER, offer(), (), at(clock), config)
    assert decision.deliver_at == (at(clock) if expected is None else at(expected))
    assert decision.kind == ("send" if expected is None else "defer")


@pytest.mark.parametrize("clock", ["00:00", "03:00", "21:00", "23:59:59"])
def test_equal_start_and_end_mean_no_quiet_hours(clock: str) -> None:
    config = replace(CONFIG, quiet_start=time(21), quiet_end=time(21))
    assert verdict(offer(), now=at(clock), config=config) == SENT


@pytest.mark.parametrize(
    ("quiet_end", "now", "expected"),
    [
        # the night the clocks spring forward: 08:00 comes 9 real hours after 22:00
        (time(8), at("22:00", "2026-03-07", NEW_YORK), at("08:00", "2026-03-08", NEW_YORK)),
        # 02:30 never shows that night: quiet hours end when the clocks jump to 03:00
        (time(2, 30), at("01:00", "2026-03-08", NEW_YORK), at("03:00", "2026-03-08", NEW_YORK)),
        # 01:30 shows twice when the clocks fall back: first in EDT, then again in EST
        (time(1, 30), at("00:30", "2026-11-01", NEW_YORK), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        (time(1, 30), datetime(2026, 11, 1, 6, 15, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
    ],
    ids=["spring_night", "spring_gap", "autumn_first_pass", "autumn_second_pass"],
)
def test_deferral_is_dst_safe(quiet_end: time, now: datetime, expected: datetime) -> None:
    config = replace(CONFIG, zone=NEW_YORK, quiet_end=quiet_end)
    decision = decide(CUSTOMER, offer(), (), now, config)
    assert decision.kind == "defer"
    assert decision.deliver_at is not None
    assert decision.deliver_at.astimezone(UTC) == expected.astimezone(UTC)


# decide_batch: priority arbitration


def test_the_higher_priority_takes_the_last_cap_slot_and_outputs_keep_input_order() -> None:
    history = marketing_touches(30, 50)
    low, high = offer(template="card_offer", priority=2), offer("push", template="wealth_offer", priority=8)
    decisions = decide_batch(CUSTOMER, [low, high], history, NOON, CONFIG)
    assert [(d.kind, d.reason) for d in decisions] == [("suppress", "frequency_cap"), SENT]


def test_ties_keep_input_order() -> None:
    first, second = offer(template="a"), offer("push", template="b")
    decisions = decide_batch(CUSTOMER, [first, second], marketing_touches(30, 50), NOON, CONFIG)
    assert [d.reason for d in decisions] == ["sent", "frequency_cap"]


def test_a_batch_sees_its_own_sends_for_dedup_but_risk_takes_no_marketing_room() -> None:
    alert = offer("sms", purpose="risk", template="fraud_alert", priority=9)
    batch = [offer(template="x"), offer("push", template="x"), alert, offer("sms", template="y")]
    decisions = decide_batch(CUSTOMER, batch, (), NOON, CONFIG)
    assert [d.reason for d in decisions] == ["sent", "duplicate", "sent", "sent"]


def test_deferred_messages_do_not_take_cap_room() -> None:
    decisions = decide_batch(
        CUSTOMER, [offer(template="a"), offer(template="b")], marketing_touches(30, 50), at("22:00"), CONFIG
    )
    assert [d.kind for d in decisions] == ["defer", "defer"]
    assert decide_batch(CUSTOMER, [], (), NOON, CONFIG) == []


# values and configuration


def test_invalid_values_are_rejected_naming_record_and_field() -> None:
    with pytest.raises(InvalidInput, match=r"touch 'x': 'at'"):
        Touch(datetime(2026, 3, 18), "sms", "marketing", "x")  # noqa: DTZ001 - the point of the test
    with pytest.raises(InvalidInput, match=r"message intent 'x': 'priority'"):
        MessageIntent("sms", "marketing", "x", priority=10)
    with pytest.raises(InvalidInput, match=r"message intent 'x': 'channel'"):
        MessageIntent("fax", "marketing", "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="'days'"):
        FrequencyCap(1, 0)


def test_config_from_mapping_reads_every_key() -> None:
    config = PolicyConfig.from_mapping(
        {
            "zone": "Asia/Urumqi",
            "quiet_start": "22:30",
            "quiet_end": time(7),
            "caps": [{"limit": 5, "days": 30}, {"limit": 2, "days": 7, "channel": "push"}],
            "dedup_hours": 48,
            "senior_age": False,
            "senior_no_sms_links": False,
        }
    )
    assert config == PolicyConfig(
        ZoneInfo("Asia/Urumqi"),
        time(22, 30),
        time(7),
        (FrequencyCap(5, 30), FrequencyCap(2, 7, "push")),
        48,
        None,
        False,
    )
    assert PolicyConfig.from_mapping({}) == PolicyConfig()


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"quiet_stat": "21:00"}, "quiet_stat"),
        ({"zone": "Mars/Olympus"}, "zone"),
        ({"quiet_end": "25:00"}, "quiet_end"),
        ({"quiet_end": "08:00+08:00"}, "quiet_end"),
        ({"dedup_hours": True}, "dedup_hours"),
        ({"senior_age": 0}, "senior_age"),
        ({"caps": "3/7"}, "caps"),
        ({"caps": [{"limit": 3, "days": 7}, {"limit": 1}]}, "caps[1].days"),
        ({"caps": [{"limit": 3, "days": 7, "channel": "fax"}]}, "caps[0].channel"),
        ({"caps": [{"limit": 3, "days": 7, "chanel": "sms"}]}, "caps[0].chanel"),
        ({"caps": [{"limit": -1, "days": 7}]}, "caps[0].limit"),
    ],
)
def test_config_errors_name_the_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        PolicyConfig.from_mapping(data)
    assert caught.value.code == "invalid_policy_config"
    assert caught.value.details == {"key": key}
    assert f"{key!r}" in caught.value.message


def test_every_reason_is_explained() -> None:
    assert set(REASONS) == {
        "sent",
        "expired",
        "no_service_consent",
        "do_not_contact",
        "complaint",
        "no_consent",
        "senior_protection",
        "duplicate",
        "frequency_cap",
        "quiet_hours",
    }
    assert all(text.endswith(".") and "\n" not in text for text in REASONS.values())
