"""The alert state machine: pure functions of (rule, state, samples, now) -> (state, transitions).

Nothing here reads a clock, a database or the network, so every debounce scenario is a table-driven test.

Metric rules (``evaluate``), one state per (rule, client, mount/GPU):

- ``ok`` (or ``resolved``) -> ``pending`` on the first sample that breaches the threshold (strictly beyond
  it); ``since`` is that sample's time.
- ``pending`` -> ``ok``, quietly, on any sample that does not breach (recovery before the deadline), or when
  the gap between two samples exceeds ``max_gap`` (the breach is not known to have held across the gap; the
  run restarts at the later sample).
- ``pending`` -> ``firing`` when a breaching sample arrives at least ``duration_sec`` after ``since``: the
  condition held for the whole duration, every sample of the window breaching. The times are the samples'
  times, not the worker's clock, so a late batch neither fires early nor late. ``duration_sec`` 0 fires on the
  first breaching sample.
- ``firing`` -> ``resolved`` on a sample that clears the threshold by the hysteresis band (``Rule.clears``);
  values between the threshold and the band keep it firing, so a value hovering at the threshold does not
  flap. Firing again afterwards needs the full duration again.
- While ``firing``, a ``reminder`` every ``repeat_after`` seconds of wall-clock time (0: never).

Only samples newer than ``state.last_ts`` are considered, so evaluating the same samples twice (a restart, an
overlapping query window) changes nothing and notifies nothing. Samples with no value (None) are skipped.

Offline (``evaluate_offline``): a client never seen does not alert; one whose newest sample is older than the
timeout is ``firing``; it resolves when reports resume.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from statusmon.alerts.rules import Rule, is_finite

OK, PENDING, FIRING, RESOLVED = "ok", "pending", "firing", "resolved"
STATUSES = (OK, PENDING, FIRING, RESOLVED)


@dataclass(frozen=True)
class AlertState:
    status: str = OK
    since: int | None = None  # time of the first breaching sample of the current run (pending, firing)
    last_ts: int | None = None  # newest sample time already evaluated
    value: float | None = None  # the value of that sample
    fired_at: int | None = None  # the sample time at which it fired
    notified_at: float | None = None  # wall-clock time of the last notification (firing or reminder)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "since": self.since, "last_ts": self.last_ts, "value": self.value,
                "fired_at": self.fired_at, "notified_at": self.notified_at}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AlertState:
        return cls(**{k: d.get(k) for k in ("since", "last_ts", "value", "fired_at", "notified_at")},
                   status=d.get("status") or OK)


@dataclass(frozen=True)
class Transition:
    """Something to notify: ``kind`` is ``firing``, ``resolved`` or ``reminder``."""

    kind: str
    at: float  # sample time (firing, resolved) or wall-clock time (reminder)
    value: float | None
    since: int | None  # when the breach (or, offline, the silence) began


def evaluate(rule: Rule, state: AlertState, samples: Iterable[tuple[int, Any]], now: float,
             repeat_after: float = 0.0, max_gap: float | None = None) -> tuple[AlertState, list[Transition]]:
    """Advance ``state`` over ``samples`` ((ts, value) in ascending ts) and the clock ``now``."""
    out: list[Transition] = []
    status, since, last_ts = state.status, state.since, state.last_ts
    value, fired_at, notified_at = state.value, state.fired_at, state.notified_at
    for ts, v in samples:
        if last_ts is not None and ts <= last_ts:
            continue  # already evaluated
        if not is_finite(v):
            continue
        gap = max_gap is not None and last_ts is not None and ts - last_ts > max_gap
        last_ts, value = ts, float(v)
        if status == FIRING:
            if rule.clears(value):
                out.append(Transition("resolved", ts, value, since))
                status, since, fired_at = RESOLVED, None, None
            continue
        if not rule.breaches(value):
            status, since = (OK if status == PENDING else status), None
            continue
        if status != PENDING or gap:
            status, since = PENDING, ts
        assert since is not None
        if ts - since >= rule.duration_sec:
            status, fired_at, notified_at = FIRING, ts, now
            out.append(Transition("firing", ts, value, since))
    if status == FIRING and repeat_after > 0 and notified_at is not None and not out \
            and now - notified_at >= repeat_after:
        notified_at = now
        out.append(Transition("reminder", now, value, since))
    return AlertState(status, since, last_ts, value, fired_at, notified_at), out


def evaluate_offline(state: AlertState, last_seen: int | None, timeout: float, now: float,
                     repeat_after: float = 0.0) -> tuple[AlertState, list[Transition]]:
    """The offline alert of one client: ``last_seen`` is its newest sample time (None: never seen)."""
    if last_seen is None:
        return state, []
    offline = now - last_seen > timeout
    if state.status == FIRING:
        if not offline:
            return (replace(state, status=RESOLVED, since=None, fired_at=None, last_ts=last_seen),
                    [Transition("resolved", now, None, state.since)])
        if repeat_after > 0 and state.notified_at is not None and now - state.notified_at >= repeat_after:
            return replace(state, notified_at=now), [Transition("reminder", now, None, state.since)]
        return state, []
    if offline:
        return (AlertState(FIRING, since=last_seen, last_ts=last_seen, fired_at=int(now), notified_at=now),
                [Transition("firing", now, None, last_seen)])
    return state, []
