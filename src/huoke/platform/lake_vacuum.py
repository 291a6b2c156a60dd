"""Vacuum: delete lake files no manifest needs any more, once no reader can still be using them.

Two kinds of file go: files retired by a compaction, erasure or replacement longer ago than the grace period,
and orphans (left by a writer that stopped before its manifest swap) whose last change is older than it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from huoke.platform.lake_manifest import LOCK, MANIFEST, Manifest


@dataclass(frozen=True)
class Sweep:
    """What a vacuum of one table removed, and the manifest without the retired entries it deleted."""

    manifest: Manifest | None
    files: int
    bytes: int


def sweep(table_dir: Path, manifest: Manifest | None, *, cutoff: datetime) -> Sweep:
    """Delete retired files older than ``cutoff`` and orphans last modified before it (caller holds the lock)."""
    removed = freed = 0
    keep_retired = []
    live: set[str] = set()
    if manifest is not None:
        live = {p for f in manifest.files for p in f.paths()}
        for entry in manifest.retired:
            if entry.at > cutoff or entry.path in live:
                keep_retired.append(entry)
                continue
            size = _unlink(table_dir / entry.path)
            removed, freed = removed + (size is not None), freed + (size or 0)
    known = live | {r.path for r in keep_retired}
    for path in sorted(table_dir.rglob("*")):
        relative = path.relative_to(table_dir).as_posix()
        if not path.is_file() or relative in known or path.name in (LOCK, MANIFEST):
            continue
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) <= cutoff:
            size = _unlink(path)
            removed, freed = removed + (size is not None), freed + (size or 0)
    _prune_empty_dirs(table_dir, cutoff)
    trimmed = None if manifest is None else replace(manifest, retired=tuple(keep_retired))
    return Sweep(trimmed, removed, freed)


def cutoff_for(older_than: timedelta, now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)) - older_than


def _unlink(path: Path) -> int | None:
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return None
    return size


def _prune_empty_dirs(table_dir: Path, cutoff: datetime) -> None:
    """Remove empty directories untouched since ``cutoff`` (a writer may have just made a fresh one)."""
    for directory in sorted((p for p in table_dir.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        stale = datetime.fromtimestamp(directory.stat().st_mtime, UTC) <= cutoff
        if stale and not any(directory.iterdir()):
            directory.rmdir()
