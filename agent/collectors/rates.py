"""Per-second rates from monotonic counters between two readings, the arithmetic every traffic collector shares.

A counter that went back (a reboot, a 32-bit wrap, an interface or container that vanished and came back under
the same name) gives no value for that reading, never a negative rate or a spike; the first reading of a key
gives none either. Keys not seen in a reading are forgotten, so a vanished interface leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rate(prev: float, cur: float, seconds: float) -> float | None:
    """(cur - prev) / seconds, or None when no time passed or the counter went back."""
    if seconds <= 0 or cur < prev:
        return None
    return (cur - prev) / seconds


class CounterRates:
    """Remembers the last counters of each key (an interface, a disk, a container) and turns the next reading
    into rates: ``update(now, {key: (c1, c2, ...)})`` -> ``{key: (r1 | None, r2 | None, ...)}``, for the keys
    that had a previous reading only."""

    def __init__(self) -> None:
        self._prev: dict[str, tuple[float, Sequence[float]]] = {}

    def update(self, now: float, counters: Mapping[str, Sequence[float]]) -> dict[str, tuple[float | None, ...]]:
        out: dict[str, tuple[float | None, ...]] = {}
        prev = self._prev
        for key, values in counters.items():
            before = prev.get(key)
            if before is not None and len(before[1]) == len(values):
                dt = now - before[0]
                out[key] = tuple(rate(p, c, dt) for p, c in zip(before[1], values, strict=True))
        self._prev = {key: (now, values) for key, values in counters.items()}
        return out


def total(rates: Mapping[str, tuple[float | None, ...]], index: int) -> float | None:
    """The sum of column ``index`` over every key; None if any key has no value there (a partial sum would
    read as a drop in traffic) or there are no keys."""
    values = [r[index] for r in rates.values()]
    if not values or any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)
