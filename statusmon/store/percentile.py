"""The one definition of a percentile in Status Monitor: InfluxQL's PERCENTILE (nearest rank).

InfluxQL sorts the values and picks index floor(n * p / 100 + 0.5) - 1; an index outside [0, n) gives null.
Both backends and the history tiers (whose sketches find the bin of this same rank) use this definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank_index(n: int, p: float) -> int | None:
    """0-based index into the sorted values, or None when InfluxQL would return null."""
    idx = int(math.floor(n * p / 100.0 + 0.5)) - 1
    if idx < 0 or idx >= n:
        return None
    return idx


def percentile(values: Sequence[float], p: float = 95.0) -> float | None:
    idx = nearest_rank_index(len(values), p)
    if idx is None:
        return None
    return sorted(values)[idx]
