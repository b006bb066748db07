"""Which p95 sketch is smaller for percentages: fixed-width 1-point bins or DDSketch's 1 % logarithmic bins.

Both are statusmon/store/sketch.py's encodings (the log mapping is DDSketch's), built from the same synthetic
series per minute (60 values) and per hour (3,600): busy CPU (noise around a level that drifts), idle CPU
(mostly under 2 % with spikes), RAM (slow drift) and a constant disk percentage. Prints the median and p95
encoded size of each and the worst p95 error each made against the exact nearest-rank p95.

    .venv/bin/python -m bench.sketch
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable

from bench.common import machine, pct, table, write_json
from statusmon.store.percentile import percentile
from statusmon.store.sketch import LINEAR, LOG, Sketch

SERIES: dict[str, Callable[[random.Random, int], float]] = {
    "busy cpu": lambda r, i: min(100.0, max(0.0, 55 + 25 * math.sin(i / 900) + r.gauss(0, 12))),
    "idle cpu": lambda r, i: 100.0 if r.random() < 0.002 else round(abs(r.gauss(0.5, 0.6)), 2),
    "ram": lambda r, i: 40 + 10 * math.sin(i / 7200) + r.gauss(0, 0.2),
    "disk": lambda r, i: 71.3,
}


def main() -> None:
    rng = random.Random(5)
    rows = []
    out: dict[str, object] = {"machine": machine(), "results": []}
    for name, gen in SERIES.items():
        for width in (60, 3600):
            sizes: dict[int, list[int]] = {LINEAR: [], LOG: []}
            worst: dict[int, float] = {LINEAR: 0.0, LOG: 0.0}
            for b in range(200 if width == 60 else 24):
                values = [gen(rng, b * width + i) for i in range(width)]
                exact = percentile(values, 95)
                assert exact is not None
                for mapping in (LINEAR, LOG):
                    s = Sketch(mapping)
                    s.add(values)
                    sizes[mapping].append(len(s.encode()))
                    idx = int(len(values) * 0.95 + 0.5) - 1
                    got = min(max(s.at_rank(idx) or 0.0, min(values)), max(values))
                    worst[mapping] = max(worst[mapping], abs(got - exact))
            row = [name, f"{width} s", statistics.median(sizes[LINEAR]), pct(sizes[LINEAR], 95), worst[LINEAR],
                   statistics.median(sizes[LOG]), pct(sizes[LOG], 95), worst[LOG],
                   statistics.median(sizes[LOG]) / max(1, statistics.median(sizes[LINEAR]))]
            rows.append(row)
            out["results"].append(dict(zip(HEADERS, row, strict=True)))  # type: ignore[attr-defined]
    print(table(HEADERS, rows))
    print(f"wrote {write_json('sketch', out)}")


HEADERS = ["series", "bucket", "fixed 1pp median B", "fixed p95 B", "fixed worst err pp", "log 1% median B",
           "log p95 B", "log worst err pp", "log / fixed (median)"]

if __name__ == "__main__":
    main()
