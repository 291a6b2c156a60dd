"""The errors file of an import: every rejected row with the column, the value and the reason."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from huoke.platform.tabular import FieldProblem, SourceRecord

ERRORS_HEADER = ("row", "column", "value", "reason")


class ErrorsFile:
    """CSV of rejected rows (``row,column,value,reason``), UTF-8 with a BOM so Excel on Chinese Windows
    shows it right. Created at the first problem: a clean import leaves no file behind."""

    def __init__(self, path: Path) -> None:
        self.path, self.count = path, 0
        self._handle: IO[str] | None = None

    @property
    def path_if_written(self) -> Path | None:
        return self.path if self.count else None

    def add(self, row: int, problem: FieldProblem) -> None:
        if self._handle is None:
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            csv.writer(self._handle).writerow(ERRORS_HEADER)
        cells = (row, _excel_safe(problem.column), _excel_safe(problem.value), problem.reason)
        csv.writer(self._handle).writerow(cells)
        self.count += 1

    def add_record(self, record: SourceRecord) -> None:
        for problem in record.problems:
            self.add(record.row, problem)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> ErrorsFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _excel_safe(text: str) -> str:
    """Excel runs a cell starting with = + - @ as a formula; a leading ' keeps a hostile value inert."""
    if text[:1] not in ("=", "+", "-", "@", "\t", "\r"):
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text
