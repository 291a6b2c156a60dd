"""Customer domain decisions: consent in force, age, surname and org paths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.customers.model import (
    CONSENT_CHANNELS,
    CONSENT_PURPOSES,
    CONSENT_STATUSES,
    ConsentRecord,
    ConsentState,
    age_on,
    consents_in_force,
    org_path,
    surname_of,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CHANNELS = tuple(c for c in CONSENT_CHANNELS if c != "all")


def consent(
    channel: str, status: str, day: int, purpose: str = "marketing", source: str | None = None
) -> ConsentRecord:
    return ConsentRecord("C001", channel, purpose, status, T0 + timedelta(days=day), source=source)


def in_force(history: list[ConsentRecord]) -> dict[tuple[str, str], str]:
    return {(s.channel, s.purpose): s.status for s in consents_in_force(history)}


# --- consent --------------------------------------------------------------------------------------------


def test_no_history_means_no_consent_in_force() -> None:
    assert consents_in_force([]) == []


def test_latest_record_wins_per_channel_and_purpose() -> None:
    history = [
        consent("sms", "withdrawn", 5),
        consent("sms", "granted", 1),
        consent("email", "granted", 2),
    ]

    assert in_force(history) == {("sms", "marketing"): "withdrawn", ("email", "marketing"): "granted"}


def test_the_state_carries_the_evidence_of_the_deciding_record() -> None:
    history = [
        consent("sms", "granted", 1, source="app"),
        consent("sms", "withdrawn", 3, source="call_centre"),
    ]

    assert consents_in_force(history) == [
        ConsentState("sms", "marketing", "withdrawn", T0 + timedelta(days=3), "call_centre", None)
    ]


def test_a_later_all_withdrawal_overrides_earlier_channel_grants() -> None:
    history = [consent("sms", "granted", 1), consent("wechat", "granted", 2), consent("all", "withdrawn", 3)]

    assert in_force(history) == {(channel, "marketing"): "withdrawn" for channel in CHANNELS}


def test_a_channel_grant_after_an_all_withdrawal_regrants_only_that_channel() -> None:
    history = [consent("all", "withdrawn", 1), consent("sms", "granted", 2)]

    states = in_force(history)

    assert states[("sms", "marketing")] == "granted"
    assert {states[(c, "marketing")] for c in CHANNELS if c != "sms"} == {"withdrawn"}


def test_an_earlier_all_grant_does_not_override_a_later_channel_withdrawal() -> None:
    history = [consent("email", "withdrawn", 2), consent("all", "granted", 1)]

    states = in_force(history)

    assert states[("email", "marketing")] == "withdrawn"
    assert states[("sms", "marketing")] == "granted"


def test_purposes_are_independent() -> None:
    history = [
        consent("sms", "granted", 1, purpose="service"),
        consent("sms", "granted", 1, purpose="marketing"),
        consent("all", "withdrawn", 2, purpose="marketing"),
    ]

    states = in_force(history)

    assert states[("sms", "service")] == "granted"
    assert states[("sms", "marketing")] == "withdrawn"
    assert ("email", "service") not in states


def test_all_is_never_reported_as_a_channel_of_its_own() -> None:
    assert {s.channel for s in consents_in_force([consent("all", "granted", 0)])} == set(CHANNELS)


records = st.builds(
    lambda channel, purpose, status: (channel, purpose, status),
    st.sampled_from(CONSENT_CHANNELS),
    st.sampled_from(CONSENT_PURPOSES),
    st.sampled_from(CONSENT_STATUSES),
)


@given(
    st.lists(st.tuples(records, st.integers(0, 10_000)), max_size=12, unique_by=lambda pair: pair[1]),
    st.randoms(use_true_random=False),
)
def test_consent_in_force_does_not_depend_on_input_order(
    drawn: list[tuple[tuple[str, str, str], int]], rnd: object
) -> None:
    history = [
        ConsentRecord("C001", channel, purpose, status, T0 + timedelta(minutes=minute))
        for (channel, purpose, status), minute in drawn
    ]
    shuffled = list(history)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]

    assert consents_in_force(shuffled) == consents_in_force(history)


@given(st.lists(st.tuples(records, st.integers(0, 10_000)), min_size=1, max_size=12, unique_by=lambda p: p[1]))
def test_each_state_comes_from_the_latest_record_covering_it(
    drawn: list[tuple[tuple[str, str, str], int]],
) -> None:
    history = [
        ConsentRecord("C001", channel, purpose, status, T0 + timedelta(minutes=minute))
        for (channel, purpose, status), minute in drawn
    ]

    for state in consents_in_force(history):
        covering = [r for r in history if r.purpose == state.purpose and r.channel in (state.channel, "all")]
        latest = max(covering, key=lambda r: r.recorded_at)
        assert (state.status, state.recorded_at) == (latest.status, latest.recorded_at)


# --- age ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(1990, 11, 24), date(2026, 11, 24), 36),
        (date(1990, 11, 24), date(2026, 11, 23), 35),
        (date(1990, 12, 31), date(2026, 1, 1), 35),
        (date(2026, 11, 24), date(2026, 11, 24), 0),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2000, 2, 29), date(2023, 3, 1), 23),
        (date(2000, 2, 29), date(2023, 2, 27), 22),
    ],
)
def test_age_counts_whole_years_completed(birth: date, today: date, age: int) -> None:
    assert age_on(birth, today) == age


def test_a_feb_29_birthday_completes_a_year_on_feb_28_of_a_common_year() -> None:
    assert age_on(date(2000, 2, 29), date(2023, 2, 28)) == 23


@given(st.dates(max_value=date(2100, 1, 1)), st.integers(0, 120))
def test_age_on_a_birthday_is_the_number_of_years(birth: date, years: int) -> None:
    if birth.month == 2 and birth.day == 29:
        return
    anniversary = birth.replace(year=min(birth.year + years, 9999))

    assert age_on(birth, anniversary) == anniversary.year - birth.year
    assert age_on(birth, anniversary - timedelta(days=1)) == anniversary.year - birth.year - 1


# --- surname and org path -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "surname"),
    [
        ("张三", "张"),
        ("王小明", "王"),
        ("欧阳娜娜", "欧阳"),
        ("司马光", "司马"),
        ("诸葛亮", "诸葛"),
        ("欧", "欧"),
    ],
)
def test_surname_of_chinese_names(name: str, surname: str) -> None:
    assert surname_of(name) == surname


def test_surname_of_a_latin_name_is_its_last_word() -> None:
    # Western order; for pinyin written surname first ("Li Lei") this gives the given name.
    assert surname_of("Li Lei") == "Lei"
    assert surname_of("John Smith") == "Smith"
    assert surname_of("Madonna") == "Madonna"


def test_org_path_is_a_materialised_prefix() -> None:
    head = org_path(None, "HO")
    branch = org_path(head, "BR01")
    sub_branch = org_path(branch, "SB0101")

    assert (head, branch, sub_branch) == ("/HO/", "/HO/BR01/", "/HO/BR01/SB0101/")
    assert sub_branch.startswith(branch)
    assert not org_path(head, "BR011").startswith(branch)
