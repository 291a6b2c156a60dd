"""Key indexes: a small Bloom filter per compacted lake file, so a point read skips files without the key.

A customer's timeline walks up to a year of date partitions; most of them hold none of that customer's rows.
Compaction writes, next to each file, a blocked Bloom filter of the distinct values of its key column (12 bits
per key, about 0.5% false positives). A point read opens only the files whose filter says "maybe".

Hashes are computed here, vectorised with numpy, from the UTF-8 bytes of strings or the value of integers, so
the filter files stay readable by every future huoke version. A column of another type gets no index.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

U64 = npt.NDArray[np.uint64]
BITS_PER_KEY = 12
BLOCK_WORDS = 8  # 512-bit blocks: every probe of one key lands in one cache line
SALTS = np.array([0x47B6137B, 0x44974D91, 0x8824AD5B, 0xA2B7289D, 0x705495C7, 0x2DF1424B], dtype=np.uint64)
MAX_KEY_BYTES = 256  # longer keys are not worth a filter; such files are simply always read
_SEED = np.uint64(0x9E3779B97F4A7C15)
_LOW32 = np.uint64(0xFFFFFFFF)


def supports(data_type: pa.DataType) -> bool:
    """Whether a column of this type can have a key index."""
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type) or pa.types.is_integer(data_type))


def key_hashes(values: pa.Array | pa.ChunkedArray) -> U64 | None:
    """64-bit hashes of the non-null values, or None when the type or key length rules out an index."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    array = pc.drop_null(pc.unique(array))
    if pa.types.is_integer(array.type):
        return _mix(np.asarray(array.cast(pa.int64()).to_numpy(), dtype=np.int64).view(np.uint64) ^ _SEED)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return _string_hashes(array)
    return None


def hash_one(value: Any, data_type: pa.DataType) -> int | None:
    """The hash of one value as :func:`key_hashes` computes it for a column of ``data_type``."""
    hashes = key_hashes(pa.array([value], type=data_type))
    return None if hashes is None or len(hashes) == 0 else int(hashes[0])


def build(hashes: U64) -> U64:
    """A blocked Bloom filter holding every hash."""
    blocks = max(1, -(-len(hashes) * BITS_PER_KEY // (BLOCK_WORDS * 64)))
    words, masks = _probes(hashes, blocks)
    bitmap = np.zeros(blocks * BLOCK_WORDS, dtype=np.uint64)
    np.bitwise_or.at(bitmap, words.ravel(), masks.ravel())
    return bitmap


class Probe:
    """One value's probe positions, computed once and tested against many filters."""

    def __init__(self, key_hash: int) -> None:
        self._block_hash = key_hash >> 32
        words, masks = _probes(np.array([key_hash], dtype=np.uint64), 1)
        self._bits = [(int(w), int(m)) for w, m in zip(words[0], masks[0], strict=True)]

    def may_contain(self, bitmap: U64) -> bool:
        """False only when the value is certainly absent from the filter."""
        start = self._block_hash % (len(bitmap) // BLOCK_WORDS) * BLOCK_WORDS
        block = bitmap[start : start + BLOCK_WORDS].tolist()
        return all(block[word] & mask for word, mask in self._bits)


def may_contain(bitmap: U64, key_hash: int) -> bool:
    """False only when the value is certainly absent."""
    return Probe(key_hash).may_contain(bitmap)


def write(path: Path, bitmap: U64) -> None:
    """Write the filter durably under a temporary name, then move it into place."""
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(bitmap.astype("<u8").tobytes())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def read(path: Path) -> U64:
    return np.fromfile(path, dtype="<u8").astype(np.uint64, copy=False)


def _probes(hashes: U64, blocks: int) -> tuple[U64, U64]:
    """For each hash, the word positions and bit masks of its probes (one row per hash)."""
    block = (hashes >> np.uint64(32)) % np.uint64(blocks)
    bits = ((hashes & _LOW32)[:, None] * SALTS[None, :]) & _LOW32
    bits >>= np.uint64(23)  # 9 bits: a position inside the 512-bit block
    words = block[:, None] * np.uint64(BLOCK_WORDS) + (bits >> np.uint64(6))
    return words, np.left_shift(np.uint64(1), bits & np.uint64(63))


def _string_hashes(array: pa.Array) -> U64 | None:
    offsets_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=offsets_type)[array.offset : array.offset + len(array) + 1]
    offsets = offsets.astype(np.int64)
    lengths = np.diff(offsets)
    longest = int(lengths.max()) if len(lengths) else 0
    if longest > MAX_KEY_BYTES:
        return None
    width = max(8, -(-longest // 8) * 8)
    matrix = np.zeros((len(lengths), width), dtype=np.uint8)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, dtype=np.uint8)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    columns = np.arange(int(lengths.sum())) - np.repeat(offsets[:-1] - offsets[0], lengths)
    matrix[rows, columns] = data[offsets[0] : offsets[-1]]
    words = matrix.view("<u8").astype(np.uint64)
    hashed = _mix(lengths.astype(np.uint64) ^ _SEED)
    for k in range(words.shape[1]):
        hashed = np.where(lengths > 8 * k, _mix(hashed ^ words[:, k]), hashed)
    return hashed


def _mix(x: U64) -> U64:
    """The splitmix64 finaliser: every input bit affects every output bit."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))
