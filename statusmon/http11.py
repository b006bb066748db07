"""A minimal HTTP/1.1 exchange over a connected socket: the agent's reports to the API (TCP, TLS) and its
Docker socket (unix), and the API's writes to InfluxDB (statusmon/store/influxwire.py).

Why not http.client: importing it loads ssl (OpenSSL) and the email package, about 6.5 MiB of resident
memory (bench/agent measures it) in an agent whose budget is 25 MiB; and on the API's ingest path, requests
over http.client spent more CPU per write than building the line protocol. One request shape (a POST or a
GET with a known body) and replies with Content-Length, chunked or close-delimited bodies; no more.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

MAX_LINE = 65536
MAX_HEADERS = 100


class HttpError(OSError):
    """The peer answered something that is not HTTP/1.x: treated like a network failure (retried)."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == name), None)


def exchange(sock: socket.socket, method: str, host: str, path: str, headers: Mapping[str, str],
             body: bytes = b"", max_body: int = 1 << 20) -> tuple[Reply, bool]:
    """Send one request and read the reply: (reply, whether the connection may be reused)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    with sock.makefile("rb") as f:
        status_line = f.readline(MAX_LINE).decode("latin-1")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"not an HTTP reply: {status_line[:80]!r}")
        status = int(parts[1])
        reply_headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = f.readline(MAX_LINE).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, sep, value = line.partition(":")
            if sep:
                reply_headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError("too many reply headers")
        reusable = parts[0] == "HTTP/1.1" and reply_headers.get("connection", "").lower() != "close"
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            data = b""
        elif "chunked" in reply_headers.get("transfer-encoding", "").lower():
            data, complete = _read_chunked(f, max_body)
            reusable = reusable and complete
        elif "content-length" in reply_headers:
            try:
                length = int(reply_headers["content-length"])
            except ValueError:
                raise HttpError("bad Content-Length") from None
            data = f.read(min(length, max_body))
            if len(data) < min(length, max_body):
                raise HttpError("reply body cut short")
            reusable = reusable and length <= max_body
        else:
            data, reusable = f.read(max_body), False
    return Reply(status, data, reply_headers), reusable


def _read_chunked(f: io.BufferedIOBase, max_body: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size_read = 0
    while True:
        size_line = f.readline(MAX_LINE)
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise HttpError("bad chunk size") from None
        if size == 0:
            while f.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks), True
        if size_read + size > max_body:
            return b"".join(chunks), False
        chunk = f.read(size + 2)
        if len(chunk) < size + 2:
            raise HttpError("reply body cut short")
        chunks.append(chunk[:size])
        size_read += size


class KeptAlive:
    """Kept-alive connections to one server: up to ``max_idle`` idle sockets are reused, and a request sent on
    a reused socket that the server closed meanwhile is sent once more on a fresh one."""

    def __init__(self, connect: Callable[[], socket.socket], max_idle: int = 1) -> None:
        self._connect = connect
        self._max_idle = max_idle
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()

    def request(self, method: str, host: str, path: str, headers: Mapping[str, str], body: bytes = b"",
                max_body: int = 1 << 20) -> Reply:
        """One exchange; OSError on network failure or a reply that is not HTTP."""
        for attempt in (1, 2):
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            reused = sock is not None
            if sock is None:
                sock = self._connect()
            try:
                reply, reusable = exchange(sock, method, host, path, headers, body, max_body)
            except OSError:
                sock.close()
                if reused and attempt == 1:
                    continue
                raise
            with self._lock:
                if reusable and len(self._idle) < self._max_idle:
                    self._idle.append(sock)
                    sock = None
            if sock is not None:
                sock.close()
            return reply
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()
