"""Reading history over any range: the coarsest tier that answers, raw samples for the edges.

Stats (``HistoryStats``): up to ``exact_seconds`` (24 h) the store computes count/min/max/avg/p95 over the raw
samples itself: exact. A longer range is cut into whole days already built (the day tier), whole hours built (the
hour tier) at either side of them, whole minutes built (the minute tier) at either side of those, and the seconds at
the very edges (raw samples): two years are about 730 day rows a series, not 17,520 hour rows (whose sketches Python
would merge one by one). count, min, max and sum of each piece come from the database (SUM of counts, MIN of mins,
MAX of maxes, SUM of sums), so they, and avg, are exact; p95 merges the pieces' sketches and is within ``p95_error``
of the exact nearest-rank p95. A tier is used only up to where the downsampler has built it (its progress), so a
range never misses the last minutes: what is not built yet is read raw.

Series (``read_series``): a chart's step of whole hours reads the hour tier, of whole minutes the minute tier,
up to where each is built; the rest (and finer steps) read raw. The answer says which resolution it used.
``read_aggregate`` is the same choice for one aggregation per step (mean, max, min or p95: Grafana's series).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from statusmon.store.base import FieldStats, Series, TimeSeriesStore, Value
from statusmon.store.percentile import nearest_rank_index, percentile
from statusmon.store.sketch import Sketch, max_error
from statusmon.store.tiers import (
    DAY,
    HOUR,
    MINUTE,
    ROLLUP_FIELDS,
    UNITS,
    StepSummaries,
    Tier,
    TierRow,
    buckets_from_raw,
    merge_rows,
)

EXACT_SECONDS = 24 * 3600
Progress = Callable[[], Mapping[str, int]]  # tier name -> built until (unix seconds); missing: not built


@dataclass(frozen=True)
class StatsResult:
    stats: dict[str, FieldStats]
    exact: bool
    p95_error: dict[str, float] | None  # per field: absolute (percent, pp) or relative (others) bound
    seconds_by_source: dict[str, int] = field(default_factory=dict)  # raw/minute/hour -> seconds they covered


@dataclass
class _Acc:
    unit: str
    count: int = 0
    total: float = 0.0
    lo: float | None = None
    hi: float | None = None
    sketch: Sketch | None = None

    def add(self, count: int, total: float, lo: float | None, hi: float | None, sketch: Sketch | None) -> None:
        if not count:
            return
        self.count += count
        self.total += total
        self.lo = lo if self.lo is None or (lo is not None and lo < self.lo) else self.lo
        self.hi = hi if self.hi is None or (hi is not None and hi > self.hi) else self.hi
        if sketch is not None:
            if self.sketch is None:
                self.sketch = Sketch(sketch.mapping, dict(sketch.bins))
            else:
                self.sketch.merge(sketch)

    def result(self) -> FieldStats:
        if not self.count:
            return FieldStats(0, None, None, None, None)
        p95 = sketch_p95(self.count, self.sketch, self.lo, self.hi)
        return FieldStats(self.count, self.lo, self.hi, self.total / self.count, p95)


def sketch_p95(count: int, sketch: Sketch | None, lo: float | None, hi: float | None) -> float | None:
    """The nearest-rank p95 of ``count`` values from their merged sketch, never outside what was observed."""
    idx = nearest_rank_index(count, 95)
    if idx is None or sketch is None or lo is None or hi is None:
        return None
    v = sketch.at_rank(idx)
    return None if v is None else min(max(v, lo), hi)


def plan(start: int, end: int, built: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """[start, end) as (source, from, to) pieces: whole built days, whole built hours, whole built minutes, raw
    seconds (each finer tier only at the edges of the coarser one)."""
    pieces: list[tuple[str, int, int]] = []

    def split(tier: Tier, finer: Callable[[int, int], None], a: int, b: int) -> None:
        w = tier.seconds
        first = -(-a // w) * w
        last = min(b // w * w, built.get(tier.name, first) // w * w)
        if last <= first:
            finer(a, b)
            return
        finer(a, first)
        pieces.append((tier.name, first, last))
        finer(last, b)

    def raw(a: int, b: int) -> None:
        if b > a:
            pieces.append(("raw", a, b))

    def minutes(a: int, b: int) -> None:
        if b > a:
            split(MINUTE, raw, a, b)

    def hours(a: int, b: int) -> None:
        if b > a:
            split(HOUR, minutes, a, b)

    split(DAY, hours, start, end)
    return pieces


class HistoryStats:
    def __init__(self, store: TimeSeriesStore, progress: Progress, exact_seconds: int = EXACT_SECONDS):
        self.store = store
        self.progress = progress
        self.exact_seconds = exact_seconds

    def stats(self, client_id: str, start: int, end: int, fields: Sequence[str]) -> StatsResult:
        if end - start <= self.exact_seconds:
            return StatsResult(self.store.stats(client_id, start, end, fields), True, None,
                               {"raw": end - start})
        tiered = [f for f in fields if f in ROLLUP_FIELDS["system"]]
        if not tiered:
            return StatsResult(self.store.stats(client_id, start, end, fields), True, None,
                               {"raw": end - start})
        # A field without tiers (not flagged ``rollup`` in the catalogue): its raw samples are all there is, read
        # exactly; the others still read the tiers (asking for every field must not drop them to a week of raw).
        asked, untiered = list(fields), [f for f in fields if f not in tiered]
        exact = self.store.stats(client_id, start, end, untiered) if untiered else {}
        fields = tiered
        units = {f: UNITS[("system", f)] for f in fields}
        acc = {f: _Acc(units[f]) for f in fields}
        covered: dict[str, int] = {}
        for source, a, b in plan(start, end, self.progress()):
            covered[source] = covered.get(source, 0) + b - a
            if source == "raw":
                self._raw(client_id, a, b, fields, acc)
                continue
            summaries = getattr(self.store.tiers, "summaries", None)
            if summaries is not None:  # InfluxDB: both from one query
                aggs, sketches = summaries(source, client_id, "system", fields, a, b)
            else:
                aggs = self.store.tiers.aggregate(source, client_id, "system", fields, a, b)
                sketches = self.store.tiers.sketches(source, client_id, "system", fields, a, b)
            for f in fields:
                agg = aggs.get(("", f))
                if agg is not None:
                    acc[f].add(agg.count, agg.sum, agg.min, agg.max, sketches.get(("", f)))
        errors = {f: max_error(units[f]) for f in fields} | {f: 0.0 for f in untiered}
        stats = {f: a.result() for f, a in acc.items()} | exact
        return StatsResult({f: stats[f] for f in asked}, False, errors, covered)

    def _raw(self, client_id: str, a: int, b: int, fields: Sequence[str], acc: dict[str, _Acc]) -> None:
        s = self.store.series(client_id, a, b, None, "system", list(fields)).get("")
        if s is None:
            return
        for f in fields:
            vals = [float(v) for v in s.values.get(f, ()) if v is not None]
            if vals:
                sk = Sketch.for_unit(acc[f].unit)
                sk.add(vals)
                acc[f].add(len(vals), math.fsum(vals), min(vals), max(vals), sk)


def tier_split(built: Mapping[str, int], start: int, end: int, step: int | None, family: str,
               fields: Sequence[str]) -> tuple[Tier, int] | None:
    """The tier a chart at ``step`` reads and where its built buckets end (the rest is read from the finer tiers
    and raw); None: all raw. The coarsest built tier whose buckets the step is made of and that holds a whole step
    of the range: a year's chart at day steps reads 365 day rows a metric, not 8,760 hour rows grouped by the
    database. Every chart surface (GET /api/metrics, Grafana's /query and /rows) reads through this one choice."""
    tiered = [f for f in fields if f in ROLLUP_FIELDS.get(family, ())]
    if step is None or len(tiered) < len(fields):
        return None
    for tier in (DAY, HOUR, MINUTE):
        if step % tier.seconds or tier.name not in built:
            continue
        # Tier buckets up to the last whole step of the range: a step cut by the range's end is read from the
        # finer tiers and raw seconds (``_last_step``), so it never counts samples after ``end`` (the first step
        # does hold whole buckets: its start is the step's).
        split = min(end // step * step, built[tier.name] // step * step)
        if split > start // step * step:
            return tier, split
    return None


def _finer(built: Mapping[str, int], tier: Tier) -> dict[str, int]:
    """``built`` without ``tier``: what reads the part of a range after ``tier`` ends (the next finer tier)."""
    return {name: until for name, until in built.items() if name != tier.name}


def read_series(store: TimeSeriesStore, built: Mapping[str, int], client_id: str, start: int, end: int,
                step: int | None, family: str, fields: Sequence[str]) -> tuple[dict[str, Series], str]:
    """A chart's series and the resolution it shows ("raw", "minute", "hour", "day"; "raw" at a step is raw
    samples bucketed by the database). Tier buckets up to where the tier is built; after it, a last step cut by
    the range's end from the finer tiers and raw seconds, or more steps from the next finer tier (days are built
    a while after midnight, so their last whole day comes from hours), and raw samples last."""
    cut = tier_split(built, start, end, step, family, fields)
    if cut is None or step is None:
        return store.series(client_id, start, end, step, family, list(fields)), "raw"
    tier, split = cut
    old = store.tiers.buckets(tier.name, client_id, family, fields, start // step * step, split, step)
    new: dict[str, Series] = {}
    if split < end <= split + step:
        new = _last_step(store, built, client_id, split, end, step, family, fields)
    elif split < end:
        new, _ = read_series(store, _finer(built, tier), client_id, split, end, step, family, fields)
    return {key: _concat(old.get(key), new.get(key), fields, step) for key in {*old, *new}}, tier.name


def _last_step(store: TimeSeriesStore, built: Mapping[str, int], client_id: str, a: int, b: int, step: int,
               family: str, fields: Sequence[str]) -> dict[str, Series]:
    """The one step [a, b) after the chart's tier ends, from the finer tiers and raw seconds at its very end (as
    stats read a range): a day's step read raw would be 86,400 samples a metric, the slowest part of a chart."""
    acc: dict[tuple[str, str], list[float]] = {}  # (key, field) -> [count, sum, max]

    def add(key: str, f: str, count: float, total: float, top: float | None) -> None:
        have = acc.setdefault((key, f), [0, 0.0, -math.inf])
        have[0] += count
        have[1] += total
        if top is not None and top > have[2]:
            have[2] = top

    for source, x, y in plan(a, b, built):
        if source == "raw":
            for key, s in store.series(client_id, x, y, None, family, list(fields)).items():
                for f in fields:
                    vals = [float(v) for v in s.values.get(f, ()) if v is not None]
                    if vals:
                        add(key, f, len(vals), math.fsum(vals), max(vals))
        else:
            for (key, f), agg in store.tiers.aggregate(source, client_id, family, fields, x, y).items():
                if agg.count:
                    add(key, f, agg.count, agg.sum, agg.max)
    out: dict[str, Series] = {}
    for key in sorted({k for k, _ in acc}):
        cells = {f: acc.get((key, f)) for f in fields}
        out[key] = Series(step=step, time=[a],
                          values={f: [c[1] / c[0] if c else None] for f, c in cells.items()},
                          maxima={f: [c[2] if c else None] for f, c in cells.items()})
    return out


def _concat(a: Series | None, b: Series | None, fields: Sequence[str], step: int) -> Series:
    out = Series(step=step, values={f: [] for f in fields}, maxima={f: [] for f in fields})
    assert out.maxima is not None
    for part in (a, b):
        if part is None:
            continue
        out.time += part.time
        for f in fields:
            out.values[f] += part.values.get(f, [None] * len(part.time))
            col: list[Value] = (part.maxima or {}).get(f) or [None] * len(part.time)
            out.maxima[f] += col
    return out



CHART_AGGREGATIONS = ("mean", "max", "min", "p95")


def read_aggregate(store: TimeSeriesStore, built: Mapping[str, int], client_id: str, start: int, end: int,
                   step: int | None, family: str, fields: Sequence[str], agg: str) -> tuple[dict[str, Series], str]:
    """A chart of one aggregation per step (``values`` holds it) and the resolution it shows, for any range.

    The same tier choice as ``read_series`` (``tier_split``): where the step is made of a built tier's buckets,
    mean and max are read_series' own columns, min is MIN of the buckets' mins (computed by the database) and
    p95 the nearest rank of the buckets' merged sketches (within ``sketch.max_error``); the step after the tier
    ends merges the finer tiers and raw seconds, as stats do; everything else is raw samples (exact min and
    nearest-rank p95). Raw points (``step`` None) are each their own aggregation.
    """
    if agg not in CHART_AGGREGATIONS:
        raise ValueError(f"unknown aggregation {agg!r}")
    if agg in ("mean", "max") or step is None:
        found, resolution = read_series(store, built, client_id, start, end, step, family, fields)
        if agg == "max" and step is not None:
            found = {k: Series(step=s.step, time=s.time, values=dict(s.maxima or {}), maxima=s.maxima)
                     for k, s in found.items()}
        return found, resolution
    cut = tier_split(built, start, end, step, family, fields)
    if cut is None:
        return _raw_steps(store, client_id, start, end, step, family, fields, agg), "raw"
    tier, split = cut
    first = start // step * step
    old: dict[str, Series]
    if agg == "min":
        old = {k: Series(step=step, time=s.time, values=dict(s.minima or {}))
               for k, s in store.tiers.buckets(tier.name, client_id, family, fields, first, split, step).items()}
    else:
        old = _summary_steps(store.tiers.step_summaries(tier.name, client_id, family, fields, first, split, step),
                             step, fields, agg)
    new: dict[str, Series] = {}
    if split < end <= split + step:
        rows: list[TierRow] = []
        for source, x, y in plan(split, end, built):
            if source == "raw":
                raw = store.series(client_id, x, y, None, family, list(fields))
                rows += buckets_from_raw(family, {(client_id, k): s for k, s in raw.items()}, step)
            else:
                rows += store.tiers.rows(source, family, x, y, [client_id], fields)
        new = _summary_steps({(r.key, r.metric, r.ts): (r.count, r.min, r.max, r.sketch)
                              for r in merge_rows((r for r in rows if r.metric in fields), step)}, step, fields,
                             agg)
    elif split < end:
        new, _ = read_aggregate(store, _finer(built, tier), client_id, split, end, step, family, fields, agg)
    return {key: _concat(old.get(key), new.get(key), fields, step) for key in {*old, *new}}, tier.name


def _summary_steps(steps: StepSummaries, step: int, fields: Sequence[str], agg: str) -> dict[str, Series]:
    """min or p95 per ``step`` from the steps' merged buckets (count, min, max, sketch)."""
    cells: dict[str, dict[int, dict[str, Value]]] = {}
    for (key, metric, ts), (count, lo, hi, sketch) in steps.items():
        v = lo if agg == "min" else sketch_p95(count, sketch, lo, hi)
        cells.setdefault(key, {}).setdefault(ts, {})[metric] = v
    out: dict[str, Series] = {}
    for key, by_time in cells.items():
        times = sorted(by_time)
        out[key] = Series(step=step, time=times, values={f: [by_time[t].get(f) for t in times] for f in fields})
    return out


def _raw_steps(store: TimeSeriesStore, client_id: str, start: int, end: int, step: int, family: str,
               fields: Sequence[str], agg: str) -> dict[str, Series]:
    """Exact min or nearest-rank p95 per ``step`` of the raw samples (steps aligned to multiples of ``step``)."""
    out: dict[str, Series] = {}
    for key, s in store.series(client_id, start, end, None, family, list(fields)).items():
        steps: dict[int, dict[str, list[float]]] = {}
        for f in fields:
            for t, v in zip(s.time, s.values.get(f) or [None] * len(s.time), strict=True):
                if v is not None:
                    steps.setdefault(t // step * step, {}).setdefault(f, []).append(v)
        times = sorted(steps)
        cols: dict[str, list[Value]] = {f: [] for f in fields}
        for t in times:
            for f in fields:
                vals = steps[t].get(f)
                cols[f].append(None if not vals else min(vals) if agg == "min" else percentile(vals, 95))
        out[key] = Series(step=step, time=times, values=cols)
    return out
