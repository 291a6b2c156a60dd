"""Columns of the bank's CSV files as numpy arrays, with errors that name the file, row, column and value."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from huoke.demo.activity_draws import Ints
from huoke.platform.errors import InvalidInput

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def read_columns(path: Path, columns: tuple[str, ...]) -> pa.Table:
    """The named columns of a bank CSV file, all as text (empty cells are null)."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file; generate the bank first", code="bank_file_missing")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    missing = [c for c in columns if c not in header]
    if missing:
        raise InvalidInput(f"{path.name}: missing column(s) {', '.join(missing)}", code="bad_bank_file")
    options = pacsv.ConvertOptions(
        include_columns=list(columns),
        column_types=dict.fromkeys(columns, pa.string()),
        strings_can_be_null=True,
        null_values=[""],
    )
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=True), convert_options=options)


def required_column(table: pa.Table, column: str, path: Path) -> Any:
    """The column, refused when a cell is empty."""
    values = table.column(column)
    if values.null_count:
        row = int(pc.index(pc.is_null(values), True).as_py())
        raise InvalidInput(f"{path.name} row {row + 2}: {column} is empty", code="bad_bank_file")
    return values


def index_of(table: pa.Table, column: str, known: Any, path: Path) -> Ints:
    """Each cell's position among `known` values (customers, products), refused when it is not there."""
    found = pc.index_in(required_column(table, column, path), value_set=known.combine_chunks())
    if found.null_count:
        row = int(pc.index(pc.is_null(found), True).as_py())
        value = table.column(column)[row].as_py()
        raise InvalidInput(
            f"{path.name} row {row + 2}: {column} {value!r} is not in the bank's {column.split('_', maxsplit=1)[0]}s",
            code="bad_bank_file",
        )
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


def parsed_dates(table: pa.Table, column: str, path: Path) -> Any:
    """A YYYY-MM-DD column as timestamps (null for empty cells), refused when a cell is not a real date."""
    raw = table.column(column)
    parsed = pc.strptime(raw, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2024-02-30 over to 2024-03-01: a date is valid only if it prints back as written.
    printed = pc.strftime(parsed, format="%Y-%m-%d")
    bad = pc.and_(raw.is_valid(), pc.fill_null(pc.not_equal(printed, raw), True))
    if pc.any(bad).as_py():
        row = int(pc.index(bad, True).as_py())
        raise InvalidInput(
            f"{path.name} row {row + 2}: {column} {raw[row].as_py()!r} is not a date (YYYY-MM-DD)",
            code="bad_bank_file",
        )
    return parsed


def day_ordinals(table: pa.Table, column: str, path: Path, *, fill: int) -> Ints:
    """A date column as day ordinals; empty cells become `fill`."""
    seconds = pc.cast(parsed_dates(table, column, path), pa.int64())
    known = np.asarray(seconds.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    whole = np.asarray(pc.fill_null(seconds, 0).to_numpy(zero_copy_only=False), dtype=np.int64) // 86_400
    return np.where(known, whole + EPOCH_ORDINAL, fill)


def ages_on(customers: pa.Table, path: Path, end: date) -> Ints:
    """Whole years of age on `end`, -1 when the birth date is unknown."""
    born = parsed_dates(customers, "birth_date", path)
    years = pc.fill_null(pc.year(born), end.year + 1).to_numpy(zero_copy_only=False).astype(np.int64)
    month_day = pc.add(pc.multiply(pc.month(born), 100), pc.day(born))
    later = np.asarray(pc.fill_null(month_day, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    age = end.year - years - (later > end.month * 100 + end.day)
    return np.where(age < 0, -1, age)


def risk_ranks(column: Any) -> Ints:
    """R1–R5 / C1–C5 as 1–5; anything else as 0."""
    digits = pc.utf8_slice_codeunits(column.fill_null(""), 1, 2)
    ranked = pc.index_in(digits, value_set=pa.array(["1", "2", "3", "4", "5"]))
    return np.asarray(pc.fill_null(ranked, -1).to_numpy(zero_copy_only=False), dtype=np.int64) + 1


def positions_in(column: Any, values: tuple[str, ...]) -> Ints:
    """Each cell's position in `values`; -1 for empty or unknown cells."""
    found = pc.index_in(column, value_set=pa.array(values))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
