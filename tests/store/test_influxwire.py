"""InfluxStore's write path without requests (statusmon/store/influxwire.py), against a real HTTP peer on loopback
that plays InfluxDB's /write: the request it receives, connection reuse, a stale kept-alive connection, the
status mapping, and the fallback to requests when a proxy applies. Writes to a real influxd are covered by
the store contract suite."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from statusmon.store.base import Sample, StoreError, StoreUnavailable
from statusmon.store.influx import InfluxStore


@dataclass
class Peer:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)
    replies: list[tuple[int, bytes]] = field(default_factory=list)  # scripted, then 204
    close_after_reply: bool = False


@pytest.fixture
def peer() -> Iterator[Peer]:
    state = Peer("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.connections.add(self.client_address[1])  # the client port: one per connection
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body.decode()})
            status, reply = state.replies.pop(0) if state.replies else (204, b"")
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            if state.close_after_reply:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/influx"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def store_for(peer: Peer, **kw: Any) -> InfluxStore:
    store = InfluxStore(peer.url, db="metrics", timeout=5, **kw)
    store._ready = True  # no /ping or CREATE DATABASE: this peer only plays /write
    return store


SAMPLES = [Sample(1_700_000_000 + i, {"cpu_percent": 10.0 + i}) for i in range(3)]


def test_a_write_carries_the_path_prefix_query_token_and_line_protocol(peer: Peer) -> None:
    store = store_for(peer, token="s3cret", rp="week")
    assert store.write("c1", "web-1", SAMPLES) == 3
    (req,) = peer.requests
    assert req["path"] == "/influx/write?db=metrics&precision=s&rp=week"
    assert req["headers"]["Authorization"] == "Token s3cret"
    assert req["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    lines = req["body"].splitlines()
    assert len(lines) == 3 and lines[0].startswith("system,client_id=c1,host=web-1 ")
    assert lines[0].endswith(" 1700000000") and "cpu_percent=10" in lines[0]


def test_basic_auth_for_user_and_password(peer: Peer) -> None:
    store_for(peer, user="ann", password="pw:1").write("c1", "web-1", SAMPLES[:1])
    auth = peer.requests[0]["headers"]["Authorization"]
    assert auth == "Basic " + base64.b64encode(b"ann:pw:1").decode()


def test_writes_reuse_one_kept_alive_connection(peer: Peer) -> None:
    store = store_for(peer)
    for i in range(5):
        store.write("c1", "web-1", [Sample(1_700_000_100 + i, {"cpu_percent": 1.0})])
    assert len(peer.requests) == 5
    assert len(peer.connections) == 1


def test_a_connection_the_server_closed_is_replaced(peer: Peer) -> None:
    peer.close_after_reply = True
    store = store_for(peer)
    for i in range(3):
        store.write("c1", "web-1", [Sample(1_700_000_200 + i, {"cpu_percent": 1.0})])
    assert len(peer.requests) == 3  # each write got through, none twice
    assert len(peer.connections) == 3


def test_refusals_and_failures_keep_their_meaning(peer: Peer) -> None:
    store = store_for(peer)
    peer.replies = [(400, b'{"error":"partial write: field type conflict"}'), (503, b"overloaded")]
    with pytest.raises(StoreError, match=r"refused the write \(400\): partial write: field type conflict"):
        store.write("c1", "web-1", SAMPLES)
    with pytest.raises(StoreUnavailable, match="503"):
        store.write("c1", "web-1", SAMPLES)
    down = InfluxStore("http://127.0.0.1:9", db="metrics", timeout=2)
    down._ready = True
    with pytest.raises(StoreUnavailable, match="unreachable"):
        down.write("c1", "web-1", SAMPLES)


def test_with_a_proxy_for_influxdb_writes_go_through_requests(peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", peer.url.rsplit("/", 1)[0])  # the peer plays the proxy, too
    monkeypatch.setenv("NO_PROXY", "")
    store = InfluxStore("http://influxdb.invalid:8086", db="metrics", timeout=5)
    store._ready = True
    assert store._wire is None
    store.write("c1", "web-1", SAMPLES[:1])
    (req,) = peer.requests
    assert req["path"] == "http://influxdb.invalid:8086/write?db=metrics&precision=s"  # absolute: a proxy request
