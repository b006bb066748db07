"""The downsampler: builds the minute tier from raw samples, the hour tier from minutes and the day tier from
hours, off the request path.

One pass (``run_once``) catches up: every closed bucket from where the tier's progress stands to now is built,
in chunks, the progress saved after each. A bucket is closed ``grace`` seconds after it ends, so samples still
in flight make it in; later ones mark their client's minute (``RollupProgress.mark_late``) and the next pass
builds that client's minute, hour and day buckets again (``_late``), reading only that client's points. Building
a bucket again writes the same row over the old one, so a pass cut short, a rebuild, or two processes passing
over the same range never count a sample twice. Still, only the holder of the lease
runs a pass: the others skip it (no wasted work), and a holder that dies frees it after ``lease_ttl``.

A worker stopped for a day starts where its progress stands and fills that day in, raw samples permitting
(they are kept ``STATUSMON_RETENTION_DAYS``). With no progress yet, it starts ``initial_lookback`` seconds back;
the day tier, with none, starts as far back as hours are kept (730 days), so hours built before it had rows
get their days.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from statusmon.store.base import TimeSeriesStore
from statusmon.store.tiers import DAY, HOUR, MINUTE, ROLLUP_FIELDS, Tier, TierRow, buckets_from_raw, merge_rows

log = logging.getLogger(__name__)

LEASE_NAME = "downsampler"
Build = Callable[[int, int, list[str], int], list[TierRow]]  # (from, to, clients, width) -> bucket rows
LATE_CLIENTS_PER_READ = 200  # clients a rebuild of late minutes reads at once (an InfluxQL OR of their ids)


class Progress(Protocol):
    def get(self, tier: str) -> int | None: ...

    def set(self, tier: str, done_until: int) -> None: ...

    def late(self, before: int, limit: int = ...) -> Sequence[tuple[str, int, int]]: ...  # (client, minute, seq)

    def clear_late(self, done: Sequence[tuple[str, int, int]]) -> None: ...


class Lease(Protocol):
    def acquire(self, ttl: float) -> bool: ...

    def release(self) -> None: ...


@dataclass
class PassResult:
    ran: bool  # False: another process holds the lease
    rows: dict[str, int] = field(default_factory=dict)  # tier -> bucket rows written
    late: int = 0  # late minutes (a client's) whose buckets were built again
    done_until: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Downsampler:
    def __init__(self, store: TimeSeriesStore, progress: Progress, lease: Lease,
                 clock: Callable[[], float] = time.time, grace: int = 90, minute_chunk: int = 600,
                 hour_chunk: int = 24 * 3600, day_chunk: int = 7 * 86400, initial_lookback: int = 7 * 86400,
                 lease_ttl: float = 300.0):
        self.store = store
        self.progress = progress
        self.lease = lease
        self.clock = clock
        self.grace = grace
        self.minute_chunk = minute_chunk
        self.hour_chunk = hour_chunk
        self.day_chunk = day_chunk
        self.initial_lookback = initial_lookback
        self.lease_ttl = lease_ttl

    def run_once(self) -> PassResult:
        started = time.perf_counter()
        if not self.lease.acquire(self.lease_ttl):
            return PassResult(ran=False)
        result = PassResult(ran=True, rows={MINUTE.name: 0, HOUR.name: 0, DAY.name: 0})
        try:
            now = int(self.clock())
            self._minutes(now, result)
            self._hours(now, result)
            self._days(now, result)
            self._late(result)
        finally:
            self.lease.release()
            result.seconds = time.perf_counter() - started
        return result

    def _start(self, tier: str, now: int) -> int:
        done = self.progress.get(tier)
        if done is None and tier == DAY.name:
            # Days come from hours, which may go back further than the raw samples (hours built before the day
            # tier existed): start as far back as hours are kept, so every whole day of them gets its row.
            back = max(self.initial_lookback, DAY.default_days * DAY.seconds)
            return (now - back) // DAY.seconds * DAY.seconds
        if done is None:  # on an hour for both tiers, so the first hour is built from whole minutes
            return (now - self.initial_lookback) // HOUR.seconds * HOUR.seconds
        return done

    def _minutes(self, now: int, result: PassResult) -> None:
        width = MINUTE.seconds
        done = self._start(MINUTE.name, now)
        target = (now - self.grace) // width * width
        chunk = max(width, self.minute_chunk // width * width)
        while done < target:
            end = min(done + chunk, target)
            rows = self._from_raw(done, end, None, width)
            if rows:
                self.store.tiers.write(MINUTE.name, rows)
            else:  # nothing here: on to the minute of the next sample (a fresh install's empty week)
                end = self._next_minute(end, target)
            self.progress.set(MINUTE.name, end)
            result.rows[MINUTE.name] += len(rows)
            done = end
            if not self.lease.acquire(self.lease_ttl):  # renew; lost it (a very long pass): stop here
                log.warning("downsampler lost its lease at %d; another process carries on", done)
                break
        result.done_until[MINUTE.name] = done

    def _next_minute(self, start: int, target: int) -> int:
        """The start of the minute holding the first sample in [start, target) of any family; target if none."""
        found = [t for family, fields in ROLLUP_FIELDS.items() if fields
                 if (t := self.store.first_time(family, start, target)) is not None]
        return min(found) // MINUTE.seconds * MINUTE.seconds if found else target

    def _hours(self, now: int, result: PassResult) -> None:
        self._merge(now, result, MINUTE.name, HOUR.name, HOUR.seconds, self.hour_chunk)

    def _days(self, now: int, result: PassResult) -> None:
        self._merge(now, result, HOUR.name, DAY.name, DAY.seconds, self.day_chunk)

    def _merge(self, now: int, result: PassResult, finer: str, tier: str, width: int, chunk: int) -> None:
        """Build ``tier``'s buckets by merging the ``finer`` tier's, up to where the finer one is built."""
        done = self._start(tier, now)
        target = result.done_until[finer] // width * width
        chunk = max(width, chunk // width * width)
        while done < target:
            end = min(done + chunk, target)
            rows = self._merged(finer, done, end, None, width)
            if rows:
                self.store.tiers.write(tier, rows)
            self.progress.set(tier, end)
            result.rows[tier] += len(rows)
            done = end
            if not self.lease.acquire(self.lease_ttl):
                break
        result.done_until[tier] = done

    def _late(self, result: PassResult) -> None:
        """Build again the buckets that late samples changed: the marked minutes where the minute tier is built,
        then the hours and days holding them where those are built (the forward passes build the rest, marks
        included), then clear the marks. Reads go by runs of consecutive buckets, for the clients marked in the
        run together (a fleet's agents back from one outage are one read a family, not one a host)."""
        marks = self.progress.late(result.done_until[MINUTE.name])
        minutes: dict[int, set[str]] = {}
        for client_id, minute, _ in marks:
            minutes.setdefault(minute, set()).add(client_id)
        hours = _coarser(minutes, HOUR.seconds, result.done_until[HOUR.name])
        days = _coarser(hours, DAY.seconds, result.done_until[DAY.name])
        steps: tuple[tuple[Tier, dict[int, set[str]], Build, int], ...] = (
            (MINUTE, minutes, self._from_raw, self.minute_chunk),
            (HOUR, hours, functools.partial(self._merged, MINUTE.name), self.hour_chunk),
            (DAY, days, functools.partial(self._merged, HOUR.name), self.day_chunk))
        for tier, touched, build, chunk in steps:
            for a, b in _runs(list(touched), tier.seconds, chunk):
                clients = sorted(set().union(*(touched[t] for t in range(a, b, tier.seconds))))
                for i in range(0, len(clients), LATE_CLIENTS_PER_READ):
                    rows = build(a, b, clients[i:i + LATE_CLIENTS_PER_READ], tier.seconds)
                    if rows:
                        self.store.tiers.write(tier.name, rows)
                        result.rows[tier.name] += len(rows)
                if not self.lease.acquire(self.lease_ttl):
                    log.warning("downsampler lost its lease rebuilding late minutes; another process carries on")
                    return
        self.progress.clear_late(marks)
        result.late = len(marks)

    def _from_raw(self, a: int, b: int, clients: list[str] | None, width: int) -> list[TierRow]:
        """Buckets of [a, b) (of ``clients`` only, when given) built from the raw samples, every family."""
        return [row for family, fields in ROLLUP_FIELDS.items() if fields
                for row in buckets_from_raw(family, self.store.points(family, a, b, list(fields), clients), width)]

    def _merged(self, finer: str, a: int, b: int, clients: list[str] | None, width: int) -> list[TierRow]:
        """Buckets of [a, b) (of ``clients`` only, when given) merged from the ``finer`` tier's, every family."""
        return [row for family, fields in ROLLUP_FIELDS.items() if fields
                for row in merge_rows(self.store.tiers.rows(finer, family, a, b, clients), width)]


def _coarser(touched: dict[int, set[str]], width: int, built: int) -> dict[int, set[str]]:
    """The ``width``-second buckets holding ``touched``'s, with their clients, where that tier is built."""
    out: dict[int, set[str]] = {}
    for t, clients in touched.items():
        if (c := t // width * width) < built:
            out.setdefault(c, set()).update(clients)
    return out


def _runs(starts: Sequence[int], width: int, longest: int) -> list[tuple[int, int]]:
    """Sorted bucket starts as [from, to) ranges of consecutive buckets, each at most ``longest`` seconds (whole
    buckets, at least one): one read a run, not one a bucket, and no read larger than a forward pass's chunk."""
    longest = max(width, longest // width * width)
    runs: list[tuple[int, int]] = []
    for t in sorted(set(starts)):
        if runs and runs[-1][1] == t and t + width - runs[-1][0] <= longest:
            runs[-1] = (runs[-1][0], t + width)
        else:
            runs.append((t, t + width))
    return runs
