"""Stats over any range, fast: exact for ranges up to a day, hourly summaries beyond.

Up to ``exact_seconds`` (24 h) the store computes count/min/max/avg/p95 itself (InfluxQL or SQL): exact.
Longer ranges are cut into whole closed hours, whose summaries are cached per process, and the ragged edges,
read raw each time. A summary holds count, sum, min and max (so those stay exact) and a histogram for p95:
percentages in bins of 0.1 percentage point (p95 within 0.05 pp) and byte counts in logarithmic bins of 1 %
(p95 within 0.5 %). Writes into a closed hour (an agent catching up) evict that hour through ``invalidate``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from api.store.base import FieldStats, TimeSeriesStore, Value
from api.store.percentile import nearest_rank_index
from statusmon.metrics import SYSTEM_METRICS

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
    unit: str
    count: int = 0
    total: float = 0.0
    min: float | None = None
    max: float | None = None
    hist: Counter[int] = field(default_factory=Counter)

    def add(self, values: Iterable[Value]) -> None:
        for v in values:
            if v is None:
                continue
            self.count += 1
            self.total += v
            if self.min is None or v < self.min:
                self.min = v
            if self.max is None or v > self.max:
                self.max = v
            self.hist[_bin(self.unit, v)] += 1

    def merge(self, other: Summary) -> None:
        if not other.count:
            return
        self.count += other.count
        self.total += other.total
        self.min = other.min if self.min is None else min(self.min, other.min)  # type: ignore[type-var]
        self.max = other.max if self.max is None else max(self.max, other.max)  # type: ignore[type-var]
        self.hist.update(other.hist)

    def p95(self) -> float | None:
        idx = nearest_rank_index(self.count, 95)
        if idx is None:
            return None
        seen = 0
        for b in sorted(self.hist):
            seen += self.hist[b]
            if seen > idx:
                # Never outside the observed range.
                value = _unbin(self.unit, b)
                return min(max(value, self.min), self.max)  # type: ignore[type-var]
        return self.max

    def stats(self) -> FieldStats:
        if not self.count:
            return FieldStats(0, None, None, None, None)
        return FieldStats(self.count, float(self.min), float(self.max),  # type: ignore[arg-type]
                          self.total / self.count, self.p95())


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

    def stats(self, client_id: str, start: int, end: int, fields: Sequence[str]) -> StatsResult:
        if end - start <= self.exact_seconds:
            return StatsResult(self.store.stats(client_id, start, end, fields), True, None)
        first_hour = -(-start // HOUR) * HOUR
        # Only hours that ended a while ago are cached: the current one still receives samples.
        closed_until = min(end, int(self.clock()) - 120) // HOUR * HOUR
        totals = {f: Summary(UNIT.get(f, "percent")) for f in fields}
        for f, s in self._raw(client_id, start, min(first_hour, end), fields).items():
            totals[f].merge(s)
        missing: list[int] = []
        hour = first_hour
        while hour + HOUR <= closed_until:
            cached = self._get(client_id, hour)
            if cached is None:
                missing.append(hour)
            else:
                for f in fields:
                    if f in cached:
                        totals[f].merge(cached[f])
            hour += HOUR
        for run_start, run_end in _runs(missing):
            for h, summaries in self._fetch_hours(client_id, run_start, run_end).items():
                self._put(client_id, h, summaries)
                for f in fields:
                    if f in summaries:
                        totals[f].merge(summaries[f])
        if hour < end:
            for f, s in self._raw(client_id, max(hour, start), end, fields).items():
                totals[f].merge(s)
        errors = {f: P95_ERROR.get(UNIT.get(f, "percent"), 0.05) for f in fields}
        return StatsResult({f: s.stats() for f, s in totals.items()}, False, errors)

    def invalidate(self, client_id: str, timestamps: Iterable[int]) -> None:
        """Forget cached hours that a write just changed (late samples of a closed hour)."""
        hours = {ts // HOUR * HOUR for ts in timestamps}
        with self._lock:
            for h in hours:
                self._hours.pop((client_id, h), None)

    def forget_client(self, client_id: str) -> None:
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
        return out

    def _fetch_hours(self, client_id: str, start: int, end: int) -> dict[int, dict[str, Summary]]:
        """Summaries of every field for each hour in [start, end), from one raw read."""
        names = [m.name for m in SYSTEM_METRICS]
        out = {h: {f: Summary(UNIT[f]) for f in names} for h in range(start, end, HOUR)}
        series = self.store.series(client_id, start, end, None, "system", names).get("")
        if series is None:
            return out
        times = series.time
        i, n = 0, len(times)
        for h in range(start, end, HOUR):
            j = i
            while j < n and times[j] < h + HOUR:
                j += 1
            for f in names:
                out[h][f].add(series.values[f][i:j])
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
