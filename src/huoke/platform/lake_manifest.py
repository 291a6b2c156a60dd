"""The lake's per-table manifest: the one list of live Parquet files a reader may open, swapped atomically.

Every lake table is a directory holding ``_manifest.json``. Writers put new files in place first, then replace
the manifest with ``os.replace`` under the table's lock file, so a reader sees either the old list or the new
one, never a mix. Files that leave the list are kept as *retired* until ``vacuum`` removes them after a grace
period, so a query that read the previous manifest can finish.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from huoke.platform.errors import HuokeError, InvalidInput

FORMAT = 1
MANIFEST = "_manifest.json"
LOCK = "_lock"
STAGING = "_staging"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TableKind = Literal["dataset", "snapshot"]


@dataclass(frozen=True)
class KeyIndex:
    """A sidecar filter that tells a point read which files cannot hold a value of ``column``."""

    column: str
    path: str


@dataclass(frozen=True)
class LakeFile:
    """One live Parquet file; ``path`` is relative to the table directory, ``date`` its business date."""

    path: str
    date: date | None
    rows: int
    bytes: int
    batch: str | None  # the append batch that wrote every row; None once rows of several batches are merged
    sorted_by: tuple[str, ...] = ()
    key_index: KeyIndex | None = None

    def paths(self) -> tuple[str, ...]:
        """This file and its sidecar, relative to the table directory."""
        return (self.path,) if self.key_index is None else (self.path, self.key_index.path)


@dataclass(frozen=True)
class Retired:
    path: str
    at: datetime


@dataclass(frozen=True)
class Manifest:
    """The state of one lake table at one version."""

    table: str
    kind: TableKind
    version: int = 0
    time_column: str | None = None
    schema: pa.Schema | None = None
    files: tuple[LakeFile, ...] = ()
    retired: tuple[Retired, ...] = field(default=())

    def swap(
        self, *, remove: Collection[str], add: Sequence[LakeFile], now: datetime, schema: pa.Schema | None = None
    ) -> Manifest:
        """The next version: files named in ``remove`` leave (and are retired), ``add`` joins."""
        leaving = [f for f in self.files if f.path in remove]
        kept = tuple(f for f in self.files if f.path not in remove)
        retired = self.retired + tuple(Retired(p, now) for f in leaving for p in f.paths())
        return replace(
            self,
            version=self.version + 1,
            files=kept + tuple(add),
            retired=retired,
            schema=schema if schema is not None else self.schema,
        )


def check_name(name: str, *, what: str = "lake table") -> str:
    """Refuse names that are not plain lower-case identifiers (they become directories and view names)."""
    if not NAME.match(name):
        raise InvalidInput(
            f"{what} name {name!r} is not allowed: use 1-63 lower-case letters, digits and '_', starting with a letter",
            code="bad_lake_name",
            details={"name": name},
        )
    return name


def load(table_dir: Path) -> Manifest | None:
    """The table's current manifest, or None when the table has never been written."""
    try:
        raw = (table_dir / MANIFEST).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _decode(json.loads(raw))
    except (ValueError, KeyError, TypeError) as exc:
        raise HuokeError(
            f"lake manifest {table_dir / MANIFEST} is damaged ({exc}); restore it from a backup",
            code="lake_manifest_damaged",
        ) from exc


def save(table_dir: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically and durably (temp file, fsync, rename, fsync of the directory)."""
    temp = table_dir / f"{MANIFEST}.{uuid.uuid4().hex}.tmp"
    with open(temp, "wb") as handle:
        handle.write(json.dumps(_encode(manifest), separators=(",", ":")).encode())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, table_dir / MANIFEST)
    fsync_dir(table_dir)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def locked(table_dir: Path) -> Iterator[None]:
    """Serialise the writers of one table (across threads and processes) on its lock file."""
    table_dir.mkdir(parents=True, exist_ok=True)
    with open(table_dir / LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _encode(m: Manifest) -> dict[str, Any]:
    schema = None if m.schema is None else base64.b64encode(m.schema.serialize().to_pybytes()).decode()
    return {
        "format": FORMAT,
        "table": m.table,
        "kind": m.kind,
        "version": m.version,
        "time_column": m.time_column,
        "schema": schema,
        "files": [_encode_file(f) for f in m.files],
        "retired": [{"path": r.path, "at": r.at.isoformat()} for r in m.retired],
    }


def _encode_file(f: LakeFile) -> dict[str, Any]:
    return {
        "path": f.path,
        "date": None if f.date is None else f.date.isoformat(),
        "rows": f.rows,
        "bytes": f.bytes,
        "batch": f.batch,
        "sorted_by": list(f.sorted_by),
        "key_index": None if f.key_index is None else {"column": f.key_index.column, "path": f.key_index.path},
    }


def _decode(doc: dict[str, Any]) -> Manifest:
    if doc["format"] != FORMAT:
        raise ValueError(f"format {doc['format']} is not {FORMAT}")
    schema = None if doc["schema"] is None else pa.ipc.read_schema(pa.py_buffer(base64.b64decode(doc["schema"])))
    return Manifest(
        table=doc["table"],
        kind=doc["kind"],
        version=int(doc["version"]),
        time_column=doc["time_column"],
        schema=schema,
        files=tuple(_decode_file(f) for f in doc["files"]),
        retired=tuple(Retired(r["path"], datetime.fromisoformat(r["at"])) for r in doc["retired"]),
    )


def _decode_file(f: dict[str, Any]) -> LakeFile:
    index = f.get("key_index")
    return LakeFile(
        path=f["path"],
        date=None if f["date"] is None else date.fromisoformat(f["date"]),
        rows=int(f["rows"]),
        bytes=int(f["bytes"]),
        batch=f["batch"],
        sorted_by=tuple(f.get("sorted_by") or ()),
        key_index=None if index is None else KeyIndex(index["column"], index["path"]),
    )
