"""The rollup tiers: which series they keep, what a bucket holds, and how buckets are built and merged.

Two tiers beside the raw samples: ``minute`` (60 s buckets, 90 days by default) and ``hour`` (3600 s buckets,
2 years). A bucket holds, per series (client, family, mount or GPU, metric): count, sum, min, max, last (the
value of the latest sample) and a sketch (statusmon.store.sketch) for p95. Minutes are built from raw
samples, hours by merging minutes: counts and sums add, min of mins, max of maxes, sketches merge.

Which metrics have tiers is the catalogue's ``rollup`` flag (statusmon.metrics): a new metric flagged there
gets its tier rows with no change here, since a tier row names its metric rather than having a column per
metric. Pure functions only; the stores read and write the rows, the downsampler drives them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from statusmon.metrics import ALL_METRICS, FAMILY_FIELDS
from statusmon.store.base import Series
from statusmon.store.sketch import Sketch, mapping_for


@dataclass(frozen=True)
class Tier:
    name: str
    seconds: int  # bucket width
    default_days: int  # retention unless configured otherwise


MINUTE = Tier("minute", 60, 90)
HOUR = Tier("hour", 3600, 730)
TIERS: tuple[Tier, ...] = (MINUTE, HOUR)
# Whole days merged from the hour tier, kept as long as the hours (no retention setting of its own): long-range
# stats read 730 day rows a series for two years instead of 17,520 hour rows, whose sketches Python must merge.
DAY = Tier("day", 86400, HOUR.default_days)
BY_NAME: dict[str, Tier] = {t.name: t for t in (*TIERS, DAY)}

# family -> the metrics rolled up, in catalogue order; and each one's unit (which picks its sketch mapping).
ROLLUP_FIELDS: dict[str, tuple[str, ...]] = {
    family: tuple(m.name for m in ALL_METRICS if m.family == family and m.rollup) for family in FAMILY_FIELDS}
UNITS: dict[tuple[str, str], str] = {(m.family, m.name): m.unit for m in ALL_METRICS}


@dataclass
class TierRow:
    """One bucket of one series. ``ts`` is the bucket's start; ``key`` the mount or GPU index ("" for system)."""

    client_id: str
    family: str
    key: str
    metric: str
    ts: int
    count: int
    sum: float
    min: float
    max: float
    last: float
    sketch: Sketch

    @property
    def series(self) -> tuple[str, str, str, str]:
        return (self.client_id, self.family, self.key, self.metric)


def buckets_from_raw(family: str, raw: Mapping[tuple[str, str], Series], width: int) -> list[TierRow]:
    """Rows of ``width``-second buckets from raw points keyed (client_id, key), as store.points returns them."""
    rows: list[TierRow] = []
    for (client_id, key), s in raw.items():
        order = _time_order(s.time)
        times = s.time if order is None else [s.time[i] for i in order]
        spans = _spans(times, width)  # once a series, for all its metrics
        for metric in ROLLUP_FIELDS[family]:
            col = s.values.get(metric)
            if col is None:
                continue
            if order is not None:
                col = [col[i] for i in order]
            mapping = mapping_for(UNITS[(family, metric)])
            for b, i, j in spans:
                vals = [float(v) for v in col[i:j] if v is not None]
                if vals:
                    sk = Sketch(mapping)
                    sk.add(vals)
                    rows.append(TierRow(client_id, family, key, metric, b, len(vals), math.fsum(vals),
                                        min(vals), max(vals), vals[-1], sk))
    return rows


def _time_order(times: Sequence[int]) -> list[int] | None:
    """None when ``times`` ascend (what the stores return), else the indexes that sort them."""
    ordered = sorted(times)  # C, and linear on a run already in order
    if ordered == times:
        return None
    return sorted(range(len(times)), key=times.__getitem__)


def _spans(times: Sequence[int], width: int) -> list[tuple[int, int, int]]:
    """(bucket start, first index, end index) of each ``width``-second bucket the ascending ``times`` touch."""
    spans: list[tuple[int, int, int]] = []
    i, n = 0, len(times)
    while i < n:
        b = times[i] // width * width
        j = bisect.bisect_left(times, b + width, i, n)
        spans.append((b, i, j))
        i = j
    return spans


def merge_rows(rows: Iterable[TierRow], width: int) -> list[TierRow]:
    """Finer rows merged into ``width``-second buckets (minutes into hours); ``last`` from the latest row."""
    out: dict[tuple[str, str, str, str, int], TierRow] = {}
    latest: dict[tuple[str, str, str, str, int], int] = {}
    for r in rows:
        b = r.ts // width * width
        k = (*r.series, b)
        have = out.get(k)
        if have is None:
            out[k] = TierRow(r.client_id, r.family, r.key, r.metric, b, r.count, r.sum, r.min, r.max, r.last,
                             Sketch(r.sketch.mapping, dict(r.sketch.bins)))
            latest[k] = r.ts
            continue
        have.count += r.count
        have.sum += r.sum
        have.min = min(have.min, r.min)
        have.max = max(have.max, r.max)
        if r.ts > latest[k]:
            have.last, latest[k] = r.last, r.ts
        have.sketch.merge(r.sketch)
    return list(out.values())


# (key, metric, step start) -> count, min, max and merged sketch of the buckets in that step
StepSummaries = dict[tuple[str, str, int], tuple[int, float, float, Sketch]]


def merge_encoded_steps(rows: Iterable[tuple[str, str, int, int, float, float, bytes]], step: int) -> StepSummaries:
    """Buckets (key, metric, ts, count, min, max, encoded sketch) merged per ``step``: counts add, min of mins, max
    of maxes, sketches merged from their encoding (no sketch built per bucket: a month of minutes is 43,200)."""
    acc: dict[tuple[str, str, int], list[Any]] = {}
    for key, metric, ts, count, lo, hi, data in rows:
        k = (str(key), str(metric), int(ts) // step * step)
        have = acc.get(k)
        if have is None:
            acc[k] = [int(count), float(lo), float(hi), Sketch.decode(data)]
        else:
            have[0] += int(count)
            have[1] = min(have[1], float(lo))
            have[2] = max(have[2], float(hi))
            have[3].merge_encoded(data)
    return {k: (c, lo, hi, sk) for k, (c, lo, hi, sk) in acc.items()}


def tier_fields(family: str, fields: Sequence[str] | None) -> list[str]:
    """The asked-for fields that have tiers (all of the family's when none are asked for)."""
    have = ROLLUP_FIELDS[family]
    return [f for f in (fields or have) if f in have]


@dataclass(frozen=True)
class Aggregate:
    """count, sum, min and max of one series over many buckets, as the database computed them."""

    count: int
    sum: float
    min: float | None
    max: float | None


class TierStore(Protocol):
    """The tier tables (SQLite) or retention policies (InfluxDB) of one store. Times as in base.py. A store may
    also offer ``summaries`` (``aggregate`` and ``sketches`` from one query; InfluxDB does), which
    statusmon.store.history prefers."""

    def write(self, tier: str, rows: Sequence[TierRow]) -> None:
        """Write buckets; a bucket written again replaces the old row (so rebuilding one changes nothing)."""

    def rows(self, tier: str, family: str, start: int, end: int, client_ids: Sequence[str] | None = None,
             metrics: Sequence[str] | None = None) -> list[TierRow]:
        """Every bucket of ``family`` starting in [start, end) (of ``client_ids`` and ``metrics`` only, when
        given)."""

    def aggregate(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                  end: int) -> dict[tuple[str, str], Aggregate]:
        """Per (key, metric): SUM of counts, SUM of sums, MIN of mins, MAX of maxes, computed by the database."""

    def sketches(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                 end: int) -> dict[tuple[str, str], Sketch]:
        """Per (key, metric): the buckets' sketches merged."""

    def step_summaries(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                       end: int, step: int) -> StepSummaries:
        """Per (key, metric, step): count, min, max and the buckets' sketches merged (``merge_encoded_steps``)."""

    def buckets(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int, end: int,
                step: int) -> dict[str, Series]:
        """Chart series from the tier: per ``step`` (a multiple of the tier's width) mean (sum/count), max (max of
        maxes) and, as ``minima``, min (min of mins), all computed by the database."""

    def delete_client(self, client_id: str) -> None:
        """Remove the client's buckets from every tier."""

    def prune(self, tier: str, older_than: int) -> int:
        """Delete buckets older than ``older_than`` (InfluxDB: the tier's retention policy does it: 0)."""
