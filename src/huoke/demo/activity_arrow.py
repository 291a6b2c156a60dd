"""Generated columns as Arrow tables in the decided file format, and Parquet parts written chunk by chunk.

Strings are built without Python objects: identifiers are fixed-width byte matrices turned into Arrow string
buffers, names are `take`n from small dictionaries, amounts become decimal128 straight from integer fen.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from huoke.demo.activity_book import Book
from huoke.demo.activity_columns import (
    DIRECTION_OF_TYPE,
    DIRECTIONS,
    EVENT_TYPES,
    TXN_CHANNELS,
    TXN_TYPES,
    EventColumns,
    TxnColumns,
)
from huoke.demo.activity_csv import EPOCH_ORDINAL
from huoke.demo.activity_draws import Ints, hex_digits, scramble
from huoke.demo.activity_habits import EVENT_CHANNELS
from huoke.demo.activity_hours import UTC_OFFSET_SECONDS
from huoke.demo.activity_money import COUNTERPARTIES
from huoke.demo.activity_properties import json_safe, properties
from huoke.demo.activity_spend import MCC_CODES, MERCHANTS

TIMESTAMP = pa.timestamp("us", tz="UTC")
AMOUNT = pa.decimal128(18, 2)
TRANSACTION_SCHEMA = pa.schema(
    [
        ("txn_id", pa.string()),
        ("customer_no", pa.string()),
        ("account_no", pa.string()),
        ("occurred_at", TIMESTAMP),
        ("amount", AMOUNT),
        ("direction", pa.string()),
        ("txn_type", pa.string()),
        ("channel", pa.string()),
        ("mcc", pa.string()),
        ("merchant", pa.string()),
        ("product_code", pa.string()),
    ]
)
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("type", pa.string()),
        ("occurred_at", TIMESTAMP),
        ("customer_no", pa.string()),
        ("device_id", pa.string()),
        ("channel", pa.string()),
        ("properties", pa.string()),
    ]
)
COMPRESSION = "zstd"
# Keys of the identifier scrambles: transactions, events and devices never share a value.
TXN_KEY, EVENT_KEY, DEVICE_KEY = 0x7478, 0x6576, 0x6476


def fixed_strings(matrix: np.ndarray) -> Any:
    """An Arrow string array from an (n, width) matrix of ASCII bytes, one row per string."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def identifiers(serials: Ints, *, seed: int, key: int, prefix: bytes) -> Any:
    """`prefix` + 16 hex digits per serial, unique for distinct serials and different for another seed."""
    return fixed_strings(hex_digits(scramble(serials, (seed * 0x10000 + key) % (1 << 64)), prefix))


def decimals(fen: Ints) -> Any:
    """decimal128(18, 2) yuan from non-negative integer fen, written straight into the 16-byte cells."""
    cells = np.zeros((len(fen), 2), dtype=np.int64)
    cells[:, 0] = fen
    return pa.Array.from_buffers(AMOUNT, len(fen), [None, pa.py_buffer(cells)])


def instants(day: Ints, second: Ints) -> Any:
    """UTC microseconds from a business day and a local (UTC+8) second of that day."""
    micros = ((day - EPOCH_ORDINAL) * 86_400 + second - UTC_OFFSET_SECONDS) * 1_000_000
    return pa.array(micros, pa.int64()).cast(TIMESTAMP)


def lookup(values: tuple[str, ...] | Any, index: Ints) -> Any:
    """values[index], null where the index is -1."""
    dictionary = pa.array(values, pa.string()) if isinstance(values, tuple) else values
    return dictionary.take(pa.array(index, mask=index < 0))


_ALL_MERCHANTS = (*MERCHANTS, *COUNTERPARTIES)


def transaction_table(columns: TxnColumns, book: Book, *, first_serial: int, seed: int) -> pa.Table:
    serials = np.arange(first_serial, first_serial + len(columns), dtype=np.int64)
    arrays = [
        identifiers(serials, seed=seed, key=TXN_KEY, prefix=b"T"),
        book.customer_no.take(pa.array(columns.customer)),
        book.accounts.take(pa.array(columns.account)),
        instants(columns.day, columns.second),
        decimals(columns.fen),
        lookup(DIRECTIONS, DIRECTION_OF_TYPE[columns.type]),
        lookup(TXN_TYPES, columns.type),
        lookup(TXN_CHANNELS, columns.channel),
        lookup(MCC_CODES, columns.mcc),
        lookup(_ALL_MERCHANTS, columns.merchant),
        lookup(book.product_codes, columns.product),
    ]
    return pa.Table.from_arrays(arrays, schema=TRANSACTION_SCHEMA)


def event_table(columns: EventColumns, book: Book, *, first_serial: int, seed: int) -> pa.Table:
    serials = np.arange(first_serial, first_serial + len(columns), dtype=np.int64)
    known = columns.device >= 0
    devices = identifiers(columns.device[known], seed=seed, key=DEVICE_KEY, prefix=b"D")
    slots = np.cumsum(known) - 1
    arrays = [
        identifiers(serials, seed=seed, key=EVENT_KEY, prefix=b"E"),
        lookup(EVENT_TYPES, columns.type),
        instants(columns.day, columns.second),
        book.customer_no.take(pa.array(columns.customer, mask=columns.customer < 0)),
        devices.take(pa.array(slots, mask=~known)),
        lookup(EVENT_CHANNELS, columns.channel),
        properties(columns, json_safe(book.product_codes)),
    ]
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)


class PartWriter:
    """Writes a table stream as `part-NNNNN.parquet` files (zstd), one row group per chunk.

    A new part starts once the current one holds `part_rows` rows. Stale parts from an earlier run in the
    same folder are removed first; a run without rows still leaves one empty part carrying the schema.
    """

    def __init__(self, folder: Path, schema: pa.Schema, *, part_rows: int) -> None:
        self.folder = folder
        self._schema = schema
        self._part_rows = part_rows
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_part = 0
        self.parts: list[Path] = []

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.glob("part-*.parquet"):
            stale.unlink()
        return self

    def write(self, table: pa.Table) -> None:
        if not len(table) and self.parts:
            return
        if self._writer is None or self._rows_in_part >= self._part_rows:
            self._next_part()
        assert self._writer is not None  # noqa: S101 - opened just above
        self._writer.write_table(table, row_group_size=max(len(table), 1))
        self._rows_in_part += len(table)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self.parts and kind is None:
            self.write(self._schema.empty_table())
        if self._writer is not None:
            self._writer.close()

    def _next_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
        path = self.folder / f"part-{len(self.parts):05d}.parquet"
        self._writer = pq.ParquetWriter(path, self._schema, compression=COMPRESSION)
        self.parts.append(path)
        self._rows_in_part = 0
