"""ONE_ID resolution: worked examples (given / when / then) and properties over random unit sets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huoke.customers.identity import (
    STRENGTH,
    ConflictReason,
    Group,
    IdentityConflict,
    IdentityKey,
    IdentityUnit,
    Partition,
    Reassignment,
    Strength,
    partition,
    reconcile,
)


def key(kind: str, value: str) -> IdentityKey:
    return IdentityKey(kind, value)


def unit(unit_id: str, *keys: tuple[str, str], rank: int = 0) -> IdentityUnit:
    return IdentityUnit(unit_id, frozenset(IdentityKey(kind, value) for kind, value in keys), rank)


def unit_sets(result: Partition) -> set[frozenset[str]]:
    return {group.unit_ids for group in result.groups}


def reasons(result: Partition) -> list[tuple[str, IdentityKey]]:
    return [(conflict.reason, conflict.key) for conflict in result.conflicts]


CUST_A = ("customer_no", "A")
CUST_B = ("customer_no", "B")


# --- keys ------------------------------------------------------------------------------------------


def test_every_kind_has_a_strength_and_unknown_kinds_are_rejected() -> None:
    assert STRENGTH["customer_no"] is Strength.STRONG
    assert STRENGTH["resident_id"] is Strength.STRONG
    assert STRENGTH["phone"] is Strength.MEDIUM
    assert STRENGTH["wechat_unionid"] is Strength.MEDIUM
    assert STRENGTH["wechat_openid"] is Strength.WEAK
    assert STRENGTH["wecom_external_id"] is Strength.WEAK
    with pytest.raises(ValueError, match="unknown identity key kind 'card_no'"):
        IdentityKey("card_no", "x")


def test_two_units_with_the_same_id_but_different_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="'u1' is used by two different units"):
        partition([unit("u1", CUST_A), unit("u1", CUST_B)])


def test_group_of_an_unknown_unit_says_which_unit() -> None:
    with pytest.raises(KeyError, match="'nobody'"):
        partition([unit("u1", CUST_A)]).group_of("nobody")


# --- strong keys -----------------------------------------------------------------------------------


def test_two_rows_with_the_same_customer_no_are_one_person() -> None:
    # given two imported rows for customer A with different phones
    rows = [unit("r1", CUST_A, ("phone", "p1")), unit("r2", CUST_A, ("phone", "p2"), rank=1)]
    # when
    result = partition(rows)
    # then
    assert result.groups == (Group("r1", frozenset({"r1", "r2"}), key(*CUST_A)),)
    assert result.conflicts == ()


def test_a_unit_carrying_two_customer_nos_is_anchored_by_the_smallest_and_flagged() -> None:
    result = partition([unit("u1", CUST_B, CUST_A), unit("u2", CUST_B, rank=1)])
    assert result.group_of("u1").anchor == key(*CUST_A)
    assert result.group_of("u2").unit_ids == {"u2"}
    assert reasons(result) == [
        (ConflictReason.MULTIPLE_STRONG_VALUES, key(*CUST_A)),
        (ConflictReason.MULTIPLE_STRONG_VALUES, key(*CUST_B)),
    ]


def test_a_resident_id_on_two_customer_nos_is_a_conflict_and_merges_nothing() -> None:
    # given two customers sharing a resident ID (a data-entry error upstream)
    units = [unit("a", CUST_A, ("resident_id", "R")), unit("b", CUST_B, ("resident_id", "R"))]
    # when
    result = partition(units)
    # then
    assert unit_sets(result) == {frozenset({"a"}), frozenset({"b"})}
    assert result.conflicts == (
        IdentityConflict(
            ConflictReason.STRONG_KEY_SHARED,
            key("resident_id", "R"),
            (key(*CUST_A), key(*CUST_B)),
            ("a", "b"),
        ),
    )


def test_a_resident_id_only_unit_joins_its_unique_customer_no() -> None:
    units = [unit("a", CUST_A, ("resident_id", "R")), unit("branch", ("resident_id", "R"), rank=-5)]
    result = partition(units)
    assert result.groups == (Group("branch", frozenset({"a", "branch"}), key(*CUST_A)),)


def test_resident_id_only_units_without_a_customer_no_are_anchored_by_the_resident_id() -> None:
    units = [unit("x", ("resident_id", "R"), ("phone", "p")), unit("y", ("resident_id", "R"), rank=1)]
    result = partition(units)
    assert result.groups == (Group("x", frozenset({"x", "y"}), key("resident_id", "R")),)


def test_resident_id_only_units_of_a_shared_resident_id_form_their_own_group() -> None:
    units = [
        unit("a", CUST_A, ("resident_id", "R")),
        unit("b", CUST_B, ("resident_id", "R")),
        unit("x", ("resident_id", "R")),
    ]
    result = partition(units)
    assert result.group_of("x") == Group("x", frozenset({"x"}), key("resident_id", "R"))
    assert result.conflicts[0].unit_ids == ("a", "b", "x")


def test_keys_of_a_unit_joined_through_its_resident_id_count_for_that_customer() -> None:
    # given a branch record (resident ID and phone only) that belongs to customer A
    units = [
        unit("a", CUST_A, ("resident_id", "R")),
        unit("branch", ("resident_id", "R"), ("phone", "p")),
        unit("lead", ("phone", "p")),
    ]
    # then a lead with that phone reaches A through it
    assert partition(units).groups == (Group("a", frozenset({"a", "branch", "lead"}), key(*CUST_A)),)


def test_a_customer_no_with_two_resident_ids_stays_one_group_and_is_flagged() -> None:
    units = [unit("a1", CUST_A, ("resident_id", "R1")), unit("a2", CUST_A, ("resident_id", "R2"))]
    result = partition(units)
    assert unit_sets(result) == {frozenset({"a1", "a2"})}
    assert result.conflicts == (
        IdentityConflict(ConflictReason.MULTIPLE_STRONG_VALUES, key("resident_id", "R1"), (key(*CUST_A),), ("a1",)),
        IdentityConflict(ConflictReason.MULTIPLE_STRONG_VALUES, key("resident_id", "R2"), (key(*CUST_A),), ("a2",)),
    )


# --- medium and weak keys --------------------------------------------------------------------------


def test_a_phone_shared_by_two_customers_keeps_them_apart_and_is_flagged() -> None:
    # given husband and wife registered with the family phone
    units = [unit("a", CUST_A, ("phone", "p")), unit("b", CUST_B, ("phone", "p"))]
    # when
    result = partition(units)
    # then
    assert unit_sets(result) == {frozenset({"a"}), frozenset({"b"})}
    assert result.conflicts == (
        IdentityConflict(ConflictReason.MEDIUM_KEY_SHARED, key("phone", "p"), (key(*CUST_A), key(*CUST_B)), ("a", "b")),
    )


def test_a_device_used_by_two_customers_is_flagged_as_a_weak_key_shared() -> None:
    units = [unit("a", CUST_A, ("device_id", "d")), unit("b", CUST_B, ("device_id", "d"))]
    result = partition(units)
    assert unit_sets(result) == {frozenset({"a"}), frozenset({"b"})}
    assert reasons(result) == [(ConflictReason.WEAK_KEY_SHARED, key("device_id", "d"))]


def test_an_anonymous_device_seen_on_customer_a_joins_a() -> None:
    units = [unit("a", CUST_A, ("device_id", "d")), unit("anon", ("device_id", "d"), rank=-1)]
    result = partition(units)
    # the customer row keeps its id even though the anonymous chain is older
    assert result.groups == (Group("a", frozenset({"a", "anon"}), key(*CUST_A)),)


def test_anonymous_units_linked_to_each_other_join_together() -> None:
    units = [
        unit("a", CUST_A, ("email", "e")),
        unit("web", ("email", "e"), ("device_id", "d")),
        unit("app", ("device_id", "d")),
    ]
    assert unit_sets(partition(units)) == {frozenset({"a", "web", "app"})}


def test_an_anonymous_unit_matching_two_customers_by_medium_keys_stays_anonymous() -> None:
    # given a lead whose phone is on customer A and whose e-mail is on customer B
    units = [
        unit("a", CUST_A, ("phone", "p")),
        unit("b", CUST_B, ("email", "e")),
        unit("lead", ("phone", "p"), ("email", "e")),
    ]
    # when
    result = partition(units)
    # then
    assert result.group_of("lead") == Group("lead", frozenset({"lead"}), None)
    assert result.conflicts == (
        IdentityConflict(
            ConflictReason.MEDIUM_KEY_SHARED, key("email", "e"), (key(*CUST_A), key(*CUST_B)), ("b", "lead")
        ),
        IdentityConflict(
            ConflictReason.MEDIUM_KEY_SHARED, key("phone", "p"), (key(*CUST_A), key(*CUST_B)), ("a", "lead")
        ),
    )


def test_a_medium_key_match_wins_over_a_conflicting_weak_key_match() -> None:
    units = [
        unit("a", CUST_A, ("phone", "p")),
        unit("b", CUST_B, ("device_id", "d")),
        unit("anon", ("phone", "p"), ("device_id", "d")),
    ]
    result = partition(units)
    assert result.group_of("anon").anchor == key(*CUST_A)
    assert result.conflicts == ()


def test_an_anonymous_unit_matching_two_customers_by_weak_keys_stays_anonymous() -> None:
    units = [
        unit("a", CUST_A, ("device_id", "d1")),
        unit("b", CUST_B, ("wechat_openid", "o")),
        unit("anon", ("device_id", "d1"), ("wechat_openid", "o")),
    ]
    result = partition(units)
    assert result.group_of("anon").anchor is None
    assert {conflict.reason for conflict in result.conflicts} == {ConflictReason.WEAK_KEY_SHARED}


def test_an_anonymous_unit_with_no_known_key_is_its_own_group_with_the_oldest_survivor() -> None:
    units = [unit("late", ("device_id", "d"), rank=2), unit("early", ("device_id", "d"), rank=1)]
    assert partition(units).groups == (Group("early", frozenset({"early", "late"}), None),)


def test_survivor_prefers_a_strong_key_unit_even_when_an_anonymous_unit_is_older() -> None:
    units = [
        unit("anon", ("phone", "p"), rank=0),
        unit("row2", CUST_A, ("phone", "p"), rank=7),
        unit("row1", CUST_A, rank=3),
    ]
    assert partition(units).group_of("anon").survivor == "row1"


# --- reconcile -------------------------------------------------------------------------------------


def test_reconcile_merges_a_new_anonymous_unit_into_the_customer() -> None:
    units = [unit("a", CUST_A, ("phone", "p")), unit("anon", ("phone", "p"), rank=1)]
    moves = reconcile({"a": "a"}, partition(units))
    assert moves == (Reassignment("anon", "anon", "a", "merge"),)


def test_reconcile_unmerges_a_unit_whose_link_became_ambiguous() -> None:
    # given an anonymous unit that joined customer A through its phone
    before = [unit("a", CUST_A, ("phone", "p")), unit("anon", ("phone", "p"), rank=1)]
    current = {"a": "a", "anon": "a"}
    assert reconcile(current, partition(before)) == ()
    # when customer B arrives with the same phone
    after = [*before, unit("b", CUST_B, ("phone", "p"), rank=2)]
    moves = reconcile(current, partition(after))
    # then the anonymous unit is split back out; A and B stay as they are
    assert moves == (Reassignment("anon", "a", "anon", "unmerge"),)


def test_reconcile_moves_members_when_the_survivor_changes() -> None:
    # an anonymous group's survivor is absorbed once a customer row reveals who it is
    units = [unit("x", ("device_id", "d")), unit("y", ("device_id", "d"), rank=1)]
    current = {"x": "x", "y": "x"}
    moves = reconcile(current, partition([*units, unit("a", CUST_A, ("device_id", "d"), rank=5)]))
    assert moves == (Reassignment("x", "x", "a", "merge"), Reassignment("y", "x", "a", "merge"))


# --- properties ------------------------------------------------------------------------------------

# Tiny alphabets so that random units collide on keys often.
KEYS = [
    IdentityKey(kind, value)
    for kind, values in {
        "customer_no": "ABC",
        "resident_id": "RS",
        "phone": "pq",
        "email": "e",
        "wechat_unionid": "u",
        "wechat_openid": "o",
        "device_id": "dD",
        "wecom_external_id": "w",
    }.items()
    for value in values
]


@st.composite
def unit_lists(draw: st.DrawFn) -> list[IdentityUnit]:
    key_sets = draw(st.lists(st.frozensets(st.sampled_from(KEYS), max_size=3), max_size=9))
    ranks = draw(st.lists(st.integers(0, 4), min_size=len(key_sets), max_size=len(key_sets)))
    return [IdentityUnit(f"u{i}", keys, rank) for i, (keys, rank) in enumerate(zip(key_sets, ranks, strict=True))]


# Enough random cases to hit every rule (collisions are frequent), few enough to keep the file under 3 s.
PROPERTY = settings(max_examples=100, deadline=None)


def assignment(result: Partition) -> dict[str, str]:
    return {unit_id: group.survivor for group in result.groups for unit_id in group.unit_ids}


@PROPERTY
@given(units=unit_lists(), data=st.data())
def test_the_partition_does_not_depend_on_the_order_of_units(units: list[IdentityUnit], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(units))
    assert partition(shuffled) == partition(units)


@PROPERTY
@given(units=unit_lists())
def test_a_group_never_mixes_customer_nos_except_within_one_unit(units: list[IdentityUnit]) -> None:
    by_id = {u.unit_id: u for u in units}
    for group in partition(units).groups:
        numbers = [by_id[u].of_kind("customer_no") for u in group.unit_ids if by_id[u].of_kind("customer_no")]
        # every customer_no-carrying unit shares the group's anchor, so extra values come from one unit alone
        if numbers:
            assert group.anchor in frozenset.intersection(*numbers)


@PROPERTY
@given(units=unit_lists())
def test_every_unit_is_in_exactly_one_group(units: list[IdentityUnit]) -> None:
    result = partition(units)
    placed = [unit_id for group in result.groups for unit_id in group.unit_ids]
    assert sorted(placed) == sorted(u.unit_id for u in units)
    assert all(group.survivor in group.unit_ids for group in result.groups)
    assert all(result.group_of(u.unit_id).unit_ids >= {u.unit_id} for u in units)


@PROPERTY
@given(units=unit_lists())
def test_anchored_groups_are_anchored_by_a_strong_key_they_carry(units: list[IdentityUnit]) -> None:
    by_id = {u.unit_id: u for u in units}
    for group in partition(units).groups:
        carried = frozenset().union(*(by_id[u].keys for u in group.unit_ids))
        strong = {k for k in carried if k.strength is Strength.STRONG}
        assert group.anchor in strong if strong else group.anchor is None


FRESH_KEYS = [IdentityKey(kind, f"fresh-{kind}") for kind in STRENGTH]


@PROPERTY
@given(units=unit_lists(), fresh=st.frozensets(st.sampled_from(FRESH_KEYS), max_size=3), rank=st.integers(0, 4))
def test_adding_an_unrelated_unit_leaves_other_groups_unchanged(
    units: list[IdentityUnit], fresh: frozenset[IdentityKey], rank: int
) -> None:
    newcomer = IdentityUnit("new", fresh, rank)
    after = partition([*units, newcomer])
    assert after.group_of("new").unit_ids == {"new"}
    assert tuple(g for g in after.groups if g.survivor != "new") == partition(units).groups


@PROPERTY
@given(units=unit_lists())
def test_reconciling_a_partition_with_itself_changes_nothing(units: list[IdentityUnit]) -> None:
    result = partition(units)
    assert reconcile(assignment(result), result) == ()


@PROPERTY
@given(units=unit_lists())
def test_reconcile_from_scratch_merges_exactly_the_absorbed_units(units: list[IdentityUnit]) -> None:
    result = partition(units)
    moves = reconcile({}, result)
    assert all(move.kind == "merge" for move in moves)
    assert {move.unit_id: move.to_profile for move in moves} == {
        unit_id: survivor for unit_id, survivor in assignment(result).items() if unit_id != survivor
    }
