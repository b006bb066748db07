"""A mergeable quantile sketch for the rollup tiers: p95 with a stated error bound, merged bucket by bucket.

Two mappings of a value to a bin, chosen by the metric's unit (statusmon.metrics):

- percentages: fixed-width bins of ``PERCENT_WIDTH`` (1 percentage point) centred on whole numbers, so the
  value a bin stands for is within 0.5 pp of every value in it (a whole-number percentage is exact);
- everything else (bytes, watts, degrees, counts): logarithmic bins as in DDSketch (Masson et al., VLDB 2019)
  with relative accuracy ``RELATIVE_ACCURACY`` (1 %): bin k holds (γ^(k-1), γ^k] and stands for 2γ^k/(γ+1).

A sketch is a sparse map bin -> count, so merging is adding counts: the sketch of an hour is the sum of its
minutes' sketches, never an estimate of estimates. The p95 of a merged sketch is the value of the bin holding
the nearest-rank element (statusmon.store.percentile): that element lies in the bin, so the answer is within
the bin's bound of the exact nearest-rank p95, however many sketches were merged. Measured sizes of both
mappings on percentages are in bench/results (``python -m bench.sketch``): the fixed-width one is smaller.

Encoding (stored as a BLOB in SQLite, base64 text in InfluxDB): one byte for the mapping, then for each bin in
ascending order a zig-zag varint of the key's difference to the previous key and a varint of its count.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

PERCENT_WIDTH = 1.0
RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
_ZERO = 1e-9  # |v| below this is counted as zero (its bin stands for 0.0)
_SIDE = 1 << 20  # log keys: positives at _SIDE + k, negatives at -(_SIDE + k), zero at 0 (ordered like values)

LINEAR, LOG = 0, 1


def mapping_for(unit: str) -> int:
    return LINEAR if unit == "percent" else LOG


def max_error(unit: str) -> float:
    """The bound of a p95 from a sketch: absolute (pp) for percentages, relative for the others."""
    return PERCENT_WIDTH / 2 if mapping_for(unit) == LINEAR else RELATIVE_ACCURACY


class Sketch:
    __slots__ = ("mapping", "bins")

    def __init__(self, mapping: int, bins: dict[int, int] | None = None):
        self.mapping = mapping
        self.bins: dict[int, int] = bins if bins is not None else {}

    @classmethod
    def for_unit(cls, unit: str) -> Sketch:
        return cls(mapping_for(unit))

    @property
    def count(self) -> int:
        return sum(self.bins.values())

    def key(self, v: float) -> int:
        if self.mapping == LINEAR:
            return math.floor(v / PERCENT_WIDTH + 0.5)
        m = abs(v)
        if m < _ZERO:
            return 0
        k = _SIDE + math.ceil(math.log(m) / _LOG_GAMMA)
        return k if v > 0 else -k

    def value(self, key: int) -> float:
        if self.mapping == LINEAR:
            return key * PERCENT_WIDTH
        if key == 0:
            return 0.0
        k = abs(key) - _SIDE
        v = 2 * GAMMA ** k / (GAMMA + 1)
        return v if key > 0 else -v

    def add(self, values: Iterable[float]) -> None:
        # The keys of ``key`` computed in one comprehension and counted by Counter (C), not a method call and a
        # dict update per value: a minute bucket is 60 values, and the downsampler builds 11 a host a minute.
        if self.mapping == LINEAR:
            keys = [math.floor(v / PERCENT_WIDTH + 0.5) for v in values]
        else:
            log, ceil, key = math.log, math.ceil, self.key
            keys = [_SIDE + ceil(log(v) / _LOG_GAMMA) if v >= _ZERO else key(v) for v in values]
        bins = self.bins
        for k, c in Counter(keys).items():
            bins[k] = bins.get(k, 0) + c

    def merge(self, other: Sketch) -> None:
        if other.mapping != self.mapping:
            raise ValueError("cannot merge sketches of different mappings")
        bins = self.bins
        for k, c in other.bins.items():
            bins[k] = bins.get(k, 0) + c

    def at_rank(self, index: int) -> float | None:
        """The value standing for the ``index``-th smallest element (0-based), or None past the end."""
        seen = 0
        for k in sorted(self.bins):
            seen += self.bins[k]
            if seen > index:
                return self.value(k)
        return None

    def encode(self) -> bytes:
        out = bytearray((self.mapping,))
        prev = 0
        for k in sorted(self.bins):
            _varint(out, _zigzag(k - prev))
            _varint(out, self.bins[k])
            prev = k
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Sketch:
        if not data:
            raise ValueError("empty sketch")
        sketch = cls(data[0])
        sketch.merge_encoded(data)
        return sketch

    def merge_encoded(self, data: bytes) -> None:
        """Add an encoded sketch's counts without building it first (reading years of buckets does this
        a hundred thousand times: one-byte varints, the common case, are read inline)."""
        if not data or data[0] != self.mapping:
            raise ValueError("cannot merge sketches of different mappings")
        bins = self.bins
        pos, n, prev = 1, len(data), 0
        while pos < n:
            z = data[pos]
            if z < 0x80:
                pos += 1
            else:
                z, pos = _read_varint(data, pos)
            if pos >= n:
                raise ValueError("truncated sketch")
            c = data[pos]
            if c < 0x80:
                pos += 1
            else:
                c, pos = _read_varint(data, pos)
            prev += (z >> 1) ^ -(z & 1)
            bins[prev] = bins.get(prev, 0) + c

    def to_text(self) -> str:
        return base64.b64encode(self.encode()).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> Sketch:
        return cls.decode(base64.b64decode(text))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sketch) and (self.mapping, self.bins) == (other.mapping, other.bins)

    def __repr__(self) -> str:
        return f"Sketch({self.mapping}, {dict(sorted(self.bins.items()))})"


def _zigzag(n: int) -> int:
    return (n << 1) if n >= 0 else ((-n) << 1) - 1


def _varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated sketch")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def merge_into(out: dict[K, Sketch], key: K, data: bytes) -> None:
    """Add an encoded bucket sketch to ``out[key]``: decoded for the first bucket of a key, merged for the rest."""
    have = out.get(key)
    if have is None:
        out[key] = Sketch.decode(data)
    else:
        have.merge_encoded(data)
