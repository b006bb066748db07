"""Fault tests with a loss oracle: the agent runs as a real process in test mode and records every sample it
took in a ledger; after each fault the receiving end must hold every ledger entry, with equal values.  Against
the REAL API server (tests/support/server.py, SQLite and a real influxd): an outage with the agent SIGKILLed
and SIGTERMed during it, and a clock an hour ahead. Against a loopback HTTP receiver (a real HTTP peer whose
replies can be scripted): 500, 500, 200; 413 split; a poison batch; a full disk under the spool."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.collectors.cpu import CpuCollector
from agent.collectors.memory import MemoryCollector
from agent.delivery import Delivery
from agent.payload import encode_sample
from agent.sampler import Sampler
from agent.spool import Spool
from agent.transport import HttpTransport, RequestsTransport
from tests.agent.agentproc import AgentProcess, wait_until
from tests.agent.receiver import Receiver, Scripted
from tests.support.require import require

pytestmark = pytest.mark.integration

SYSTEM = ("cpu_percent", "ram_percent", "disk_percent", "inode_percent")


def assert_all_received(ledger: list[dict[str, Any]], stored: dict[int, dict[str, Any]]) -> None:
    assert ledger, "the agent sampled nothing"
    missing = [s["ts"] for s in ledger if s["ts"] not in stored]
    assert not missing, f"{len(missing)} of {len(ledger)} sampled seconds never arrived: {missing[:10]}"
    for s in ledger:
        assert stored[s["ts"]] == s, f"sample {s['ts']} arrived with other values"


@pytest.fixture(params=["builtin", "requests"])
def http_client(request: pytest.FixtureRequest) -> str:
    """The agent's transport (``http_client`` setting): every delivery fault is run through both."""
    return str(request.param)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


# -- against a scripted loopback receiver --------------------------------------------------------------------
def test_500_500_200_loses_nothing(tmp_path: Path, receiver: Receiver, http_client: str) -> None:
    receiver.script = [Scripted(500), Scripted(500)]
    agent = AgentProcess(tmp_path, receiver.url, receiver.token, http_client=http_client).start()
    agent.wait_samples(4)
    wait_until(lambda: len(receiver.stored) >= 3, 15, "deliveries after two 500s")
    assert agent.stop() == 0
    assert [r.status for r in receiver.requests][:2] == [500, 500]
    assert_all_received(agent.ledger(), receiver.stored)


def test_413_splits_until_the_batches_fit(tmp_path: Path, receiver: Receiver, http_client: str) -> None:
    receiver.judge = lambda p: (
        Scripted(413, {"error": {"code": "too_large", "message": "body too large"}})
        if len(p["samples"]) > 2
        else None
    )
    agent = AgentProcess(
        tmp_path, receiver.url, receiver.token, report_interval="4", http_client=http_client
    ).start()
    agent.wait_samples(9)
    assert agent.stop() == 0
    assert 413 in [r.status for r in receiver.requests]
    assert_all_received(agent.ledger(), receiver.stored)


def test_a_poison_batch_is_quarantined_while_later_batches_flow(
    tmp_path: Path, receiver: Receiver, http_client: str
) -> None:
    poison: list[int] = []

    def judge(p: dict[str, Any]) -> Scripted | None:
        if not poison:
            poison.append(p["samples"][0]["ts"])
        if any(s["ts"] == poison[0] for s in p["samples"]):
            return Scripted(400, {"error": {"code": "bad_request", "message": "malformed sample"}})
        return None

    receiver.judge = judge
    agent = AgentProcess(tmp_path, receiver.url, receiver.token, http_client=http_client).start()
    agent.wait_samples(6)
    assert agent.stop() == 0
    ledger = agent.ledger()
    assert_all_received([s for s in ledger if s["ts"] != poison[0]], receiver.stored)
    quarantine = [
        json.loads(line) for line in (Path(agent.spool_dir) / "quarantine.jsonl").read_text().splitlines()
    ]
    assert [s["ts"] for q in quarantine for s in q["samples"]] == poison
    assert "malformed sample" in agent.log()


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


def test_a_full_disk_under_the_spool_loses_nothing(tmp_path: Path, receiver: Receiver) -> None:
    spool = tmp_path / "spool"
    require(os.geteuid() == 0 and _mount_tmpfs(spool, "1m"), "root, to mount a tiny tmpfs under the spool")
    try:
        receiver.stop()  # nothing acknowledged: samples pile up in the spool
        agent = AgentProcess(tmp_path, receiver.url, receiver.token, spool_dir=str(spool)).start()
        agent.wait_samples(3)
        with open(spool / "filler", "wb", buffering=0) as f:  # the disk fills up under the running agent
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        wait_until(lambda: "keeping samples in memory" in agent.log(), 30, "the spool to hit the full disk")
        agent.wait_samples(len(agent.ledger()) + 2)
        receiver.start()
        wait_until(
            lambda: {s["ts"] for s in agent.ledger()} <= set(receiver.stored), 30, "every sample delivered"
        )
        (spool / "filler").unlink()  # space returns: the samples held in memory go to disk
        agent.wait_samples(len(agent.ledger()) + 2)
        assert agent.stop() == 0, agent.log()
        assert_all_received(agent.ledger(), receiver.stored)
    finally:
        subprocess.run(["umount", "-l", str(spool)], check=False)


# -- against the real API server, both store backends --------------------------------------------------------
# The outage lasts this long (two minutes by default: the spool grows, the agent restarts twice in it, then
# catches up at its capped rate); STATUSMON_TEST_OUTAGE_SECONDS=15 shortens it on a laptop.
OUTAGE_SECONDS = float(os.environ.get("STATUSMON_TEST_OUTAGE_SECONDS", "120"))


@pytest.fixture(params=["sqlite", "influx"])
def api_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    from tests.support.server import start_server

    if request.param == "influx":
        influxd = request.getfixturevalue("influxd")
        ctx = start_server(
            tmp_path / "server", influx_url=influxd.url, influx_db=request.getfixturevalue("influx_db_name")
        )
    else:
        ctx = start_server(tmp_path / "server")
    with ctx as srv:
        yield srv


def stored_samples(srv: Any, client_id: str, start: int, end: int) -> dict[int, dict[str, Any]]:
    """The system and disk fields the server stored, per second, read back through its HTTP API."""
    admin = srv.admin()
    out: dict[int, dict[str, Any]] = {}
    r = admin.get(
        f"{srv.url}/api/metrics/{client_id}",
        params={"from": start, "to": end, "family": "system"},
        timeout=10,
    )
    r.raise_for_status()
    body = r.json()
    for i, t in enumerate(body["time"]):
        values = {f: body["values"][f][i] for f in SYSTEM}
        if any(v is not None for v in values.values()):
            assert t not in out, f"second {t} stored twice"
            out[t] = {k: v for k, v in values.items() if v is not None}
    r = admin.get(
        f"{srv.url}/api/metrics/{client_id}",
        params={"from": start, "to": end, "family": "disk", "metrics": "used_bytes,total_bytes"},
        timeout=10,
    )
    r.raise_for_status()
    for mount, series in r.json()["series"].items():
        for i, t in enumerate(series["time"]):
            if series["values"]["used_bytes"][i] is not None and t in out:
                out[t].setdefault("disks", {})[mount] = (
                    series["values"]["used_bytes"][i],
                    series["values"]["total_bytes"][i],
                )
    return out


def as_stored(sample: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: sample[k] for k in SYSTEM if k in sample}
    if sample.get("disks"):
        out["disks"] = {d["mount"]: (d["used_bytes"], d["total_bytes"]) for d in sample["disks"]}
    return out


def test_outage_with_sigkill_and_sigterm_loses_nothing_and_stores_each_second_once(
    tmp_path: Path, api_server: Any
) -> None:
    client_id, token = api_server.add_client("fault-host")
    agent = AgentProcess(tmp_path, api_server.url, token)
    start = int(time.time())
    agent.start().wait_samples(2)
    api_server.stop()  # the outage begins: OUTAGE_SECONDS in three parts, the agent killed between them
    outage_end = time.monotonic() + OUTAGE_SECONDS
    time.sleep(OUTAGE_SECONDS / 3)
    agent.wait_samples(len(agent.ledger()) + 3)
    assert agent.stop(signal.SIGKILL, timeout=10) == -signal.SIGKILL
    agent.start().wait_samples(len(agent.ledger()) + 3)
    time.sleep(max(0.0, outage_end - time.monotonic() - OUTAGE_SECONDS / 3))
    assert agent.stop(signal.SIGTERM) == 0
    agent.start().wait_samples(len(agent.ledger()) + 2)
    time.sleep(max(0.0, outage_end - time.monotonic()))
    api_server.start()  # the outage ends
    ledger_ts = {s["ts"] for s in agent.ledger()}

    def caught_up() -> bool:
        return ledger_ts <= set(stored_samples(api_server, client_id, start - 5, int(time.time()) + 2))

    wait_until(caught_up, 60 + OUTAGE_SECONDS / 2, f"every sampled second stored\n{agent.log()}")
    assert agent.stop() == 0
    ledger = agent.ledger()
    stored = stored_samples(api_server, client_id, start - 5, int(time.time()) + 2)
    assert_all_received(
        [as_stored(s) | {"ts": s["ts"]} for s in ledger], {t: v | {"ts": t} for t, v in stored.items()}
    )
    assert set(stored) == {s["ts"] for s in ledger}  # nothing stored that was not sampled


def test_a_clock_an_hour_ahead_is_refused_and_the_agent_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, api_server: Any, http_client: str
) -> None:
    """The host's clock is shifted at one seam: the sampling time handed to the real sampler and spool."""
    _, token = api_server.add_client("skewed-host")
    spool = Spool(str(tmp_path / "spool"), 10**9, 10**9)
    sampler = Sampler([CpuCollector(), MemoryCollector()])
    ahead = int(time.time()) + 3600
    for ts in range(ahead, ahead + 3):
        time.sleep(0.02)
        spool.append(ts, encode_sample(sampler.sample(ts)))
    transport = (RequestsTransport if http_client == "requests" else HttpTransport)(api_server.url, token, 5)
    delivery = Delivery(
        spool,
        transport.post_report,
        report_interval=10,
        batch_max=600,
        catchup_rate=300,
        catchup_jitter=0,
        backoff_max=1,
        auth_retry=60,
        clock=lambda: time.time() + 3600,
    )
    try:
        with caplog.at_level(logging.WARNING):
            assert delivery.step() == 10
        assert "ahead of the server's clock" in caplog.text  # the server's own message
        # and the agent's own diagnosis, from the reply's Date header (one-second resolution)
        assert re.search(r"this host's clock is \+(3599|3600|3601) s off the server's", caplog.text)
        assert len(spool) == 0 and spool.quarantine_path.exists()
        # after the clock is fixed, samples flow again
        now = int(time.time())
        spool.append(now, encode_sample(sampler.sample(now)))
        delivery.clock = time.time
        delivery.step()
        assert len(spool) == 0 and delivery.sent_samples == 1
    finally:
        transport.close()
