"""Streaming readers and the errors file, on real files in tmp_path."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huoke.platform.errors import InvalidInput
from huoke.platform.errors_file import ErrorsFile
from huoke.platform.tabular import (
    SAMPLE_BYTES,
    FieldProblem,
    SourceRecord,
    detect_encoding,
    open_records,
)

HEADER = "customer_no,name,city\n"
ROWS = "C001,张三,北京市\nC002,李四,上海市\nC003,王五,广州市\n"
EXPECTED = [
    {"customer_no": "C001", "name": "张三", "city": "北京市"},
    {"customer_no": "C002", "name": "李四", "city": "上海市"},
    {"customer_no": "C003", "name": "王五", "city": "广州市"},
]


def read_all(path: Path, **options: Any) -> list[SourceRecord]:
    return [record for chunk in open_records(path, **options).chunks() for record in chunk]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def problems_by_row(records: list[SourceRecord]) -> dict[int, tuple[FieldProblem, ...]]:
    return {record.row: record.problems for record in records if record.problems}


# ---------------------------------------------------------------------------------------------- encodings
@pytest.mark.parametrize(
    ("written_as", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030")]
)
def test_utf8_bom_and_gbk_files_are_detected_and_read_the_same(tmp_path: Path, written_as: str, detected: str) -> None:
    path = write(tmp_path / "customers.csv", (HEADER + ROWS).encode(written_as))

    source = open_records(path)
    records = [record for chunk in source.chunks() for record in chunk]

    assert source.encoding == detected
    assert source.columns == ("customer_no", "name", "city")
    assert [record.values for record in records] == EXPECTED
    assert [record.row for record in records] == [2, 3, 4]
    assert all(not record.problems for record in records)


def test_bytes_invalid_in_gb18030_are_a_problem_naming_the_encoding(tmp_path: Path) -> None:
    data = (HEADER + ROWS).encode("gbk") + b"C004,\xff\xfe,x\n" + "C005,孙七,杭州市\n".encode("gbk")
    path = write(tmp_path / "gbk.csv", data)

    records = read_all(path)

    assert problems_by_row(records) == {
        5: (FieldProblem("name", "\\xff\\xfe", "not valid GB18030 text; is the file in mixed encodings?"),)
    }
    assert records[-1].values["name"] == "孙七"


def test_explicit_encodings_override_detection(tmp_path: Path) -> None:
    gbk = write(tmp_path / "gbk.csv", (HEADER + ROWS).encode("gbk"))
    bom = write(tmp_path / "bom.csv", (HEADER + ROWS).encode("utf-8-sig"))

    assert [r.values for r in read_all(gbk, encoding="gbk")] == EXPECTED
    bom_source = open_records(bom, encoding="utf-8")
    assert bom_source.columns[0] == "customer_no"  # the BOM is not part of the first name
    assert open_records(gbk, encoding="gbk").encoding == "gb18030"


def test_a_gbk_line_inside_a_utf8_file_is_a_problem_on_that_record_only(tmp_path: Path) -> None:
    data = HEADER.encode() + ROWS.encode() + "C004,赵六,深圳市\n".encode("gbk") + "C005,孙七,杭州市\n".encode()
    path = write(tmp_path / "mixed.csv", data)

    source = open_records(path)
    records = read_all(path)

    assert source.encoding == "utf-8"
    assert [r.row for r in records] == [2, 3, 4, 5, 6]
    assert list(problems_by_row(records)) == [5]
    bad = records[3]
    assert {p.column for p in bad.problems} == {"name", "city"}
    assert all("UTF-8" in p.reason and "mixed encodings" in p.reason for p in bad.problems)
    assert bad.values["customer_no"] == "C004"
    assert bad.values["name"] == "\\xd5\\xd4\\xc1\\xf9"  # the raw bytes, safe to store and print
    assert records[4].values["name"] == "孙七"


def test_a_character_cut_by_the_detection_sample_still_detects_utf8(tmp_path: Path) -> None:
    prefix = HEADER.encode()
    filler = b"C000,a,b" * ((SAMPLE_BYTES - len(prefix)) // 8)
    filler += b"x" * (SAMPLE_BYTES - len(prefix) - len(filler) - 1)
    data = prefix + filler + "北,北京市\n".encode() + ROWS.encode()
    path = write(tmp_path / "boundary.csv", data)
    with pytest.raises(UnicodeDecodeError):
        data[:SAMPLE_BYTES].decode("utf-8")  # the sample really ends inside 北

    assert detect_encoding(path) == "utf-8"
    assert [r.values for r in read_all(path)][-3:] == EXPECTED


# --------------------------------------------------------------------------------------------------- CSV
def test_quoted_fields_may_hold_newlines_and_commas_and_rows_stay_numbered(tmp_path: Path) -> None:
    text = HEADER + 'C001,"张三, 先生","北京市\n朝阳区\n建国路"\nC002,李四,上海市\r\n\nC003,王五,广州市\n'
    path = write(tmp_path / "multi.csv", text.encode())

    records = read_all(path)

    assert records[0].values == {
        "customer_no": "C001",
        "name": "张三, 先生",
        "city": "北京市\n朝阳区\n建国路",
    }
    assert [r.row for r in records] == [2, 5, 7]  # the blank line 6 is skipped, not renumbered
    assert all(not r.problems for r in records)


def test_wrong_field_counts_and_an_unclosed_quote_do_not_stop_the_file(tmp_path: Path) -> None:
    text = HEADER + 'C001,张三\nC002,李四,上海市,多余,字段\nC003,"王五,广州市\nC004,赵六,深圳市\nC005,孙七,杭州市\n'
    path = write(tmp_path / "broken.csv", text.encode())

    records = read_all(path)
    problems = problems_by_row(records)

    assert list(problems) == [2, 3, 4]
    assert problems[2][0].reason == "expected 3 fields, found 2"
    assert problems[3][0].reason == "expected 3 fields, found 5"
    assert problems[3][0].column == ""
    assert "quoted value" in problems[4][0].reason
    assert problems[4][0].value == 'C003,"王五,广州市'
    assert [r.values["customer_no"] for r in records if not r.problems] == ["C004", "C005"]
    assert [r.row for r in records][-2:] == [5, 6]


def test_an_unclosed_quote_is_given_up_after_100_lines_and_those_lines_are_read(tmp_path: Path) -> None:
    later = "".join(f"C{i:03d},name,city\n" for i in range(150))
    path = write(tmp_path / "long_quote.csv", (HEADER + 'X,"open,quote\n' + later).encode())

    records = read_all(path)

    assert [r.row for r in records if r.problems] == [2]
    assert len([r for r in records if not r.problems]) == 150


def test_an_unclosed_quote_on_the_last_line_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "tail.csv", (HEADER + 'C001,张三,北京市\nC002,"李四,上海市\n').encode())

    records = read_all(path)

    assert [r.row for r in records] == [2, 3]
    assert "quoted value" in records[1].problems[0].reason


def test_a_nul_byte_is_a_problem_on_its_line_only(tmp_path: Path) -> None:
    path = write(tmp_path / "nul.csv", HEADER.encode() + b"C001,a\x00b,c\nC002,d,e\n")

    records = read_all(path)

    assert "NUL" in records[0].problems[0].reason
    assert records[1].values == {"customer_no": "C002", "name": "d", "city": "e"}


def test_values_are_stripped_and_empty_values_are_none(tmp_path: Path) -> None:
    path = write(tmp_path / "spaces.csv", b" customer_no , name ,city\n  C001 ,  ,\n")

    [record] = read_all(path)

    assert record.values == {"customer_no": "C001", "name": None, "city": None}


def test_an_oversized_field_is_a_problem_on_its_column(tmp_path: Path) -> None:
    long_name = "张" * 513
    path = write(tmp_path / "long.csv", (HEADER + f"C001,{long_name},北京市\nC002,李四,上海市\n").encode())

    records = read_all(path)

    [problem] = records[0].problems
    assert problem.column == "name"
    assert problem.reason == "longer than 512 characters"
    assert len(problem.value) == 200
    assert not records[1].problems
    assert read_all(path, max_field_length=600)[0].problems == ()


def test_semicolon_separated_files_are_read(tmp_path: Path) -> None:
    path = write(tmp_path / "semi.csv", "customer_no;name;balance\nC001;张三;1,5\n".encode())

    [record] = read_all(path)

    assert record.values == {"customer_no": "C001", "name": "张三", "balance": "1,5"}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"customer_no,name,customer_no\nC001,a,b\n", "duplicate_column"),
        (b"customer_no,,city\nC001,a,b\n", "no_header"),
        (b"\nC001,a,b\n", "no_header"),
    ],
)
def test_a_bad_header_is_invalid_input(tmp_path: Path, content: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        open_records(write(tmp_path / "bad.csv", content))

    assert raised.value.code == code
    assert "bad.csv" in raised.value.message


@pytest.mark.parametrize("content", [b"", b"\n", b"customer_no,name\n", b"customer_no,name"])
def test_empty_and_header_only_files_have_no_records(tmp_path: Path, content: bytes) -> None:
    source = open_records(write(tmp_path / "empty.csv", content))

    assert list(source.chunks()) == []


def test_unknown_extension_and_missing_file_are_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"customers\.xlsx.*\.csv.*\.parquet"):
        open_records(write(tmp_path / "customers.xlsx", b"PK"))
    with pytest.raises(InvalidInput, match="no such file") as raised:
        open_records(tmp_path / "absent.csv")
    assert raised.value.code == "file_not_found"
    with pytest.raises(InvalidInput, match="unknown encoding 'latin-1'"):
        open_records(write(tmp_path / "a.csv", b"a\n"), encoding="latin-1")  # type: ignore[arg-type]


def test_a_file_without_line_ends_is_rejected_while_reading(tmp_path: Path) -> None:
    path = write(tmp_path / "cr.csv", b"customer_no,name\n" + b"C001,a\r" * 300_000)
    source = open_records(path)

    with pytest.raises(InvalidInput, match="line 2 is longer than 1 MiB"):
        list(source.chunks())


# ------------------------------------------------------------------------------------- bounded memory
@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("big") / "customers.csv"
    line = "{0},张三{0},13800138000,zhang{0}@example.com,北京市朝阳区建国路{0}号,2020-01-01,12345.67,gold\n"
    rows = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write("customer_no,name,phone,email,address,opened_at,balance,card_level\n")
        while handle.tell() < 30_000_000:
            handle.writelines(line.format(rows + i) for i in range(1000))
            rows += 1000
    return path, rows


def test_a_30_mb_file_streams_in_lazy_chunks(big_csv: tuple[Path, int]) -> None:
    path, rows = big_csv
    source = open_records(path, chunk_size=5000)
    chunks = source.chunks()

    assert source.bytes_read == 0  # nothing read before the first chunk is asked for
    first = next(chunks)
    assert len(first) == 5000
    assert source.bytes_read < source.total_bytes / 20
    assert first[0].values["name"] == "张三0"

    sizes = [len(first), *(len(chunk) for chunk in chunks)]
    assert len(sizes) == -(-rows // 5000)
    assert sum(sizes) == rows
    assert set(sizes[:-1]) == {5000}
    assert source.bytes_read == source.total_bytes


# -------------------------------------------------------------------------------------------- JSON lines
def test_json_lines_keep_objects_and_report_broken_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"event_id": "E1", "type": "login", "properties": {"app": "手机银行"}}, ensure_ascii=False),
        "",
        '{"event_id": "E2", "type": }',
        "[1, 2]",
        '{"event_id": "E3", "amount": NaN}',
        '{"event_id": "E4", "type": "logout"}',
    ]
    path = write(tmp_path / "events.jsonl", "\n".join(lines).encode())

    source = open_records(path)
    records = read_all(path)

    assert source.columns == ("event_id", "type", "properties")
    assert records[0].values["properties"] == {"app": "手机银行"}
    assert [r.row for r in records] == [1, 3, 4, 5, 6]
    problems = problems_by_row(records)
    assert problems[3][0].reason.startswith("not valid JSON at line 3, column 28")
    assert problems[4][0].reason == "expected a JSON object, found list"
    assert "NaN" in problems[5][0].reason
    assert records[-1] == SourceRecord(6, {"event_id": "E4", "type": "logout"})


def test_json_lines_in_gbk_and_with_a_mixed_line(tmp_path: Path) -> None:
    gbk = write(tmp_path / "gbk.ndjson", '{"name": "张三", "city": "北京市"}\n'.encode("gbk"))
    mixed = write(
        tmp_path / "mixed.json",
        '{"name": "张三"}\n{"name": "李四"}\n'.encode() + '{"name": "王五", "n": 1}\n'.encode("gbk"),
    )

    assert read_all(gbk)[0].values == {"name": "张三", "city": "北京市"}
    records = read_all(mixed)
    assert [r.problems for r in records[:2]] == [(), ()]
    assert records[2].problems[0].column == "name"
    assert records[2].values["n"] == 1


def test_a_json_array_file_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="JSON array"):
        open_records(write(tmp_path / "events.json", b'[{"event_id": "E1"}]\n'))


# ----------------------------------------------------------------------------------------------- Parquet
def test_parquet_is_read_in_chunks_of_the_asked_size(tmp_path: Path) -> None:
    path = tmp_path / "holdings.parquet"
    table = pa.table(
        {
            "account_no": [f"A{i:05d}" for i in range(2500)],
            "balance": [i * 1.5 for i in range(2500)],
            "remark": ["x" * 600 if i == 10 else None for i in range(2500)],
        }
    )
    pq.write_table(table, path, row_group_size=700)
    source = open_records(path, chunk_size=1000)

    chunks = list(source.chunks())

    assert source.columns == ("account_no", "balance", "remark")
    assert source.encoding is None
    assert [len(chunk) for chunk in chunks] == [1000, 1000, 500]
    records = [record for chunk in chunks for record in chunk]
    assert records[0] == SourceRecord(2, {"account_no": "A00000", "balance": 0.0, "remark": None})
    assert records[-1].row == 2501
    assert problems_by_row(records) == {12: (FieldProblem("remark", "x" * 200, "longer than 512 characters"),)}
    assert source.bytes_read == source.total_bytes


def test_a_file_that_is_not_parquet_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not a readable Parquet file"):
        open_records(write(tmp_path / "fake.parquet", b"customer_no\nC001\n"))
    assert list(open_records(write(tmp_path / "empty.parquet", b"")).chunks()) == []


# ------------------------------------------------------------------------------------------- errors file
def test_no_errors_file_when_nothing_was_wrong(tmp_path: Path) -> None:
    path = tmp_path / "errors.csv"

    with ErrorsFile(path) as errors:
        pass

    assert errors.path_if_written is None
    assert errors.count == 0
    assert not path.exists()


def test_errors_file_has_a_bom_a_header_and_one_line_per_problem(tmp_path: Path) -> None:
    path = tmp_path / "errors.csv"
    record = SourceRecord(
        7,
        {},
        (FieldProblem("phone", "=HYPERLINK(1)", "not a phone number"), FieldProblem("", "", "expected 3")),
    )

    with ErrorsFile(path) as errors:
        errors.add(5, FieldProblem("name", "张三\n", "longer than 512 characters"))
        errors.add_record(record)
        errors.add(9, FieldProblem("balance", "-12.50", "must be positive"))

    assert errors.path_if_written == path
    assert errors.count == 4
    assert path.read_bytes().startswith(b"\xef\xbb\xbfrow,column,value,reason\r\n")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["row", "column", "value", "reason"],
        ["5", "name", "张三\n", "longer than 512 characters"],
        ["7", "phone", "'=HYPERLINK(1)", "not a phone number"],  # inert in Excel
        ["7", "", "", "expected 3"],
        ["9", "balance", "-12.50", "must be positive"],  # a number stays a number
    ]


def test_field_problem_values_are_cut_to_200_characters() -> None:
    assert FieldProblem.of("name", "x" * 500, "too long").value == "x" * 200
    assert FieldProblem.of("amount", 12.5, "negative").value == "12.5"
