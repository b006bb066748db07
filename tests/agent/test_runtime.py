"""The running agent's clock: samples on whole seconds, and the batch flush scheduled (schedule, from the
sampling loop) every report interval on the same grid, following the server's hint, without drifting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.agentproc import AgentProcess, wait_until
from tests.agent.receiver import Receiver

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def last_ts_of_batches(receiver: Receiver) -> list[int]:
    return [r.payload["samples"][-1]["ts"] for r in receiver.requests if r.payload.get("samples")]


def steps(values: list[int]) -> list[int]:
    return [b - a for a, b in zip(values, values[1:])]


def test_batches_leave_every_report_interval_right_after_the_sample_of_that_tick(
    tmp_path: Path, receiver: Receiver
) -> None:
    agent = AgentProcess(tmp_path, receiver.url, receiver.token, report_interval="2").start()
    wait_until(lambda: len(last_ts_of_batches(receiver)) >= 7, 30, f"7 batches\n{agent.log()}")
    assert agent.stop() == 0
    ledger = [s["ts"] for s in agent.ledger()]
    assert steps(ledger) == [1] * (len(ledger) - 1)  # one sample a second, on whole seconds
    gaps = steps(last_ts_of_batches(receiver)[:7])
    # every flush carries the sample of its own tick: 2 s apart, not 3 s (a job scheduled from its end time
    # slips a tick each period); one odd gap is tolerated on a loaded test machine
    assert sum(g == 2 for g in gaps) >= len(gaps) - 1, gaps


def test_the_servers_report_interval_hint_reschedules_the_flush(tmp_path: Path) -> None:
    receiver = Receiver(report_interval=1).start()
    try:
        agent = AgentProcess(tmp_path, receiver.url, receiver.token, report_interval="5").start()
        wait_until(lambda: len(last_ts_of_batches(receiver)) >= 6, 30, f"6 batches\n{agent.log()}")
        assert agent.stop() == 0
    finally:
        receiver.stop()
    gaps = steps(last_ts_of_batches(receiver)[1:6])  # after the first reply, which carried the hint
    assert sum(g == 1 for g in gaps) >= len(gaps) - 1, gaps
