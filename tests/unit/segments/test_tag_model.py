"""Tags, pure: names, thresholds and their defaults, the bucket decisions, lifecycle stages and tag changes."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from huoke.platform.errors import InvalidInput
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from huoke.segments.tag_model import (
    AgeThresholds,
    LifecycleThresholds,
    ManualLine,
    TagThresholds,
    band_of,
    check_own_name,
    check_tag_name,
    lifecycle_stage,
    plan_manual,
    read_manual_row,
    rule_tag_order,
    tag_changes,
    tag_references,
    tier_of,
)

DEFAULTS = TagThresholds()


@pytest.mark.parametrize("name", ["vip", "高净值客户", "payroll-2026", "a" * 64, "代发工资.VIP"])
def test_tag_names_may_be_any_short_text_without_separators(name: str) -> None:
    assert check_tag_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "a/b", "a,b", "a;b", 'a"b', "a\tb", "a" * 65, None, 7])
def test_a_bad_tag_name_is_refused_with_its_rules(name: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_tag_name(name)
    assert caught.value.code == "bad_tag_name"
    assert "1 to 64 characters" in caught.value.message


@pytest.mark.parametrize("name", ["active", "lifecycle_new", "value_gold", "spend_any", "age_40_49"])
def test_names_of_computed_tags_are_reserved(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_own_name(name)
    assert caught.value.code == "reserved_tag_name"


def test_every_computed_tag_name_is_listed_with_its_meaning() -> None:
    names = list(DEFAULTS.computed_names())
    assert names == [
        "lifecycle_new", "lifecycle_growing", "lifecycle_mature", "lifecycle_dormant", "lifecycle_churn_risk",
        "lifecycle_churned", "value_mass", "value_affluent", "value_wealthy", "value_private", "active",
        "spend_low", "spend_medium", "spend_high",
        "age_under_18", "age_18_29", "age_30_44", "age_45_59", "age_60_74", "age_75_plus",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("yuan", "tier"),
    [("0", "mass"), ("49999.99", "mass"), ("50000", "affluent"), ("499999.99", "affluent"), ("500000", "wealthy"),
     ("5999999.99", "wealthy"), ("6000000", "private"), ("80000000", "private")],
)  # fmt: skip
def test_value_tiers_by_aum_default_floors(yuan: str, tier: str) -> None:
    assert tier_of(int(Decimal(yuan) * 100), DEFAULTS.value_tier.tiers()) == tier


@pytest.mark.parametrize(
    ("yuan", "tier"),
    [("0", None), ("0.99", None), ("1", "low"), ("4999.99", "low"), ("5000", "medium"), ("9999.99", "medium"),
     ("10000", "high"), ("250000", "high")],
)  # fmt: skip
def test_spend_tiers_high_10000_medium_5000_low_1(yuan: str, tier: str | None) -> None:
    assert tier_of(int(Decimal(yuan) * 100), DEFAULTS.spend.tiers()) == tier


@pytest.mark.parametrize(
    ("age", "band"),
    [(None, None), (-1, None), (0, "age_under_18"), (17, "age_under_18"), (18, "age_18_29"), (44, "age_30_44"),
     (59, "age_45_59"), (60, "age_60_74"), (74, "age_60_74"), (75, "age_75_plus"), (103, "age_75_plus")],
)  # fmt: skip
def test_age_bands_include_60_to_74_and_75_plus(age: int | None, band: str | None) -> None:
    assert band_of(age, DEFAULTS.age) == band


def test_age_bands_follow_configured_bounds() -> None:
    bands = AgeThresholds(bands=(25, 65))
    assert [name for name, _ in bands.named()] == ["age_under_25", "age_25_64", "age_65_plus"]
    assert band_of(64, bands) == "age_25_64"


T = LifecycleThresholds()  # new < 90 days, mature ≥ 730; churn risk ≥ 60 idle, dormant ≥ 180, churned ≥ 365


@pytest.mark.parametrize(
    ("tenure", "idle", "all_closed", "stage"),
    [
        (10, None, False, "new"),  # joined 10 days ago, nothing done yet: still new
        (89, 80, False, "new"),
        (90, 5, False, "growing"),
        (729, 59, False, "growing"),
        (730, 0, False, "mature"),
        (3000, 59, False, "mature"),
        (3000, 60, False, "churn_risk"),
        (3000, 179, False, "churn_risk"),
        (3000, 180, False, "dormant"),
        (3000, 364, False, "dormant"),
        (3000, 365, False, "churned"),
        (3000, None, False, "churned"),  # nothing in the last 365 days
        (200, None, False, "dormant"),  # never active since joining 200 days ago
        (100, None, False, "churn_risk"),
        (5, None, True, "churned"),  # every holding closed, whatever else
        (None, None, True, "churned"),
        (None, 3, False, None),  # no opening date and no record date: unknown
        (-1, None, False, None),  # opens after the evaluation date
    ],
)
def test_lifecycle_stages_first_match_wins(tenure: int | None, idle: int | None, all_closed: bool, stage: str) -> None:
    assert lifecycle_stage(tenure, idle, all_closed, T) == stage


def test_thresholds_from_a_toml_document_keep_defaults_for_what_is_not_given() -> None:
    document = tomllib.loads(
        """
        [lifecycle]
        new_days = 30
        [value_tier.floors]
        mass = 0
        vip = 1000000
        [age]
        bands = [20, 40, 60, 75]
        """
    )
    thresholds = TagThresholds.read(document, "tags.toml")
    assert thresholds.lifecycle.new_days == 30
    assert thresholds.lifecycle.dormant_days == 180
    assert [name for name, _ in thresholds.value_tier.tiers()] == ["vip", "mass"]
    assert thresholds.spend == DEFAULTS.spend
    assert "age_60_74" in thresholds.computed_names()
    assert "value_vip" in thresholds.computed_names()


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ({"lifecycle": {"dormant_days": 30}}, "lifecycle"),
        ({"lifecycle": {"new_days": 0}}, "lifecycle.new_days"),
        ({"spend": {"floors": {"High": 1}}}, "spend"),
        ({"spend": {"floors": {"a": 1, "b": 1}}}, "spend"),
        ({"spend": {"floors": {"a": -5}}}, "spend.floors.a"),
        ({"age": {"bands": [60, 18]}}, "age"),
        ({"activity": {"min_days": 40}}, "activity"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_thresholds_name_the_key(document: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        TagThresholds.read(document, "tags.toml")
    assert caught.value.code == "bad_tag_thresholds"
    assert caught.value.details["key"] == key
    assert caught.value.message.startswith(f"tags.toml: tag thresholds at {key}:")


def test_tag_changes_assign_what_is_new_and_remove_what_is_gone() -> None:
    held = [("c1", "active"), ("c1", "value_mass"), ("c2", "active")]
    found = [("c1", "active"), ("c1", "value_affluent"), ("c3", "active")]
    changes = tag_changes(held, found)
    assert changes.assign == [("c1", "value_affluent"), ("c3", "active")]
    assert changes.remove == [("c1", "value_mass"), ("c2", "active")]


def test_manual_lines_apply_in_file_order_and_only_the_net_change_is_written() -> None:
    held = {("c1", "vip")}
    lines = [
        ManualLine(2, ("c1", "vip"), "add"),  # already held: duplicate
        ManualLine(3, ("c2", "vip"), "add"),
        ManualLine(4, ("c2", "vip"), "add"),  # added just above: duplicate
        ManualLine(5, ("c3", "vip"), "remove"),  # not held: duplicate
        ManualLine(6, ("c1", "vip"), "remove"),
        ManualLine(7, ("c4", "vip"), "add"),
        ManualLine(8, ("c4", "vip"), "remove"),  # added and removed in one file: no net change
    ]
    plan = plan_manual(held, lines)
    assert plan.accepted == [3, 6, 7, 8]
    assert plan.duplicates == [2, 4, 5]
    assert plan.changes.assign == [("c2", "vip")]
    assert plan.changes.remove == [("c1", "vip")]


def test_the_same_manual_lines_again_change_nothing() -> None:
    lines = [ManualLine(2, ("c1", "vip"), "add"), ManualLine(3, ("c2", "vip"), "remove")]
    first = plan_manual(set(), lines)
    again = plan_manual(set(first.changes.assign), lines)
    assert again.accepted == []
    assert again.changes.assign == again.changes.remove == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"customer_no": " C1 ", "tag": "vip"}, ("C1", "vip", "add")),
        ({"customer_no": "C1", "tag": "vip", "action": "REMOVE"}, ("C1", "vip", "remove")),
        ({"customer_no": "C1", "tag": "vip", "action": ""}, ("C1", "vip", "add")),
    ],
)
def test_a_manual_row_reads_customer_tag_and_action(values: dict[str, str], expected: tuple[str, ...]) -> None:
    assert read_manual_row(values) == expected


def test_every_problem_of_a_manual_row_is_reported_by_column() -> None:
    problems = read_manual_row({"customer_no": "", "tag": "a b", "action": "delete"})
    assert isinstance(problems, list)
    assert [column for column, _, _ in problems] == ["customer_no", "tag", "action"]
    assert problems[2] == ("action", "delete", "must be add or remove (blank means add)")
    reserved = read_manual_row({"customer_no": "C1", "tag": "value_mass"})
    assert isinstance(reserved, list)
    assert reserved[0][0] == "tag"
    assert "reserved for computed tags" in reserved[0][2]


def test_rule_tags_are_ordered_after_the_rule_tags_they_refer_to() -> None:
    order = rule_tag_order({"c": {"b", "active"}, "b": {"a"}, "a": set(), "d": set()})
    assert order == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("references", "cycle"),
    [
        ({"a": {"b"}, "b": {"a"}}, "a → b → a"),
        ({"x": {"x"}}, "x → x"),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, "b → c → b"),
    ],
)
def test_rule_tags_referring_to_each_other_in_a_cycle_are_refused(references: dict[str, set[str]], cycle: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        rule_tag_order(references)
    assert caught.value.code == "tag_cycle"
    assert caught.value.message.endswith(cycle)


def test_tag_references_are_found_anywhere_in_a_rule() -> None:
    rule = {"all": [{"tag": "vip"}, {"not": {"tag": "staff"}}, {"any": [{"tag": "active"}, {"in_org": "BR01"}]}]}
    assert tag_references(normalise(parse_rule(rule))) == {"vip", "staff", "active"}
