"""The periodic jobs (schedule) run from the sampling loop: on the tick grid, never drifting, robust to the
wall clock going back, and a failing job neither stops the loop nor the other jobs."""

from __future__ import annotations

import datetime
import logging
import math
import time

import pytest

from agent.jobs import Jobs


def _tick() -> float:
    return float(math.floor(time.time()))


def test_a_job_that_ran_is_due_again_exactly_one_interval_after_its_tick() -> None:
    runs: list[float] = []
    jobs = Jobs()
    jobs.every(1, lambda: runs.append(time.time()), "flush")
    time.sleep(1.05)  # schedule's first due time is one interval after the job was added
    tick = _tick()
    jobs.run_pending(tick)
    assert len(runs) == 1
    # schedule itself would say "1 s after the job ended", a few ms after the tick: the next tick would come
    # just before that and the job would run every other tick
    assert jobs.next_run("flush") == datetime.datetime.fromtimestamp(tick + 1)


def test_the_wall_clock_going_back_does_not_hold_the_jobs_back() -> None:
    jobs = Jobs()
    jobs.every(5, lambda: None, "watchdog")
    back = _tick() - 3600  # an NTP step, or local time at the end of daylight saving time
    jobs.run_pending(back)
    assert jobs.next_run("watchdog") == datetime.datetime.fromtimestamp(back + 5)


def test_a_new_interval_applies_from_the_next_tick() -> None:
    jobs = Jobs()
    jobs.every(10, lambda: None, "flush")
    tick = _tick()
    jobs.run_pending(tick)
    jobs.set_interval("flush", 1)  # the server's report_interval hint
    jobs.run_pending(tick)
    assert jobs.interval("flush") == 1 and jobs.next_run("flush") == datetime.datetime.fromtimestamp(tick + 1)


def test_a_failing_job_is_logged_and_stays_scheduled(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    jobs = Jobs()

    def boom() -> None:
        calls.append("boom")
        raise OSError("boom")

    jobs.every(1, boom, "bad")
    jobs.every(1, lambda: calls.append("good"), "good")
    time.sleep(1.05)
    with caplog.at_level(logging.ERROR):
        jobs.run_pending(_tick())
    assert sorted(calls) == ["boom", "good"] and "periodic job bad failed" in caplog.text
    assert jobs.next_run("bad") is not None


def test_the_clock_going_back_between_two_quiet_ticks_still_pulls_the_jobs_in() -> None:
    jobs = Jobs()
    jobs.every(5, lambda: None, "watchdog")
    tick = _tick()
    jobs.run_pending(tick)
    jobs.run_pending(tick + 1)  # nothing due: the quiet path
    assert jobs.next_run("watchdog") == datetime.datetime.fromtimestamp(tick + 5)
    jobs.run_pending(tick - 3600)  # then an NTP step back
    assert jobs.next_run("watchdog") == datetime.datetime.fromtimestamp(tick - 3600 + 5)
