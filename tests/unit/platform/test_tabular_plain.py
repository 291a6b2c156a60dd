"""Lines that need no CSV parsing are split exactly as the csv module would read them."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huoke.platform.tabular import plain_fields

line_text = st.text(alphabet=st.sampled_from(list('ab 中,;"\r\n\t\0x1')), max_size=30)
line_end = st.sampled_from(["\n", "\r\n", ""])


@given(line_text.filter(lambda t: "\n" not in t), line_end, st.sampled_from([",", ";"]))
def test_a_plain_line_splits_as_the_csv_module_reads_it(text: str, end: str, delimiter: str) -> None:
    line = text + end
    fields = plain_fields(line, delimiter)

    if fields is not None:
        assert fields == next(csv.reader([line], delimiter=delimiter), [])


@pytest.mark.parametrize(
    "line",
    ['C1,"张,三",M\n', "C1,a\rb,M\n", "C1,a\0b\n", 'C1,"\n', "C1,x\r\r\n"],
)
def test_lines_with_quotes_carriage_returns_or_nul_are_left_to_the_csv_reader(line: str) -> None:
    assert plain_fields(line, ",") is None


def test_common_lines_are_plain() -> None:
    assert plain_fields("C1,张三,,M\r\n", ",") == ["C1", "张三", "", "M"]
    assert plain_fields("\n", ",") == []
    assert plain_fields("C1;x", ";") == ["C1", "x"]
