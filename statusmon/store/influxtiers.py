"""The rollup tiers on InfluxDB: one retention policy per tier, written by our downsampler (no continuous queries).

On 1.x the store creates the retention policies ``minute`` and ``hour`` beside the raw one (``ensure_database``).
Each tier holds the raw measurements' names (``system``, ``disk``, ``gpu``) with tags ``client_id``, ``metric``
and, for disk and gpu, ``mount`` or ``gpu``; fields ``count`` (integer), ``sum``, ``min``, ``max``, ``last``
(floats) and ``sketch`` (base64 text, statusmon/store/sketch.py). A bucket's timestamp is its start, so writing
a bucket again overwrites it. On 2.x and 3.x the same writes go through the v1 API with ``rp=minute`` /
``rp=hour``, which the operator maps to a bucket (2.x: a DBRP mapping) or database per tier (README).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from statusmon.metrics import FAMILY_KEY
from statusmon.store import lineprotocol as lp
from statusmon.store.sketch import Sketch, merge_into
from statusmon.store.sqlitetiers import pivot
from statusmon.store.tiers import (
    BY_NAME,
    DAY,
    HOUR,
    ROLLUP_FIELDS,
    Aggregate,
    StepSummaries,
    TierRow,
    merge_encoded_steps,
)

if TYPE_CHECKING:
    from statusmon.store.base import Series
    from statusmon.store.influx import InfluxStore

FIELDS = ("count", "sum", "min", "max", "last", "sketch")
DAY_SUFFIX = "_day"  # the day tier: measurements system_day, disk_day, gpu_day in the hour policy


def place(tier: str, family: str) -> tuple[str, str]:
    """(retention policy, measurement) of a tier's rows of ``family``: days live in the hour policy (and so
    follow its retention) under their own measurement, so queries over the hour measurements never see them."""
    if tier not in BY_NAME:
        raise ValueError(f"unknown tier {tier!r}")
    if tier == DAY.name:
        return HOUR.name, family + DAY_SUFFIX
    return tier, family


class InfluxTiers:
    def __init__(self, store: InfluxStore):
        self.store = store

    def _from(self, tier: str, family: str) -> str:
        from statusmon.store.influx import quote_ident

        if family not in ROLLUP_FIELDS:
            raise ValueError(f"unknown family {family!r}")
        rp, measurement = place(tier, family)
        return f"{quote_ident(self.store.db)}.{quote_ident(rp)}.{quote_ident(measurement)}"

    def write(self, tier: str, rows: Sequence[TierRow]) -> None:
        lines = []
        rp = place(tier, "system")[0]
        for r in rows:
            measurement = place(tier, r.family)[1]
            tags = {"client_id": r.client_id, "metric": r.metric}
            key_tag = FAMILY_KEY[r.family]
            if key_tag:
                tags[key_tag] = r.key
            lines.append(f"{lp.series_key(measurement, tags)} count={int(r.count)}i,sum={lp.format_float(r.sum)},"
                         f"min={lp.format_float(r.min)},max={lp.format_float(r.max)},"
                         f"last={lp.format_float(r.last)},sketch=\"{r.sketch.to_text()}\" {int(r.ts)}")
        self.store.write_lines(lines, rp=rp)

    def rows(self, tier: str, family: str, start: int, end: int, client_ids: Sequence[str] | None = None,
             metrics: Sequence[str] | None = None) -> list[TierRow]:
        from statusmon.store.influx import quote_ident, quote_string

        if (client_ids is not None and not client_ids) or (metrics is not None and not metrics):
            return []
        key_tag = FAMILY_KEY[family]
        tags = ["client_id", "metric"] + ([key_tag] if key_tag else [])
        text = (f"SELECT {', '.join(quote_ident(c) for c in [*FIELDS, *tags])} FROM {self._from(tier, family)} "
                f"WHERE {self.store._where(start, end, client_ids)}")
        if metrics is not None:
            text += " AND (" + " OR ".join(f"{quote_ident('metric')} = {quote_string(m)}" for m in metrics) + ")"
        out: list[TierRow] = []
        for s in self.store._series(self.store.query(text)):
            col = {c: i for i, c in enumerate(s["columns"])}
            for v in s.get("values") or ():
                out.append(TierRow(v[col["client_id"]], family, str(v[col[key_tag]]) if key_tag else "",
                                   v[col["metric"]], int(v[0]), int(v[col["count"]]), float(v[col["sum"]]),
                                   float(v[col["min"]]), float(v[col["max"]]), float(v[col["last"]]),
                                   Sketch.from_text(v[col["sketch"]])))
        return out

    def _select(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int, end: int,
                select: str, group: str = "") -> list[tuple[str, str, dict[str, Any]]]:
        """Run ``SELECT select ... GROUP BY [group,] metric, key``; yield (key, metric, row) per result row."""
        from statusmon.store.influx import quote_ident, quote_string

        metrics = [m for m in metrics if m in ROLLUP_FIELDS[family]]
        if not metrics:
            return []
        key_tag = FAMILY_KEY[family]
        by = [group] if group else []
        by += [quote_ident("metric")] + ([quote_ident(key_tag)] if key_tag else [])
        pick = " OR ".join(f"{quote_ident('metric')} = {quote_string(m)}" for m in metrics)
        text = (f"SELECT {select} FROM {self._from(tier, family)} "
                f"WHERE ({pick}) AND {self.store._where(start, end, [client_id])} GROUP BY {', '.join(by)}")
        if group:
            text += " fill(none)"
        out = []
        for s in self.store._series(self.store.query(text)):
            tags = s.get("tags") or {}
            key = str(tags.get(key_tag, "")) if key_tag else ""
            for v in s.get("values") or ():
                out.append((key, str(tags.get("metric")), dict(zip(s["columns"], v, strict=False))))
        return out

    def aggregate(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                  end: int) -> dict[tuple[str, str], Aggregate]:
        select = 'sum("count") AS "c", sum("sum") AS "s", min("min") AS "lo", max("max") AS "hi"'
        return {(k, m): Aggregate(int(row["c"]), float(row["s"]), _num(row["lo"]), _num(row["hi"]))
                for k, m, row in self._select(tier, client_id, family, metrics, start, end, select)
                if row.get("c")}

    def summaries(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                  end: int) -> tuple[dict[tuple[str, str], Aggregate], dict[tuple[str, str], Sketch]]:
        """``aggregate`` and ``sketches`` from one query (each InfluxDB query over two years of a tier opens every
        shard of it): the buckets' fields read once, counts and sums added here, exactly (math.fsum)."""
        parts: dict[tuple[str, str], tuple[list[int], list[float], list[float], list[float]]] = {}
        out: dict[tuple[str, str], Sketch] = {}
        select = '"count", "sum", "min", "max", "sketch"'
        for k, m, row in self._select(tier, client_id, family, metrics, start, end, select):
            if not row.get("count"):
                continue
            c, s, lo, hi = parts.setdefault((k, m), ([], [], [], []))
            c.append(int(row["count"]))
            s.append(float(row["sum"]))
            lo.append(float(row["min"]))
            hi.append(float(row["max"]))
            merge_into(out, (k, m), base64.b64decode(row["sketch"]))
        aggs = {key: Aggregate(sum(c), math.fsum(s), min(lo), max(hi)) for key, (c, s, lo, hi) in parts.items()}
        return aggs, out

    def sketches(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                 end: int) -> dict[tuple[str, str], Sketch]:
        out: dict[tuple[str, str], Sketch] = {}
        for k, m, row in self._select(tier, client_id, family, metrics, start, end, '"sketch"'):
            merge_into(out, (k, m), base64.b64decode(row["sketch"]))
        return out

    def step_summaries(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                       end: int, step: int) -> StepSummaries:
        select = '"count", "min", "max", "sketch"'
        return merge_encoded_steps(((k, m, int(row["time"]), row["count"], row["min"], row["max"],
                                     base64.b64decode(row["sketch"]))
                                    for k, m, row in self._select(tier, client_id, family, metrics, start, end, select)
                                    if row.get("count")), step)

    def buckets(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int, end: int,
                step: int) -> dict[str, Series]:
        if step == BY_NAME[tier].seconds:
            # One bucket a step: its own fields, no GROUP BY time (InfluxDB spends seconds on 8,760 windows).
            select, group = '"sum" AS "s", "count" AS "c", "max" AS "hi", "min" AS "lo"', ""
        else:
            select = 'sum("sum") AS "s", sum("count") AS "c", max("max") AS "hi", min("min") AS "lo"'
            group = f"time({int(step)}s)"
        rows = [(k, m, int(row["time"]), row["s"] / row["c"], row["hi"], row["lo"])
                for k, m, row in self._select(tier, client_id, family, metrics, start, end, select, group)
                if row.get("c")]
        return pivot(rows, metrics, step)

    def delete_client(self, client_id: str) -> None:
        pass  # InfluxStore.delete_client's DROP SERIES covers every retention policy of the database

    def prune(self, tier: str, older_than: int) -> int:
        return 0  # the tier's retention policy does it


def _num(v: Any) -> float | None:
    return None if v is None else float(v)
