"""The YAML column mapping, loaded from real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.platform.errors import InvalidInput
from huoke.platform.mapping import ColumnMapping

CORE_EXPORT = """\
columns:
  CUST_ID: customer_no
  MOBILE: phone
  BRANCH: branch_code
values:
  gender: {"男": M, "女": F, "1": M, "2": F}
  branch_code: {01: head_office}
defaults:
  gender: U
drop: [INTERNAL_FLAG]
"""


def load(tmp_path: Path, text: str) -> ColumnMapping:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return ColumnMapping.load(path)


def test_renames_translates_fills_defaults_and_drops(tmp_path: Path) -> None:
    mapping = load(tmp_path, CORE_EXPORT)
    source = {
        "CUST_ID": "C001",
        "MOBILE": "13800138000",
        "gender": "男",
        "INTERNAL_FLAG": "Y",
        "city": "北京市",
    }

    mapped = mapping.apply(source)

    assert mapped == {"customer_no": "C001", "phone": "13800138000", "gender": "M", "city": "北京市"}
    assert source["CUST_ID"] == "C001"  # the input is left alone


def test_scalars_are_text_as_written(tmp_path: Path) -> None:
    mapping = load(tmp_path, CORE_EXPORT)

    assert mapping.apply({"BRANCH": "01"})["branch_code"] == "head_office"  # not the number 1
    assert mapping.apply({"BRANCH": "1"})["branch_code"] == "1"
    assert mapping.apply({"gender": 2})["gender"] == "F"  # a JSON number matches by its text


@pytest.mark.parametrize("gender", [None, "", "  "])
def test_defaults_fill_missing_and_empty_values_only(tmp_path: Path, gender: str | None) -> None:
    mapping = load(tmp_path, CORE_EXPORT)

    assert mapping.apply({"CUST_ID": "C1", "gender": gender})["gender"] == "U"
    assert mapping.apply({"CUST_ID": "C1"})["gender"] == "U"
    assert mapping.apply({"CUST_ID": "C1", "gender": "女"})["gender"] == "F"
    assert mapping.apply({"CUST_ID": "C1", "gender": "X"})["gender"] == "X"  # unlisted values pass through


def test_apply_columns_gives_our_header(tmp_path: Path) -> None:
    mapping = load(tmp_path, CORE_EXPORT)

    columns = mapping.apply_columns(("CUST_ID", "MOBILE", "INTERNAL_FLAG", "city"))

    assert columns == ("customer_no", "phone", "city", "gender")


def test_apply_columns_rejects_a_rename_onto_a_column_already_there(tmp_path: Path) -> None:
    mapping = load(tmp_path, CORE_EXPORT)

    with pytest.raises(InvalidInput, match="'MOBILE' and 'phone' would both become 'phone'"):
        mapping.apply_columns(("CUST_ID", "MOBILE", "phone"))


@pytest.mark.parametrize("text", ["", "# nothing to map yet\n", "columns:\n"])
def test_an_empty_mapping_changes_nothing(tmp_path: Path, text: str) -> None:
    assert load(tmp_path, text) == ColumnMapping.identity()


@given(st.dictionaries(st.text(min_size=1), st.one_of(st.none(), st.text(), st.integers())))
def test_identity_returns_the_values_unchanged(values: dict[str, object]) -> None:
    identity = ColumnMapping.identity()

    assert identity.apply(values) == values
    assert identity.apply_columns(values) == tuple(values)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("colums:\n  A: b\n", "colums", "unknown key 'colums'"),
        ("columns: [A, B]\n", "columns", "expected 'name: value' pairs"),
        ("columns:\n  A: {x: y}\n", "columns.A", "non-empty text"),
        ("columns:\n  CUST_ID: customer_no\n  KHH: customer_no\n", "columns.KHH", "both 'CUST_ID' and 'KHH'"),
        ("columns:\n  A: b\ndrop: [A]\n", "columns.A", "also listed under 'drop'"),
        ("values:\n  gender: M\n", "values.gender", "'name: value' pairs"),
        ("values: [gender]\n", "values", "our column names"),
        ("defaults:\n  gender: ''\n", "defaults.gender", "non-empty text"),
        ("drop: INTERNAL_FLAG\n", "drop", "a list of column names"),
        ("- columns\n", "", "expected keys such as 'columns:'"),
        ("columns: {A: b\n", "", "not valid YAML"),
    ],
)
def test_a_wrong_mapping_is_invalid_input_naming_the_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        load(tmp_path, text)

    assert message in raised.value.message
    assert raised.value.details["key"] == key
    assert raised.value.code == "invalid_mapping"
    assert "mapping.yaml" in raised.value.message


def test_a_missing_mapping_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such mapping file"):
        ColumnMapping.load(tmp_path / "absent.yaml")
