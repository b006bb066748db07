"""The live feed over a real `statusmon server` (gunicorn + gevent): auth, Origin, fan-out, subscribe,
the report-interval hint, online/offline changes, and a stalled viewer dropped without slowing ingest."""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from simple_websocket import Client

from tests.live.fake import cookie_header, now, raw_upgrade, report, sample, unpack
from tests.support.server import ServerProcess, start_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with start_server(tmp_path_factory.mktemp("live"), report_rate_per_minute="100000",
                      login_rate_per_minute="1000") as srv:
        yield srv
        srv.stop(signal.SIGINT)  # quick shutdown: open WebSockets would hold a graceful one for 10 s


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> requests.Session:
    return server.admin()


def viewer(server: ServerProcess, admin: requests.Session) -> Client:
    # No Origin header: simple_websocket sends Host without the port, so an Origin would never match (the
    # browser's case is covered by the raw handshakes above and by the e2e tests).
    headers = {"Cookie": cookie_header(admin)}
    return Client.connect(server.url.replace("http", "ws") + "/ws/live", headers=headers)


def subscribe(*client_ids: str) -> str:
    return json.dumps({"subscribe": list(client_ids)})


def frames_until(ws: Client, pred: Callable[[dict[str, Any]], bool],
                 timeout: float = 5) -> list[dict[str, Any]]:
    """Every frame received until one matches ``pred`` (inclusive); fails after ``timeout`` s."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        if msg is None:
            continue
        for f in unpack(msg):
            seen.append(f)
            if pred(f):
                return seen
    raise AssertionError(f"no matching frame in {timeout} s; got {[f.get('type') for f in seen]}")


def drain(ws: Client, quiet: float = 0.3) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while (msg := ws.receive(timeout=quiet)) is not None:
        out += unpack(msg)
    return out


def test_it_refuses_the_upgrade_without_a_session(server: ServerProcess) -> None:
    sock, status, head = raw_upgrade(server.url)
    sock.close()
    assert status == 401, head


def test_it_refuses_the_upgrade_from_another_origin(server: ServerProcess, admin: requests.Session) -> None:
    sock, status, head = raw_upgrade(server.url, headers={"Cookie": cookie_header(admin),
                                                          "Origin": "https://evil.example"})
    sock.close()
    assert status == 403, head
    assert b"application/json" in head


def test_it_accepts_its_own_origin(server: ServerProcess, admin: requests.Session) -> None:
    sock, status, head = raw_upgrade(server.url, headers={"Cookie": cookie_header(admin),
                                                          "Origin": server.url})
    sock.close()
    assert status == 101, head


def test_a_new_viewer_gets_every_clients_samples_and_subscribe_narrows_it(
        server: ServerProcess, admin: requests.Session) -> None:
    a_id, a_tok = server.add_client("narrow-a")
    b_id, b_tok = server.add_client("narrow-b")
    ws = viewer(server, admin)
    try:
        hello = frames_until(ws, lambda f: f["type"] == "hello")[-1]
        assert hello["live_interval"] == 1
        t = now()
        report(server.url, a_tok, [sample(t - 1), sample(t)])
        report(server.url, b_tok, [sample(t)])
        got = frames_until(ws, lambda f: f["type"] == "samples" and f["client_id"] == b_id)
        a_frames = [f for f in got if f["type"] == "samples" and f["client_id"] == a_id]
        # The overview gets the newest sample of each batch; a detail page (below) every sample.
        assert a_frames and [s["ts"] for s in a_frames[0]["samples"]] == [t]
        assert a_frames[0]["hostname"] == "narrow-a"
        assert a_frames[0]["samples"][0]["disks"][0]["used_percent"] == 50.0

        ws.send(subscribe(a_id))
        frames_until(ws, lambda f: f["type"] == "subscribed" and f["clients"] == [a_id])
        report(server.url, b_tok, [sample(t + 1)])
        report(server.url, a_tok, [sample(t + 1), sample(t + 2)])
        got = frames_until(ws, lambda f: f["type"] == "samples" and f["client_id"] == a_id)
        assert not [f for f in got if f.get("client_id") == b_id]
        assert [s["ts"] for s in got[-1]["samples"]] == [t + 1, t + 2]

        ws.send("not json")
        assert frames_until(ws, lambda f: f["type"] == "error")[-1]["message"]
    finally:
        ws.close()


def _hint(server: ServerProcess, token: str) -> int:
    return int(report(server.url, token, [sample(now())])["report_interval"])


def test_the_interval_hint_drops_to_one_second_while_a_detail_page_watches(
        server: ServerProcess, admin: requests.Session) -> None:
    cid, tok = server.add_client("hinted")
    other_id, other_tok = server.add_client("not-watched")
    assert _hint(server, tok) == 10
    overview = viewer(server, admin)  # watching everything is not watching one client
    detail = viewer(server, admin)
    try:
        assert _hint(server, tok) == 10
        detail.send(subscribe(cid))
        frames_until(detail, lambda f: f["type"] == "subscribed")
        assert _hint(server, tok) == 1
        assert _hint(server, other_tok) == 10
        detail.send('{"subscribe": null}')  # back to the overview
        frames_until(detail, lambda f: f["type"] == "subscribed" and f["clients"] is None)
        assert _hint(server, tok) == 10
        detail.send(subscribe(cid))
        frames_until(detail, lambda f: f["type"] == "subscribed" and f["clients"] == [cid])
        assert _hint(server, tok) == 1
    finally:
        detail.close()
        overview.close()
    deadline = time.monotonic() + 5
    while _hint(server, tok) != 10:  # the server notices the closed socket
        assert time.monotonic() < deadline, "the hint stayed at 1 s after the page closed"
        time.sleep(0.1)


def test_it_publishes_online_and_offline_changes(server: ServerProcess, admin: requests.Session) -> None:
    r = admin.post(server.url + "/api/settings", json={"online_timeout_seconds": 5}, timeout=10)
    r.raise_for_status()
    cid, tok = server.add_client("flappy")
    ws = viewer(server, admin)
    try:
        ws.send(subscribe(cid))
        frames_until(ws, lambda f: f["type"] == "subscribed")
        time.sleep(2.5)  # let the presence loop take its baseline
        report(server.url, tok, [sample(now())])
        frames_until(ws, lambda f: f["type"] == "status" and f["online"] is True)
        off = frames_until(ws, lambda f: f["type"] == "status", timeout=10)[-1]
        assert off == {"type": "status", "client_id": cid, "hostname": "flappy", "online": False,
                       "last_seen": off["last_seen"]}
        admin.delete(server.url + f"/api/clients/{cid}", timeout=10).raise_for_status()
        frames_until(ws, lambda f: f["type"] == "removed" and f["client_id"] == cid)
    finally:
        ws.close()
        admin.post(server.url + "/api/settings", json={"online_timeout_seconds": 60}, timeout=10)


def test_a_stalled_viewer_is_dropped_without_slowing_ingest_or_other_viewers(
        server: ServerProcess, admin: requests.Session) -> None:
    cid, tok = server.add_client("firehose")
    stalled, status, _ = raw_upgrade(server.url, headers={"Cookie": cookie_header(admin)}, rcvbuf=4096)
    assert status == 101
    # A detail page (every sample) that then stops reading; sent by hand as a masked client frame.
    msg = subscribe(cid).encode()
    stalled.sendall(bytes((0x81, 0x80 | len(msg))) + b"\0\0\0\0" + msg)  # all-zero mask: payload as is
    healthy = viewer(server, admin)
    before = admin.get(server.url + "/api/live", timeout=10).json()
    try:
        frames_until(healthy, lambda f: f["type"] == "hello")
        http = requests.Session()
        durations: list[float] = []
        t0 = now() - 3000
        # ~0.7 MB frames: the stalled socket's kernel buffers (up to 4 MiB) fill, then its queue overflows.
        while len(durations) < 60:
            i = len(durations)
            start = time.monotonic()
            report(server.url, tok, [_bulky(t0 + i * 30 + j) for j in range(30)], session=http)
            durations.append(time.monotonic() - start)
            if i % 3 == 2 and admin.get(server.url + "/api/live", timeout=10).json()["dropped_total"] > \
                    before["dropped_total"]:
                break
        after = admin.get(server.url + "/api/live", timeout=10).json()
        assert after["dropped_total"] == before["dropped_total"] + 1, f"kept after {len(durations)} posts"
        assert max(durations) < 1.0, f"ingest slowed down: max {max(durations):.3f} s"
        got = [f for f in drain(healthy, quiet=1.0) if f["type"] == "samples" and f["client_id"] == cid]
        assert len(got) == len(durations)  # the healthy viewer missed no batch
        # The server hung up on the stalled viewer: reading on, we reach the end of the stream.
        stalled.settimeout(10)
        assert _read_to_end(stalled), "the stalled viewer was never disconnected"
    finally:
        stalled.close()
        healthy.close()


def _bulky(ts: int) -> dict[str, Any]:
    """A sample near the size limits (long mount and GPU names): few posts fill a stalled viewer's buffers."""
    s = sample(ts, mounts=24, gpus=8)
    for i, d in enumerate(s["disks"]):
        d["mount"] = f"/{i:03d}/" + "m" * 250
    for g in s["gpus"]:
        g["name"] = "n" * 256
        g["uuid"] = g["uuid"] + "u" * 200
    return s


def _read_to_end(sock: socket.socket) -> bool:
    """True once the peer closed (EOF or reset); False if it still sends nothing after the timeout."""
    try:
        while sock.recv(1 << 20):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True
