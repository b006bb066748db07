"""The agent's periodic jobs other than sampling (the batch flush, the watchdog, slow collectors), run by
``schedule`` from the 1-second sampling loop: ``run_pending(tick)`` once per tick, right after the sample.

``schedule`` computes a job's next run from the wall clock when the job *ends*, a few milliseconds after the
tick; the next tick then comes just before that and the job would slip one tick each period (a 10 s flush
every 11 s). So after each pass every job's next run is put back on the tick grid: at most ``interval``
seconds after this tick. The same clamp handles the wall clock going back (NTP step, a DST change of local
time, which schedule works in): no job, least of all the watchdog, waits for the old time to come round again.
A job that raises is logged and stays scheduled.

Most ticks nothing is due and nothing moved: then the pass is skipped (one comparison with the earliest due
time instead of schedule's walk and the clamp's date arithmetic for every job, each second). The pass runs
when a job is due, after a change of jobs or intervals, and when local time went back since the last tick.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

import schedule

log = logging.getLogger(__name__)


class Jobs:
    def __init__(self) -> None:
        self._scheduler = schedule.Scheduler()
        self._jobs: dict[str, schedule.Job] = {}
        self._earliest: datetime.datetime | None = None  # the earliest next run after the last pass
        self._last_base: datetime.datetime | None = None  # the last tick, in schedule's local time

    def every(self, seconds: int, func: Callable[[], object], name: str) -> None:
        def run() -> None:
            try:
                func()
            except Exception:  # noqa: BLE001 - one failing job must not stop sampling or the other jobs
                log.exception("periodic job %s failed", name)

        self._jobs[name] = self._scheduler.every(max(1, seconds)).seconds.do(run).tag(name)
        self._earliest = None

    def interval(self, name: str) -> int:
        return int(self._jobs[name].interval)

    def set_interval(self, name: str, seconds: int) -> None:
        """Change a job's period; takes effect from the next tick (the clamp pulls an earlier due time in)."""
        self._jobs[name].interval = max(1, seconds)
        self._earliest = None

    def run_pending(self, tick: float) -> None:
        """Run the jobs due at ``tick`` (a whole-second Unix time) and keep every next run on the tick grid."""
        base = datetime.datetime.fromtimestamp(tick)  # naive local time, as schedule keeps it
        last, self._last_base = self._last_base, base
        if (self._earliest is not None and last is not None and base >= last
                and datetime.datetime.now() < self._earliest):
            return  # nothing due, nothing changed, the clock did not go back
        self._scheduler.run_pending()
        for job in self._scheduler.jobs:
            due = base + datetime.timedelta(seconds=job.interval)
            if job.next_run is None or job.next_run > due:
                job.next_run = due
        self._earliest = min((job.next_run for job in self._scheduler.jobs if job.next_run is not None),
                             default=None)

    def cancel(self) -> None:
        self._scheduler.clear()
        self._jobs.clear()
        self._earliest = None

    def next_run(self, name: str) -> datetime.datetime | None:
        return self._jobs[name].next_run
