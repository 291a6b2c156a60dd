"""Streaming readers for T+1 import files (CSV, JSON lines, Parquet) and the errors-file writer.

Readers never hold a whole file: CSV and JSON lines are read one physical line at a time from a binary
handle, Parquet one record batch at a time. A record that cannot be read cleanly is still yielded, with its
problems attached, so one bad line never stops an import and every rejected row can be reported.
"""

from __future__ import annotations

import codecs
import csv
import json
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from huoke.platform.errors import InvalidInput

SAMPLE_BYTES = 1 << 20  # encoding detection looks at the first 1 MiB
MAX_LINE_BYTES = 1 << 20  # a longer physical line means a wrong file (binary, or \r line ends), not a record
MAX_RECORD_LINES = 100  # a quoted value open for longer is taken to be an unterminated quote
PREVIEW_CHARS = 200
UNCLOSED_QUOTE = 'a quoted value opened on this line is not closed (a " without its closing ")'
JSON_LINES = dict.fromkeys((".jsonl", ".ndjson", ".json"), "jsonl")
KINDS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", **JSON_LINES}  # by extension, lower case


@dataclass(frozen=True)
class FieldProblem:
    """One reason a record cannot be used; ``column`` is "" when it concerns the whole record."""

    column: str
    value: str
    reason: str

    @classmethod
    def of(cls, column: str, value: object, reason: str) -> FieldProblem:
        """A problem whose value is shown as text, cut to ``PREVIEW_CHARS`` characters."""
        return cls(column, (value if isinstance(value, str) else str(value))[:PREVIEW_CHARS], reason)


@dataclass(frozen=True)
class SourceRecord:
    """One record as read, numbered so an operator finds it in the file (CSV and Parquet: header = row 1)."""

    row: int
    values: dict[str, Any]
    problems: tuple[FieldProblem, ...] = ()


class RecordSource(Protocol):
    """An opened import file; ``chunks()`` reads it lazily, ``bytes_read``/``total_bytes`` show progress."""

    columns: tuple[str, ...]
    encoding: str | None

    @property
    def bytes_read(self) -> int: ...

    @property
    def total_bytes(self) -> int: ...

    def chunks(self) -> Iterator[list[SourceRecord]]: ...


@dataclass(frozen=True)
class _Options:
    chunk_size: int
    max_field_length: int


def open_records(
    path: Path,
    *,
    encoding: Literal["auto", "utf-8", "gbk"] = "auto",
    chunk_size: int = 2000,
    max_field_length: int = 512,
) -> RecordSource:
    """Open an import file by its extension; ``InvalidInput`` when it cannot be read at all.

    Reading starts with ``chunks()``; a file that turns out to be no text file at all (a line over 1 MiB)
    raises ``InvalidInput`` from there."""
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        accepted = ", ".join(sorted(KINDS))
        raise _invalid(path, f"unsupported file type; accepted kinds are {accepted}", "unsupported_file_type")
    if not path.is_file():
        raise _invalid(path, "no such file", "file_not_found")
    options = _Options(max(1, chunk_size), max_field_length)
    if kind == "parquet":
        return _ParquetSource(path, options)
    codec = _codec_for(path, encoding)
    return _JsonLinesSource(path, codec, options) if kind == "jsonl" else _CsvSource(path, codec, options)


def _invalid(path: Path, message: str, code: str) -> InvalidInput:
    return InvalidInput(f"{path.name}: {message}", code=code, details={"file": str(path)})


# ---------------------------------------------------------------------------------------------- encodings
def _codec_for(path: Path, encoding: str) -> str:
    if encoding not in ("auto", "utf-8", "gbk"):
        raise _invalid(path, f"unknown encoding {encoding!r}; choose auto, utf-8 or gbk", "unknown_encoding")
    detected = detect_encoding(path)
    if encoding == "gbk":
        return "gb18030"
    if encoding == "utf-8":  # a BOM is never part of the first column's name
        return "utf-8-sig" if detected == "utf-8-sig" else "utf-8"
    return detected


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' (BOM), 'utf-8' or 'gb18030' (a superset of GBK), judged on the first 1 MiB."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:  # not final when cut: a character split at the sample's end is no error
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
    except UnicodeDecodeError:
        return "utf-8" if _mostly_utf8(sample) else "gb18030"
    return "utf-8"


def _mostly_utf8(sample: bytes) -> bool:
    """A UTF-8 file with a few lines pasted in from a GBK system stays UTF-8 (those lines get problems)."""
    lines = [line for line in sample.split(b"\n")[:-1] if not line.isascii()]
    valid = sum(1 for line in lines if not _has_surrogates(line.decode("utf-8", "surrogateescape")))
    return valid > len(lines) - valid


def _has_surrogates(text: str) -> bool:
    """Bytes the file's encoding could not decode survive as lone surrogates (``surrogateescape``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_text(column: str, text: str, encoding: str, max_length: int) -> tuple[str, FieldProblem | None]:
    """The text made safe to store (undecodable bytes as ``\\xd5`` escapes) and its problem, if any."""
    if _has_surrogates(text):
        codec = "utf-8" if encoding == "utf-8-sig" else encoding
        text = text.encode(codec, "surrogateescape").decode(codec, "backslashreplace")
        label = "UTF-8" if codec == "utf-8" else codec.upper()
        return text, FieldProblem.of(column, text, f"not valid {label} text; is the file in mixed encodings?")
    if len(text) > max_length:
        return text, FieldProblem.of(column, text, f"longer than {max_length} characters")
    return text, None


def _rejected(row: int, text: str, reason: str) -> SourceRecord:
    return SourceRecord(row, {}, (FieldProblem.of("", text.strip(), reason),))


# ------------------------------------------------------------------------------------------ line sources
class _Line(NamedTuple):
    number: int
    text: str
    size: int  # in bytes, as in the file
    clean: bool  # decoded without a single undecodable byte, so no value of it needs the surrogate check


class _LineSource(ABC):
    """CSV and JSON lines: decoded physical lines, read lazily in ``chunks()`` with progress counted."""

    _kind = "text file"

    def __init__(self, path: Path, encoding: str, options: _Options) -> None:
        self.columns: tuple[str, ...] = ()
        self.encoding: str | None = encoding
        self.bytes_read, self.total_bytes = 0, path.stat().st_size
        self._path, self._codec, self._options = path, encoding, options
        self._start = 0  # byte offset of the first record: after the header of a CSV file

    def chunks(self) -> Iterator[list[SourceRecord]]:
        with self._path.open("rb") as handle:
            handle.seek(self._start)
            self.bytes_read = self._start
            yield from _batched(self._records(self._lines(handle)), self._options.chunk_size)

    def _lines(self, handle: IO[bytes]) -> Iterator[_Line]:
        number = 2 if self._start else 1
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            self.bytes_read += len(raw)
            if len(raw) > MAX_LINE_BYTES:
                message = f"line {number} is longer than 1 MiB; is this really a {self._kind}?"
                raise _invalid(self._path, message, "invalid_file")
            yield _decoded(number, raw, self._codec)
            number += 1

    def _first_line(self) -> _Line | None:
        with self._path.open("rb") as handle:
            first = next(self._lines(handle), None)
        self.bytes_read = 0  # progress counts from ``chunks()``
        return first

    @abstractmethod
    def _records(self, lines: Iterator[_Line]) -> Iterator[SourceRecord]:
        """Turn the file's physical lines into records (CSV and JSON lines differ here)."""


def _decoded(number: int, raw: bytes, codec: str) -> _Line:
    try:
        return _Line(number, raw.decode(codec), len(raw), True)
    except UnicodeDecodeError:
        return _Line(number, raw.decode(codec, "surrogateescape"), len(raw), False)


def _batched(records: Iterator[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    while chunk := list(islice(records, size)):
        yield chunk


# --------------------------------------------------------------------------------------------------- CSV
class _LineFeed:
    """Feeds csv.reader one line at a time and remembers the lines of the current record, so a record
    that goes wrong is reported at its first line and the lines after it are read again."""

    def __init__(self, lines: Iterator[_Line]) -> None:
        self._lines, self._pending = lines, deque[_Line]()
        self.taken: list[_Line] = []
        self.reached_end = False

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= MAX_RECORD_LINES:
            raise csv.Error(f"a quoted value is not closed within {MAX_RECORD_LINES} lines")
        line = self._pending.popleft() if self._pending else self._next_line()
        self.taken.append(line)
        if "\0" in line.text:  # the csv module of Python 3.13 would accept it; a bank file never has one
            raise csv.Error(f"line {line.number} contains a NUL byte; is this a binary file?")
        return line.text

    def _next_line(self) -> _Line:
        try:
            return next(self._lines)
        except StopIteration:
            self.reached_end = True
            raise

    def start_record(self) -> None:
        self.taken, self.reached_end = [], False

    def take_plain(self, delimiter: str) -> list[str] | None:
        """The next line's fields when the line needs no CSV parsing (see ``plain_fields``), taking the line;
        None when it does (the csv reader gets it) or when there are no more lines (``reached_end``)."""
        if not self._pending:
            try:
                self._pending.append(next(self._lines))
            except StopIteration:
                self.reached_end = True
                return None
        fields = plain_fields(self._pending[0].text, delimiter)
        if fields is not None:
            self.taken.append(self._pending.popleft())
        return fields

    def reject(self, reason: str) -> SourceRecord:
        """The current record as a problem; its later lines are read again as records of their own."""
        self._pending.extendleft(reversed(self.taken[1:]))
        return _rejected(self.taken[0].number, self.taken[0].text, reason)


class _CsvSource(_LineSource):
    """CSV with a header row; ',' separated, or ';' when the header has ';' and no ','."""

    _kind = "CSV file"

    def __init__(self, path: Path, encoding: str, options: _Options) -> None:
        super().__init__(path, encoding, options)
        header = self._first_line()
        self._delimiter = ";" if header and ";" in header.text and "," not in header.text else ","
        if header and header.text.strip():
            self.columns = _header(path, self._header_names(header.text))
            self._start = header.size
        elif header and self.total_bytes > header.size:
            raise _invalid(path, "the first line is empty; it must be the header naming the columns", "no_header")

    def _header_names(self, text: str) -> list[str]:
        if _has_surrogates(text):
            message = f"the header is not valid {self._codec} text; is the encoding right?"
            raise _invalid(self._path, message, "bad_encoding")
        try:
            return [name.strip() for name in next(csv.reader([text], delimiter=self._delimiter))]
        except csv.Error as error:
            raise _invalid(self._path, f"the header cannot be read: {error}", "no_header") from error

    def _records(self, lines: Iterator[_Line]) -> Iterator[SourceRecord]:
        feed = _LineFeed(lines)
        reader = csv.reader(feed, delimiter=self._delimiter)
        while self.columns:
            feed.start_record()
            fields = feed.take_plain(self._delimiter)
            if feed.reached_end:
                return
            try:
                fields = fields if fields is not None else next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # on a later line of a record: that record's quote swallowed it
                yield feed.reject(UNCLOSED_QUOTE if len(feed.taken) > 1 else str(error))
                continue
            if feed.reached_end or (len(feed.taken) > 1 and len(fields) != len(self.columns)):
                yield feed.reject(UNCLOSED_QUOTE)
            elif "".join(fields).strip():  # blank and all-empty lines carry nothing
                yield self._record(feed.taken[0].number, fields, self._plain(feed.taken))

    def _plain(self, lines: list[_Line]) -> bool:
        """True when no value of the record can have a problem: every line decoded cleanly and the record
        is no longer than the longest value allowed (a value is part of the record)."""
        if len(lines) == 1:
            return lines[0].clean and len(lines[0].text) <= self._options.max_field_length
        size = sum(len(line.text) for line in lines)
        return all(line.clean for line in lines) and size <= self._options.max_field_length

    def _record(self, row: int, fields: list[str], plain: bool) -> SourceRecord:
        problems: list[FieldProblem] = []
        if len(fields) != len(self.columns):
            reason = f"expected {len(self.columns)} fields, found {len(fields)}"
            problems.append(FieldProblem.of("", self._delimiter.join(fields), reason))
        if plain:
            plain_values = {column: raw.strip() or None for column, raw in zip(self.columns, fields, strict=False)}
            return SourceRecord(row, plain_values, tuple(problems))
        values: dict[str, Any] = {}
        for column, raw in zip(self.columns, fields, strict=False):
            text, problem = _check_text(column, raw.strip(), self._codec, self._options.max_field_length)
            values[column] = text or None
            problems += [problem] if problem else []
        return SourceRecord(row, values, tuple(problems))


def plain_fields(line: str, delimiter: str) -> list[str] | None:
    """The fields of one physical line with no quote, carriage return or NUL in it (nearly every line of a
    bank export), exactly as the csv module reads them but without it; None for any other line."""
    body = line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith("\n") else line
    if '"' in body or "\r" in body or "\n" in body or "\0" in body:
        return None
    return body.split(delimiter) if body else []


def _header(path: Path, names: list[str]) -> tuple[str, ...]:
    """Column names, each present and unique."""
    for position, name in enumerate(names, start=1):
        if not name:
            raise _invalid(path, f"column {position} of the header has no name", "no_header")
        if name in names[: position - 1]:
            raise _invalid(path, f"column {name!r} appears twice in the header", "duplicate_column")
    return tuple(names)


# -------------------------------------------------------------------------------------------- JSON lines
def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class _JsonLinesSource(_LineSource):
    """One JSON object per line; ``columns`` are the keys of the first line (for information only)."""

    _kind = "JSON lines file"

    def __init__(self, path: Path, encoding: str, options: _Options) -> None:
        super().__init__(path, encoding, options)
        first = self._first_line()
        if first and first.text.lstrip().startswith("["):
            raise _invalid(path, "is a JSON array; export one JSON object per line (JSON lines)", "invalid_file")
        if first and isinstance(value := _loads(first.text), dict):
            self.columns = tuple(value)

    def _records(self, lines: Iterator[_Line]) -> Iterator[SourceRecord]:
        for line in lines:
            if line.text.strip():
                yield self._record(line)

    def _record(self, line: _Line) -> SourceRecord:
        try:
            value = json.loads(line.text, parse_constant=_no_constant)
        except json.JSONDecodeError as error:
            reason = f"not valid JSON at line {line.number}, column {error.colno}: {error.msg}"
            return _rejected(line.number, line.text, reason)
        except ValueError as error:
            return _rejected(line.number, line.text, f"not valid JSON at line {line.number}: {error}")
        if not isinstance(value, dict):
            return _rejected(line.number, line.text, f"expected a JSON object, found {type(value).__name__}")
        return self._checked(line.number, value, undecodable=not line.clean)

    def _checked(self, row: int, values: dict[str, Any], *, undecodable: bool) -> SourceRecord:
        """Long strings are problems; undecodable bytes (rare, so looked for only then) are neutralised."""
        problems: list[FieldProblem] = []
        limit = self._options.max_field_length
        for column, value in values.items():
            if undecodable or (isinstance(value, str) and len(value) > limit):
                values[column], problem = _checked_value(column, value, self._codec, limit)
                problems += [problem] if problem else []
        return SourceRecord(row, values, tuple(problems))


def _checked_value(column: str, value: Any, encoding: str, limit: int) -> tuple[Any, FieldProblem | None]:
    if isinstance(value, str):
        return _check_text(column, value, encoding, limit)
    text = json.dumps(value, ensure_ascii=False)  # a number or a nested object: only bad bytes matter
    _, problem = _check_text(column, text, encoding, len(text))
    return (value, None) if problem is None else (None, problem)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------------- Parquet
class _ParquetSource:
    """Parquet read one record batch at a time; progress is estimated from the rows read."""

    def __init__(self, path: Path, options: _Options) -> None:
        self.encoding: str | None = None
        self.total_bytes, self._path, self._options, self._rows_read = path.stat().st_size, path, options, 0
        self._rows, names = _parquet_shape(path) if self.total_bytes else (0, [])
        self.columns = _header(path, names)  # not stripped: they are the keys of the values

    @property
    def bytes_read(self) -> int:
        return self.total_bytes * self._rows_read // self._rows if self._rows else 0

    def chunks(self) -> Iterator[list[SourceRecord]]:
        if self._rows:  # batches may be short at row-group ends: re-chunked to exactly chunk_size
            yield from _batched(self._records(), self._options.chunk_size)

    def _records(self) -> Iterator[SourceRecord]:
        self._rows_read = 0
        with pq.ParquetFile(self._path) as parquet:
            for batch in parquet.iter_batches(batch_size=self._options.chunk_size):
                for values in batch.to_pylist():
                    self._rows_read += 1
                    yield self._record(self._rows_read + 1, values)

    def _record(self, row: int, values: dict[str, Any]) -> SourceRecord:
        limit = self._options.max_field_length
        problems = [
            FieldProblem.of(column, value, f"longer than {limit} characters")
            for column, value in values.items()
            if isinstance(value, str) and len(value) > limit
        ]
        return SourceRecord(row, values, tuple(problems))


def _parquet_shape(path: Path) -> tuple[int, list[str]]:
    try:
        with pq.ParquetFile(path) as parquet:
            return int(parquet.metadata.num_rows), list(parquet.schema_arrow.names)
    except (pa.ArrowException, OSError) as error:
        raise _invalid(path, f"is not a readable Parquet file ({error})", "invalid_file") from error
