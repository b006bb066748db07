"""Delivery policy, driven without sleeping: replies are scripted, randomness and clocks are parameters."""

from __future__ import annotations

import gzip
import json
import logging
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from agent.delivery import BISECT_BUDGET, Delivery
from agent.spool import Spool
from agent.transport import Reply, parse_retry_after

NOW = 1_764_215_000.0


class Server:
    """Scripted replies; a callable decides per payload once the script is used up."""

    def __init__(self, *script: Reply | Exception, judge: Any = None) -> None:
        self.script = list(script)
        self.judge = judge
        self.posts: list[list[int]] = []
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, gz: bytes) -> Reply:
        payload = json.loads(gzip.decompress(gz))
        self.bodies.append(payload)
        self.posts.append([s["ts"] for s in payload["samples"]])
        nxt = self.script.pop(0) if self.script else (self.judge(payload) if self.judge else ok())
        if isinstance(nxt, Exception):
            raise nxt
        return nxt


def ok(hint: float | None = None) -> Reply:
    body: dict[str, Any] = {"stored": 1}
    if hint is not None:
        body["report_interval"] = hint
    return Reply(200, json.dumps(body).encode())


def err(status: int, message: str = "no", headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status, json.dumps({"error": {"code": str(status), "message": message}}).encode(), headers or {}
    )


def make(tmp_path: Path, server: Server, n: int = 10, rand: float = 0.5, **kw: Any) -> Delivery:
    spool = Spool(str(tmp_path / "spool"), 10**9, 10**10)
    for ts in range(1, n + 1):
        spool.append(ts, json.dumps({"ts": ts, "cpu_percent": float(ts)}))
    opts = dict(
        report_interval=10,
        batch_max=600,
        catchup_rate=300,
        catchup_jitter=30,
        backoff_max=300,
        auth_retry=900,
    )
    opts.update(kw)
    return Delivery(spool, server, rand=lambda: rand, clock=lambda: NOW, monotonic=lambda: 0.0, **opts)


def test_500_500_200_retries_with_growing_jittered_backoff_then_deletes(tmp_path: Path) -> None:
    server = Server(err(500), err(503), ok())
    d = make(tmp_path, server, rand=1.0)
    assert d.step() == 2.0  # full jitter: uniform(0, min(cap, 1 * 2**1)), rand() = 1
    assert d.step() == 4.0
    assert d.step() == 10.0  # delivered: back to the report interval
    assert server.posts == [list(range(1, 11))] * 3 and len(d.spool) == 0


def test_backoff_is_full_jitter_and_capped(tmp_path: Path) -> None:
    d = make(tmp_path, Server(*[err(500)] * 20), rand=1.0, backoff_max=60)
    waits = [d.step() for _ in range(12)]
    assert waits[-1] == 60 and max(waits) == 60
    d.rand = lambda: 0.0
    assert d.step() == 0.1  # never a hot loop


def test_network_errors_are_retried_and_lose_nothing(tmp_path: Path) -> None:
    d = make(tmp_path, Server(ConnectionRefusedError(111, "refused"), ok()))
    assert d.step() > 0 and len(d.spool) == 10
    d.step()
    assert len(d.spool) == 0


@pytest.mark.parametrize("header, expected", [("120", 120.0), (formatdate(NOW + 30, usegmt=True), 30.0)])
def test_retry_after_is_honoured_in_seconds_or_as_a_date(header: str, expected: float) -> None:
    assert parse_retry_after(header, NOW) == pytest.approx(expected, abs=1)


def test_429_waits_at_least_retry_after(tmp_path: Path) -> None:
    d = make(tmp_path, Server(err(429, headers={"Retry-After": "7"})), rand=0.0)
    assert d.step() == 7.0
    d.rand = lambda: 1.0
    d.post = Server(err(503, headers={"Retry-After": "7"}))
    assert 7.0 <= d.step() <= 7.71


def test_413_splits_the_batch_until_it_fits(tmp_path: Path) -> None:
    server = Server(judge=lambda p: err(413, "too large") if len(p["samples"]) > 3 else ok())
    d = make(tmp_path, server)
    d.step()
    assert len(d.spool) == 0
    delivered = [ts for post in server.posts if len(post) <= 3 for ts in post]
    assert sorted(delivered) == list(range(1, 11))


def test_a_poison_sample_is_quarantined_while_the_rest_of_its_batch_flows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def judge(p: dict[str, Any]) -> Reply:
        return err(400, "cpu_percent: not a number") if any(s["ts"] == 7 for s in p["samples"]) else ok()

    server = Server(judge=judge)
    d = make(tmp_path, server)
    with caplog.at_level(logging.ERROR):
        assert d.step() == 10.0
    assert len(d.spool) == 0
    quarantined = [json.loads(line) for line in d.spool.quarantine_path.read_text().splitlines()]
    assert [s["ts"] for q in quarantined for s in q["samples"]] == [7]
    assert "cpu_percent: not a number" in caplog.text
    assert len(server.posts) <= 1 + BISECT_BUDGET


def test_a_batch_refused_whole_costs_a_bounded_number_of_requests(tmp_path: Path) -> None:
    server = Server(judge=lambda p: err(422, "bad"))
    d = make(tmp_path, server, n=600)
    d.step()
    assert len(d.spool) == 0 and len(server.posts) <= 2 + BISECT_BUDGET


def test_a_clock_an_hour_ahead_is_refused_and_the_log_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    msg = "ts: timestamp 1764218600 is 3600 s ahead of the server's clock (at most 300 s allowed)"
    server_date = formatdate(NOW - 3600, usegmt=True)
    d = make(
        tmp_path,
        Server(
            judge=lambda p: Reply(
                422,
                json.dumps({"error": {"code": "validation_failed", "message": msg}}).encode(),
                {"Date": server_date},
            )
        ),
    )
    with caplog.at_level(logging.WARNING):
        d.step()
    assert "3600 s ahead of the server's clock" in caplog.text
    assert "this host's clock is +3600 s off the server's" in caplog.text


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refused_agent_stops_sending_loudly_and_keeps_spooling(
    tmp_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server(err(status, "token revoked"))
    d = make(tmp_path, server)
    with caplog.at_level(logging.ERROR):
        assert d.step() == 900
    assert "THE SERVER REFUSES THIS AGENT" in caplog.text and "token revoked" in caplog.text
    assert d.step() == 900 and len(server.posts) == 1  # no second request before auth_retry
    d.spool.append(11, json.dumps({"ts": 11}))
    assert len(d.spool) == 11  # still spooling, nothing lost
    d.monotonic = lambda: 901.0
    d.step()
    assert len(d.spool) == 0


@pytest.mark.parametrize("hint, expected", [(1, 1.0), (0, 1.0), (600, 60.0), ("5", 10.0), (None, 10.0)])
def test_the_report_interval_hint_is_honoured_within_bounds(
    tmp_path: Path, hint: Any, expected: float
) -> None:
    d = make(tmp_path, Server(Reply(200, json.dumps({"stored": 10, "report_interval": hint}).encode())))
    assert d.step() == expected


def test_a_backlog_drains_after_a_random_delay_at_a_capped_rate(tmp_path: Path) -> None:
    server = Server()
    d = make(tmp_path, server, n=2000, rand=0.25, batch_max=500, catchup_rate=250)
    assert d.step() == 0.25 * 30  # first batch, then a random start delay for the rest
    assert d.step() == 2.0  # 500 samples at 250/s
    d.step()
    assert d.step() == 10.0 and len(d.spool) == 0
    assert [len(p) for p in server.posts] == [500, 500, 500, 500]


def test_the_dropped_count_rides_on_every_report(tmp_path: Path) -> None:
    server = Server()
    d = make(tmp_path, server)
    d.spool.max_age = 5
    d.clock = lambda: 10.0
    d.step()
    assert server.bodies[0]["dropped"] == 4 and [s["ts"] for s in server.bodies[0]["samples"]] == [
        5,
        6,
        7,
        8,
        9,
        10,
    ]


def test_flush_on_stop_sends_everything_unpaced_until_a_failure(tmp_path: Path) -> None:
    server = Server(ok(), ok(), err(503))
    d = make(tmp_path, server, n=25, batch_max=10)
    assert d.flush(deadline=1.0) == 20
    assert len(d.spool) == 5
