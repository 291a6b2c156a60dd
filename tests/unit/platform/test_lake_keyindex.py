"""Key indexes: a point read may skip a file only when the key is certainly not in it."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from huoke.platform import lake_keyindex as keyindex


def _filter(values: pa.Array) -> keyindex.U64:
    hashes = keyindex.key_hashes(values)
    assert hashes is not None
    return keyindex.build(hashes)


@given(st.sets(st.text(min_size=0, max_size=60), min_size=1, max_size=300))
def test_every_stored_string_key_is_found(keys: set[str]) -> None:
    bitmap = _filter(pa.array(sorted(keys)))

    for key in keys:
        key_hash = keyindex.hash_one(key, pa.string())
        assert key_hash is not None
        assert keyindex.may_contain(bitmap, key_hash)


@given(st.sets(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=1, max_size=300))
def test_every_stored_integer_key_is_found(keys: set[int]) -> None:
    bitmap = _filter(pa.array(sorted(keys), pa.int64()))

    assert all(keyindex.may_contain(bitmap, keyindex.hash_one(k, pa.int64()) or 0) for k in keys)


@given(st.text(max_size=40), st.lists(st.text(max_size=90), max_size=20))
def test_a_key_hashes_the_same_whatever_else_is_in_the_file(key: str, others: list[str]) -> None:
    alone = keyindex.key_hashes(pa.array([key]))
    among = keyindex.key_hashes(pa.array([*others, key, *others]))
    assert alone is not None
    assert among is not None

    assert int(alone[0]) in {int(h) for h in among}
    assert keyindex.hash_one(key, pa.large_string()) == int(alone[0])


def test_absent_keys_are_rarely_mistaken_for_present_ones() -> None:
    stored = pa.array([f"{n:032x}" for n in range(0, 40_000, 2)])
    bitmap = _filter(stored)

    absent = [f"{n:032x}" for n in range(1, 40_000, 2)]
    false_positives = sum(keyindex.may_contain(bitmap, keyindex.hash_one(k, pa.string()) or 0) for k in absent)

    assert false_positives / len(absent) < 0.02


def test_nulls_are_ignored_and_duplicates_counted_once() -> None:
    hashes = keyindex.key_hashes(pa.array(["a", None, "a", "b"]))

    assert hashes is not None
    assert len(hashes) == 2


def test_columns_that_cannot_be_indexed_get_no_index() -> None:
    assert keyindex.key_hashes(pa.array([1.5, 2.5])) is None
    assert keyindex.key_hashes(pa.array(["x" * (keyindex.MAX_KEY_BYTES + 1)])) is None
    assert not keyindex.supports(pa.float64())
    assert keyindex.supports(pa.large_string())
