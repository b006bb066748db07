"""Stats over any range, fast: exact for ranges up to a day, hourly summaries beyond.

Up to ``exact_seconds`` (24 h) the store computes count/min/max/avg/p95 itself (InfluxQL or SQL): exact.
Longer ranges are cut into whole closed hours, whose summaries are cached per process, and the ragged edges,
read raw each time. A summary holds count, sum, min and max (so those stay exact) and a histogram for p95:
percentages in bins of 0.1 percentage point (p95 within 0.05 pp) and byte counts in logarithmic bins of 1 %
(p95 within 0.5 %). Writes into a closed hour (an agent catching up) evict that hour through ``invalidate``.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from array import array
from bisect import bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from statusmon.metrics import SYSTEM_METRICS
from statusmon.store.base import FieldStats, TimeSeriesStore, Value
from statusmon.store.percentile import nearest_rank_index

HOUR = 3600
PERCENT_BIN = 0.1
LOG_BASE = math.log(1.01)
UNIT = {m.name: m.unit for m in SYSTEM_METRICS}
# The worst-case p95 error of a histogram answer, per unit: absolute for percent, relative for bytes.
P95_ERROR = {"percent": 0.05, "bytes": 0.005}


def _bin(unit: str, v: float) -> int:
    if unit == "percent":
        return round(v / PERCENT_BIN)
    if v <= 0:
        return -(10**9)
    return round(math.log(v) / LOG_BASE)


def _unbin(unit: str, b: int) -> float:
    if unit == "percent":
        return round(b * PERCENT_BIN, 10)
    if b == -(10**9):
        return 0.0
    return math.exp(b * LOG_BASE)


@dataclass
class Summary:
    """count, sum, min, max and a histogram of one field over a span (an hour, or a ragged edge)."""

    unit: str
    count: int = 0
    total: float = 0.0
    min: float | None = None
    max: float | None = None
    hist: Counter[int] = field(default_factory=Counter)
    # Frozen form (what the cache keeps): sorted bins and cumulative counts, for bisecting.
    bins: array[int] | None = None
    cum: array[int] | None = None

    def add(self, values: Iterable[Value]) -> None:
        present = [v for v in values if v is not None]
        if not present:
            return
        self.count += len(present)
        self.total += math.fsum(present)
        lo, hi = min(present), max(present)
        self.min = lo if self.min is None else min(self.min, lo)
        self.max = hi if self.max is None else max(self.max, hi)
        if self.unit == "percent":
            self.hist.update(round(v / PERCENT_BIN) for v in present)
        else:
            self.hist.update(_bin(self.unit, v) for v in present)

    def freeze(self) -> Summary:
        ordered = sorted(self.hist.items())
        self.bins = array("q", (b for b, _ in ordered))
        self.cum = array("q", itertools.accumulate(c for _, c in ordered))
        self.hist = Counter()
        return self

    def count_le(self, b: int) -> int:
        """How many values fell in bins <= b (frozen summaries only)."""
        assert self.bins is not None and self.cum is not None
        i = bisect_right(self.bins, b)
        return self.cum[i - 1] if i else 0


def combine(unit: str, parts: list[Summary]) -> FieldStats:
    """Exact count, min, max and avg; p95 found by bisecting over the bins of every (frozen) part."""
    parts = [p for p in parts if p.count]
    if not parts:
        return FieldStats(0, None, None, None, None)
    count = sum(p.count for p in parts)
    lo = float(min(p.min for p in parts if p.min is not None))
    hi = float(max(p.max for p in parts if p.max is not None))
    avg = math.fsum(p.total for p in parts) / count
    idx = nearest_rank_index(count, 95)
    p95 = None
    if idx is not None:
        left = min(p.bins[0] for p in parts)  # type: ignore[index]
        right = max(p.bins[-1] for p in parts)  # type: ignore[index]
        while left < right:  # the smallest bin b holding more than idx values at or below it
            mid = (left + right) // 2
            if sum(p.count_le(mid) for p in parts) > idx:
                right = mid
            else:
                left = mid + 1
        p95 = min(max(_unbin(unit, left), lo), hi)  # never outside what was observed
    return FieldStats(count, lo, hi, avg, p95)


@dataclass(frozen=True)
class StatsResult:
    stats: dict[str, FieldStats]
    exact: bool
    p95_error: dict[str, float] | None  # per field, absolute (percent) or relative (bytes) bound


class StatsService:
    def __init__(self, store: TimeSeriesStore, exact_seconds: int = 24 * HOUR, max_hours: int = 168 * 64,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.exact_seconds = exact_seconds
        self.max_hours = max_hours
        self.clock = clock
        self._hours: OrderedDict[tuple[str, int], dict[str, Summary]] = OrderedDict()
        self._lock = threading.Lock()
        # Clients whose long-range stats someone asked for, and when: ``refresh`` keeps their hours warm.
        self._interest: dict[str, tuple[float, int]] = {}

    def stats(self, client_id: str, start: int, end: int, fields: Sequence[str]) -> StatsResult:
        if end - start <= self.exact_seconds:
            return StatsResult(self.store.stats(client_id, start, end, fields), True, None)
        self._interest[client_id] = (self.clock(), end - start)
        first_hour = -(-start // HOUR) * HOUR
        # Only hours that ended a while ago are cached: the current one still receives samples.
        closed_until = min(end, int(self.clock()) - 120) // HOUR * HOUR
        parts: dict[str, list[Summary]] = {f: [] for f in fields}
        for f, s in self._raw(client_id, start, min(first_hour, end), fields).items():
            parts[f].append(s)
        missing: list[int] = []
        hour = first_hour
        while hour + HOUR <= closed_until:
            cached = self._get(client_id, hour)
            if cached is None:
                missing.append(hour)
            else:
                for f in fields:
                    if f in cached:
                        parts[f].append(cached[f])
            hour += HOUR
        for run_start, run_end in _runs(missing):
            for h, summaries in self._fetch_hours(client_id, run_start, run_end).items():
                self._put(client_id, h, summaries)
                for f in fields:
                    if f in summaries:
                        parts[f].append(summaries[f])
        if hour < end:
            for f, s in self._raw(client_id, max(hour, start), end, fields).items():
                parts[f].append(s)
        errors = {f: P95_ERROR.get(UNIT.get(f, "percent"), 0.05) for f in fields}
        return StatsResult({f: combine(UNIT.get(f, "percent"), p) for f, p in parts.items()}, False, errors)

    def refresh(self, keep_for: float = 86400.0) -> int:
        """Summarise newly closed hours for clients asked about in the last ``keep_for`` seconds, so their next
        long-range question stays warm (run it in the background every minute or so). Returns hours added."""
        now = self.clock()
        closed_until = (int(now) - 120) // HOUR * HOUR
        added = 0
        for client_id, (asked, span) in list(self._interest.items()):
            if now - asked > keep_for:
                self._interest.pop(client_id, None)
                continue
            first = (closed_until - span) // HOUR * HOUR
            missing = [h for h in range(first, closed_until, HOUR) if self._get(client_id, h) is None]
            for run_start, run_end in _runs(missing):
                for h, summaries in self._fetch_hours(client_id, run_start, run_end).items():
                    self._put(client_id, h, summaries)
                    added += 1
        return added

    def invalidate(self, client_id: str, timestamps: Iterable[int]) -> None:
        """Forget cached hours that a write just changed (late samples of a closed hour)."""
        hours = {ts // HOUR * HOUR for ts in timestamps}
        with self._lock:
            for h in hours:
                self._hours.pop((client_id, h), None)

    def forget_client(self, client_id: str) -> None:
        self._interest.pop(client_id, None)
        with self._lock:
            for key in [k for k in self._hours if k[0] == client_id]:
                del self._hours[key]

    def _get(self, client_id: str, hour: int) -> dict[str, Summary] | None:
        with self._lock:
            found = self._hours.get((client_id, hour))
            if found is not None:
                self._hours.move_to_end((client_id, hour))
            return found

    def _put(self, client_id: str, hour: int, summaries: dict[str, Summary]) -> None:
        with self._lock:
            self._hours[(client_id, hour)] = summaries
            while len(self._hours) > self.max_hours:
                self._hours.popitem(last=False)

    def _raw(self, client_id: str, start: int, end: int, fields: Sequence[str]) -> dict[str, Summary]:
        out = {f: Summary(UNIT.get(f, "percent")) for f in fields}
        if end <= start:
            return out
        series = self.store.series(client_id, start, end, None, "system", list(fields)).get("")
        if series is not None:
            for f in fields:
                out[f].add(series.values.get(f, ()))
        return {f: summary.freeze() for f, summary in out.items()}

    def _fetch_hours(self, client_id: str, start: int, end: int) -> dict[int, dict[str, Summary]]:
        """Summaries of every field for each hour in [start, end), from one raw read."""
        names = [m.name for m in SYSTEM_METRICS]
        out = {h: {f: Summary(UNIT[f]) for f in names} for h in range(start, end, HOUR)}
        series = self.store.series(client_id, start, end, None, "system", names).get("")
        if series is None:
            return {h: {f: summary.freeze() for f, summary in hour.items()} for h, hour in out.items()}
        times = series.time
        i, n = 0, len(times)
        for h in range(start, end, HOUR):
            j = i
            while j < n and times[j] < h + HOUR:
                j += 1
            for f in names:
                out[h][f].add(series.values[f][i:j])
                out[h][f].freeze()
            i = j
        return out


def _runs(hours: list[int]) -> list[tuple[int, int]]:
    """Consecutive hours as [start, end) runs, so a cold cache costs one read per run."""
    runs: list[tuple[int, int]] = []
    for h in hours:
        if runs and runs[-1][1] == h:
            runs[-1] = (runs[-1][0], h + HOUR)
        else:
            runs.append((h, h + HOUR))
    return runs
