"""Two replicas, each `statusmon server --workers 2`, sharing one redis-server, one influxd and one metadata file:
they answer as one server. Every process is real; nothing is faked.

The tests run in order on the same deployment: the last ones kill Redis (and bring it back) and then a replica.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_websocket import Client

from tests.live.fake import cookie_header, now, report, sample, unpack
from tests.support.influxd import Influxd
from tests.support.redisd import Redisd, start_redis
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.integration, pytest.mark.influx]
VIEWERS = 4  # on one replica: the kernel hands each connection to either of its two workers


class Deployment:
    def __init__(self, redis: Redisd, a: ServerProcess, b: ServerProcess) -> None:
        self.redis, self.a, self.b = redis, a, b


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, influxd: Influxd) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("replicas")
    redis = start_redis(root / "redis")
    env = {"STATUSMON_REDIS_URL": redis.url, "STATUSMON_INFLUX_URL": influxd.url,
           "STATUSMON_INFLUX_DB": "replicas", "STATUSMON_REPORT_RATE_PER_MINUTE": "100000",
           "STATUSMON_LOGIN_RATE_PER_MINUTE": "6", "STATUSMON_TRUST_PROXY": "true"}
    data = root / "data"  # one metadata file for both (one machine); PostgreSQL takes this role across machines
    replicas = [ServerProcess(data, env, args=["--workers", "2"], log_path=root / f"{name}.log")
                for name in ("a", "b")]
    try:
        for srv in replicas:  # one after the other: the first creates the schema and the admin password
            srv.start(timeout=60)
            wait_for_workers(srv, 2)
        yield Deployment(redis, *replicas)
    finally:
        for srv in replicas:
            srv.stop(signal.SIGINT)
        redis.stop()


def wait_for_workers(srv: ServerProcess, n: int, timeout: float = 60) -> None:
    """Until ``n`` distinct worker processes have answered (a fresh connection each time)."""
    pids: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(pids) < n:
        assert time.monotonic() < deadline, f"only workers {pids} answered"
        with requests.Session() as s:
            s.cookies.update(srv.admin().cookies)
            pids.add(s.get(srv.url + "/api/live", timeout=5).json()["pid"])


def viewer(srv: ServerProcess) -> Client:
    ws = Client.connect(srv.url.replace("http", "ws") + "/ws/live", headers={"Cookie": cookie_header(srv.admin())})
    # simple_websocket's client leaves bytes that came with the handshake's response (here: the hello frame)
    # unread until more arrive: a subscribe's answer brings them out.
    ws.send(json.dumps({"subscribe": None}))
    return ws


def frames(ws: Client, timeout: float) -> list[dict[str, Any]]:
    """Every frame that arrives within ``timeout`` seconds."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        msg = ws.receive(timeout=left)
        if msg is not None:
            out.extend(unpack(msg))
    return out


def first(ws: Client, kind: str, timeout: float = 5.0, **match: Any) -> tuple[dict[str, Any], float]:
    """The first frame of type ``kind`` with ``match``ing fields, and how long it took to come."""
    began = time.monotonic()
    deadline = began + timeout
    while (left := deadline - time.monotonic()) > 0:
        msg = ws.receive(timeout=left)
        if msg is None:
            continue
        for f in unpack(msg):
            if f.get("type") == kind and all(f.get(k) == v for k, v in match.items()):
                return f, time.monotonic() - began
    raise AssertionError(f"no {kind} frame {match} within {timeout} s")



def sample_timestamps(fs: list[dict[str, Any]], client_id: str) -> set[int]:
    return {s["ts"] for f in fs if f.get("type") == "samples" and f["client_id"] == client_id
            for s in f["samples"]}


def test_every_sample_reported_to_one_replica_reaches_viewers_of_the_other_within_a_second(
        deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    client_id, token = a.add_client("spread-1")
    viewers = [viewer(b) for _ in range(VIEWERS)] + [viewer(a)]
    try:
        for ws in viewers:
            assert first(ws, "hello")[0]["degraded"] is False
        t0 = now()
        for i in range(8):  # each on a new connection: `a`'s two workers take turns accepting them
            began = time.monotonic()
            report(a.url, token, [sample(t0 - 20 + i)])
            for ws in viewers:
                f, _ = first(ws, "samples", timeout=1.0, client_id=client_id)
                assert time.monotonic() - began < 1.0
                assert [s["ts"] for s in f["samples"]] == [t0 - 20 + i]
        for ws in viewers:  # each sample exactly once: no duplicate through the two workers or replicas
            assert sample_timestamps(frames(ws, 0.5), client_id) == set()
        stats = b.admin().get(b.url + "/api/live", timeout=5).json()
        assert stats["shared"]["redis"] == "up" and stats["degraded"] is False
    finally:
        for ws in viewers:
            ws.close()


def test_a_login_made_on_one_is_valid_on_the_other_and_a_logout_on_either_ends_it(
        deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    for made, ended in ((a, b), (b, a)):
        session = made.login()
        other = requests.Session()
        other.cookies.update(session.cookies)
        other.headers.update(session.headers)
        assert other.get(ended.url + "/api/clients", timeout=5).status_code == 200
        assert other.post(ended.url + "/api/logout", timeout=5).status_code == 200
        assert session.get(made.url + "/api/clients", timeout=5).status_code == 401
        assert other.get(ended.url + "/api/clients", timeout=5).status_code == 401


def test_a_login_rate_limit_counts_across_both_replicas(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    headers = {"X-Forwarded-For": "203.0.113.7"}
    codes = [requests.post(srv.url + "/api/login", json={"password": "wrong"}, headers=headers,
                           timeout=5).status_code for srv in (a, b, a, b, a, b, a, b)]
    # Six attempts a minute for this address in all: three on each replica, then 429 on both.
    assert codes == [401] * 6 + [429, 429]
    r = requests.post(b.url + "/api/login", json={"password": "wrong"}, headers=headers, timeout=5)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["message"] == "too many login attempts"


def test_a_client_added_or_removed_on_one_is_seen_by_the_other_at_once(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    client_id, token = a.add_client("moves-1")
    listed = {c["id"] for c in b.admin().get(b.url + "/api/clients", timeout=5).json()["clients"]}
    assert client_id in listed
    assert report(b.url, token, [sample(now() - 5)])["stored"] == 1
    assert b.admin().delete(f"{b.url}/api/clients/{client_id}", timeout=5).status_code in (200, 204)
    assert a.admin().get(f"{a.url}/api/clients/{client_id}", timeout=5).status_code == 404
    r = requests.post(a.url + "/api/report", json={"samples": [sample(now() - 4)]},
                      headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert r.status_code == 401


def test_a_host_watched_on_one_replica_gets_the_one_second_hint_from_the_other(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    client_id, token = a.add_client("watched-1")
    assert report(a.url, token, [sample(now() - 3)])["report_interval"] == 10
    ws = viewer(b)
    try:
        first(ws, "hello")
        ws.send(json.dumps({"subscribe": [client_id]}))
        first(ws, "subscribed", clients=[client_id])
        deadline = time.monotonic() + 3
        hints = []
        while time.monotonic() < deadline:
            hints.append(report(a.url, token, [sample(now() - 2)])["report_interval"])
            if hints[-1] == 1 and len(hints) > 1 and hints[-2] == 1:
                break
            time.sleep(0.2)
        assert hints[-2:] == [1, 1], hints  # both of a's workers (or the same one twice) say 1 s
    finally:
        ws.close()


def test_redis_down_degrades_the_live_feed_only_and_everything_recovers_when_it_returns(
        deployment: Deployment) -> None:
    a, b, redis = deployment.a, deployment.b, deployment.redis
    client_id, token = a.add_client("outage-1")
    ws = viewer(b)
    try:
        first(ws, "hello")
        redis.kill()
        assert first(ws, "feed", timeout=5)[0]["degraded"] is True
        for srv in (a, b):
            health = requests.get(srv.url + "/healthz", timeout=5)
            assert health.status_code == 200
            assert health.json() == {"status": "degraded", "store": "influxdb", "metadata": "ok",
                                     "shared": {"redis": "down"}}
        # Ingest, queries and logins go on.
        assert report(a.url, token, [sample(now() - 10)])["stored"] == 1
        assert report(b.url, token, [sample(now() - 9)])["stored"] == 1
        assert b.login().get(b.url + "/api/clients", timeout=5).status_code == 200
        r = b.admin().get(f"{b.url}/api/metrics/{client_id}", params={"range": "1h"}, timeout=5)
        assert r.status_code == 200
        redis.start()  # the same port, empty: nothing was persisted
        assert first(ws, "feed", timeout=10)[0]["degraded"] is False
        for srv in (a, b):
            deadline = time.monotonic() + 5
            while requests.get(srv.url + "/healthz", timeout=5).json()["status"] != "ok":
                assert time.monotonic() < deadline
                time.sleep(0.2)
        ts = now() - 1
        began = time.monotonic()
        report(a.url, token, [sample(ts)])
        f, _ = first(ws, "samples", timeout=2, client_id=client_id)
        assert time.monotonic() - began < 1.0 and [s["ts"] for s in f["samples"]] == [ts]
    finally:
        ws.close()


def test_kill_one_replica_and_the_other_serves_everything(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    client_id, token = b.add_client("survivor-1")
    ws = viewer(b)
    try:
        first(ws, "hello")
        a.stop(signal.SIGKILL)
        assert requests.get(b.url + "/healthz", timeout=5).json()["status"] == "ok"
        ts = now() - 1
        report(b.url, token, [sample(ts)])
        f, _ = first(ws, "samples", timeout=5, client_id=client_id)  # serving, not timing: the machine is shared
        assert [s["ts"] for s in f["samples"]] == [ts]
        assert b.login().get(b.url + "/api/clients", timeout=5).status_code == 200
    finally:
        ws.close()
