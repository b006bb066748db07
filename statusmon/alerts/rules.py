"""Alert rules: what one rule watches, and which rules apply to one series of one client.

A rule watches a ``metric_type`` from ``statusmon.metrics.ALERT_METRIC_TYPES``. Per-mount and per-GPU types
watch every mount or GPU of a client unless the rule names one (``mount`` / ``gpu``).

Which rules apply (``RuleSet.for_series``): the most specific level that has any rule for the metric type and
series wins, and all rules of that level apply (a disabled rule there silences the alert):

1. rules for this client and this mount/GPU;
2. rules for this client (any mount/GPU);
3. rules for a label selector the client matches (``role=gpu``), and this mount/GPU;
4. rules for a label selector the client matches (any mount/GPU);
5. rules for all clients and this mount/GPU;
6. rules for all clients (any mount/GPU);
7. the global default from settings (``thresholds``).

A selector rule (``selector``, label key -> value; every pair must match the host's labels, statusmon.labels)
has no client; the RuleSet is given each client's labels to decide which selector rules reach it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from statusmon.labels import matches
from statusmon.metrics import ALERT_METRIC_TYPES

DIRECTIONS = ("above", "below")

# Hysteresis: a firing alert resolves only once the value is clear of the threshold by this fraction of the
# threshold's magnitude (2 %: 95 % CPU resolves at 93.1 % or lower; 85 °C resolves at 83.3 °C or lower).
HYSTERESIS_FRACTION = 0.02


@dataclass(frozen=True)
class Rule:
    """One rule. ``key`` names its states: ``rule:<id>`` for stored rules, ``default:<metric>`` otherwise."""

    key: str
    metric_type: str
    threshold: float
    duration_sec: int
    direction: str = "above"
    enabled: bool = True
    id: int | None = None
    client_id: str | None = None
    mount: str | None = None
    gpu: int | None = None
    channels: tuple[str, ...] | None = None  # where it notifies; None: the global default (alert_channels)
    selector: tuple[tuple[str, str], ...] | None = None  # label pairs a host must carry (sorted); None: none

    @property
    def family(self) -> str:
        return ALERT_METRIC_TYPES[self.metric_type][0]

    @property
    def field(self) -> str:
        return ALERT_METRIC_TYPES[self.metric_type][1]

    @property
    def series_key(self) -> str | None:
        """The mount or GPU index (as stored: a string) this rule is narrowed to, or None for any."""
        if self.mount is not None:
            return self.mount
        if self.gpu is not None:
            return str(self.gpu)
        return None

    @property
    def band(self) -> float:
        return abs(self.threshold) * HYSTERESIS_FRACTION

    def breaches(self, value: float) -> bool:
        """The alert condition: strictly beyond the threshold (a value exactly at it does not breach)."""
        return value > self.threshold if self.direction == "above" else value < self.threshold

    def clears(self, value: float) -> bool:
        """Clear of the threshold by the hysteresis band: what a firing alert needs to resolve."""
        if self.direction == "above":
            return value <= self.threshold - self.band
        return value >= self.threshold + self.band


def default_rules(thresholds: Mapping[str, Mapping[str, Any]]) -> list[Rule]:
    """The global defaults from settings (``GlobalSettings.all()["thresholds"]``) as rules for all clients."""
    out = []
    for metric_type, t in thresholds.items():
        if metric_type not in ALERT_METRIC_TYPES:
            continue
        out.append(Rule(key=f"default:{metric_type}", metric_type=metric_type,
                        threshold=float(t["threshold"]), duration_sec=int(t["duration_sec"]),
                        direction=str(t.get("direction", "above")), enabled=bool(t.get("enabled", True))))
    return out


def rule_from_row(row: Any) -> Rule:
    """A stored rule (a row of ``alert_rules``)."""
    return Rule(key=f"rule:{row['id']}", id=int(row["id"]), client_id=row["client_id"],
                metric_type=row["metric_type"], threshold=float(row["threshold"]),
                duration_sec=int(row["duration_sec"]), direction=row["direction"],
                enabled=bool(row["enabled"]), mount=row["mount"],
                gpu=None if row["gpu"] is None else int(row["gpu"]), channels=_channels(row),
                selector=_selector(row))


def _selector(row: Any) -> tuple[tuple[str, str], ...] | None:
    raw = row["selector"] if "selector" in row.keys() else None
    if raw is None:
        return None
    pairs = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(sorted(pairs.items())) or None


def _channels(row: Any) -> tuple[str, ...] | None:
    raw = row["channels"] if "channels" in row.keys() else None
    if raw is None:
        return None
    return tuple(json.loads(raw) if isinstance(raw, str) else raw)


class RuleSet:
    """Stored rules plus defaults, indexed so that ``for_series`` is a few dict lookups."""

    def __init__(self, stored: Iterable[Rule], defaults: Iterable[Rule],
                 labels: Mapping[str, Mapping[str, str]] | None = None):
        # metric_type -> client_id (None: all clients) -> rules
        self._index: dict[str, dict[str | None, list[Rule]]] = {}
        # metric_type -> the rules with a label selector
        self._selected: dict[str, list[Rule]] = {}
        for r in stored:
            if r.selector:
                self._selected.setdefault(r.metric_type, []).append(r)
            else:
                self._index.setdefault(r.metric_type, {}).setdefault(r.client_id, []).append(r)
        self._labels = labels or {}  # client id -> its labels (what selector rules are matched against)
        self._defaults = {r.metric_type: r for r in defaults}
        self._cache: dict[tuple[str, str, str], tuple[Rule, ...]] = {}

    def metric_types(self) -> set[str]:
        """Metric types that some enabled rule watches."""
        out = {m for m, r in self._defaults.items() if r.enabled}
        for m, by_client in self._index.items():
            if any(r.enabled for rules in by_client.values() for r in rules):
                out.add(m)
        for m, rules in self._selected.items():
            if any(r.enabled for r in rules):
                out.add(m)
        return out

    @property
    def has_selectors(self) -> bool:
        return bool(self._selected)

    def families(self) -> dict[str, set[str]]:
        """family -> stored fields needed by the enabled rules."""
        out: dict[str, set[str]] = {}
        for m in self.metric_types():
            family, field = ALERT_METRIC_TYPES[m]
            out.setdefault(family, set()).add(field)
        return out

    def for_series(self, metric_type: str, client_id: str, series_key: str) -> tuple[Rule, ...]:
        """The enabled rules that apply to one series (see the module docstring for the levels)."""
        cache_key = (metric_type, client_id, series_key)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        by_client = self._index.get(metric_type, {})
        labels = self._labels.get(client_id, {})
        selected = [r for r in self._selected.get(metric_type, ()) if matches(labels, dict(r.selector or ()))]
        chosen: list[Rule] = []
        for candidates in (by_client.get(client_id, ()), selected, by_client.get(None, ())):
            rules = [r for r in candidates if r.series_key in (None, series_key)]
            specific = [r for r in rules if r.series_key is not None]
            chosen = specific or [r for r in rules if r.series_key is None]
            if chosen:
                break
        if not chosen and metric_type in self._defaults:
            chosen = [self._defaults[metric_type]]
        result = tuple(r for r in chosen if r.enabled)
        self._cache[cache_key] = result
        return result


def is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
