"""statusmon/http11.py's pipelining and its receive buffer, against real servers on a unix socket: a scripted
raw server (replies chunked as dockerd sends them, byte by byte, or cut off after a few) and the fake engine."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agent.collectors.containers import EngineClient
from statusmon.http11 import HttpError, KeptAlive, exchange, pipeline, request_bytes
from tests.agent.dockerengine import container, fake_engine


def chunked(doc: object) -> bytes:
    """A reply as dockerd writes a stats document: chunked, the closing chunk in a write of its own."""
    body = json.dumps(doc).encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n" % len(body) + body + b"\r\n" + b"0\r\n\r\n")


def sized(status: int, doc: object) -> bytes:
    body = json.dumps(doc).encode()
    return b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n" % (status, len(body)) + body


@contextmanager
def scripted(path: str, replies: list[bytes], close_after: int | None = None,
             byte_by_byte: bool = False) -> Iterator[dict[str, int]]:
    """Answer each request read with the next of ``replies`` (one connection at a time); close the connection
    after ``close_after`` replies. ``seen["requests"]`` counts requests, ``seen["connections"]`` connections."""
    seen = {"requests": 0, "connections": 0}
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            seen["connections"] += 1
            with conn:
                buf, answered = b"", 0
                while True:
                    while b"\r\n\r\n" not in buf:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buf += data
                    if b"\r\n\r\n" not in buf:
                        break
                    _, buf = buf.split(b"\r\n\r\n", 1)
                    reply = replies[seen["requests"] % len(replies)]
                    seen["requests"] += 1
                    if byte_by_byte:
                        for i in range(len(reply)):
                            conn.sendall(reply[i:i + 1])
                    else:
                        conn.sendall(reply)
                    answered += 1
                    if close_after is not None and answered >= close_after:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.close()


def connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(path)
    return sock


def test_pipelined_replies_come_back_in_order_chunked_or_sized(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [chunked({"n": 1}), sized(404, {"message": "No such container"}), chunked({"n": 3})]) as seen:
        sock = connect(path)
        requests = [request_bytes("GET", "localhost", f"/r/{i}", {"Accept": "application/json"}) for i in range(3)]
        replies, reusable = pipeline(sock, requests)
        assert [r.status for r in replies] == [200, 404, 200]
        assert [json.loads(r.body) for r in replies] == [{"n": 1}, {"message": "No such container"}, {"n": 3}]
        assert reusable and seen == {"requests": 3, "connections": 1}
        reply, _ = exchange(sock, "GET", "localhost", "/again", {})  # the same connection serves on
        assert reply.status == 200 and json.loads(reply.body) == {"n": 1}
        sock.close()


def test_a_reply_arriving_byte_by_byte_is_read_whole(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [chunked({"cpu": 12345}), sized(200, {"x": [1, 2]})], byte_by_byte=True):
        sock = connect(path)
        replies, reusable = pipeline(sock, [request_bytes("GET", "h", "/a", {}), request_bytes("GET", "h", "/b", {})])
        assert [json.loads(r.body) for r in replies] == [{"cpu": 12345}, {"x": [1, 2]}] and reusable
        sock.close()


def test_a_server_closing_mid_pipeline_gives_the_replies_it_sent_and_none_for_the_rest(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [sized(200, {"ok": True})], close_after=2) as seen:
        sock = connect(path)
        replies, reusable = pipeline(sock, [request_bytes("GET", "h", f"/{i}", {}) for i in range(4)])
        assert len(replies) == 2 and not reusable
        sock.close()
        conn = KeptAlive(lambda: connect(path))
        assert len(conn.pipeline([request_bytes("GET", "h", f"/{i}", {}) for i in range(4)])) == 2
        assert seen["connections"] == 2


def test_get_many_falls_back_to_one_request_a_connection_behind_a_proxy_that_does_not_pipeline(
        tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [sized(200, {"ok": True}), sized(200, {"ok": False})], close_after=1) as seen:
        engine = EngineClient(path)
        assert engine.get_many(["/a", "/b", "/c"], dict) == [{"ok": True}, {"ok": False}, {"ok": True}]
        assert seen == {"requests": 3, "connections": 3}


def test_get_many_with_the_daemon_gone_answers_none_for_each(tmp_path: Path) -> None:
    engine = EngineClient(str(tmp_path / "missing.sock"))
    assert engine.get_many(["/a", "/b"], dict) == [None, None]


def test_no_reply_at_all_is_an_error(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with scripted(path, [b"garbage that is not HTTP\r\n\r\n"]):
        sock = connect(path)
        with pytest.raises(HttpError):
            pipeline(sock, [request_bytes("GET", "h", "/", {})])
        sock.close()


def test_get_many_against_the_fake_engine_batches_and_marks_unknown_containers(tmp_path: Path) -> None:
    cs = {c["id"]: c for c in (container(i, cpu_ns=i) for i in range(70))}
    with fake_engine(str(tmp_path / "docker.sock"), cs) as engine:
        client = EngineClient(engine["path"])
        ids = [f"{i:064x}" for i in range(70)]
        ids[40] = "f" * 64  # gone since the list: a 404 in the middle of a batch
        docs = client.get_many([f"/containers/{cid}/stats?stream=false&one-shot=true" for cid in ids], dict)
        assert len(docs) == 70 and docs[40] is None
        assert [d["cpu_stats"]["cpu_usage"]["total_usage"] for d in docs if d is not None] == \
            [i for i in range(70) if i != 40]
        assert engine["hits"]["stats"] == 69  # 70 requests in two batches (64, 6); the 404 is not a hit
        client.close()
