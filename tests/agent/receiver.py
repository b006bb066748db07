"""A real HTTP peer on loopback that plays the API's ``POST /api/report``, with scripted replies.

It stores samples the way the real store does (same ts overwrites), counts how often each ts arrived and keeps
every request, so tests can check what the agent sent field for field. Used where a fault needs a reply the
real server would not give on demand (500, 500, 200; 413; a poison batch); the fault tests against the real
server use tests/support/server.py.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    headers: dict[str, str]
    payload: dict[str, Any]
    status: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    def __init__(self, port: int = 0, token: str = "t0ken", report_interval: int | None = None) -> None:
        self.token = token
        self.report_interval = report_interval
        self.script: list[Scripted] = []
        self.judge: Callable[[dict[str, Any]], Scripted | None] | None = None  # per-payload reply override
        self.requests: list[Received] = []
        self.stored: dict[int, dict[str, Any]] = {}
        self.arrivals: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.port = port or free_port()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payload = json.loads(gzip.decompress(raw)) if raw else {}
                reply = receiver._reply(dict(self.headers), payload)
                body = json.dumps(reply.body or {}).encode()
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _reply(self, headers: dict[str, str], payload: dict[str, Any]) -> Scripted:
        with self.lock:
            if headers.get("Authorization") != f"Bearer {self.token}":
                reply = Scripted(401, {"error": {"code": "unauthorized", "message": "bad token"}})
            elif self.script:
                reply = self.script.pop(0)
            else:
                reply = (self.judge(payload) if self.judge else None) or self._ok(payload)
            self.requests.append(Received(headers, payload, reply.status))
            if 200 <= reply.status < 300:
                for s in payload["samples"]:
                    self.stored[s["ts"]] = s
                    self.arrivals[s["ts"]] += 1
            return reply

    def _ok(self, payload: dict[str, Any]) -> Scripted:
        body: dict[str, Any] = {"stored": len(payload.get("samples", []))}
        if self.report_interval is not None:
            body["report_interval"] = self.report_interval
        return Scripted(200, body)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
