"""A minimal HTTP/1.1 exchange over a connected socket: the agent's reports to the API (TCP, TLS) and its
Docker socket (unix), and the API's writes to InfluxDB (statusmon/store/influxwire.py).

Why not http.client: importing it loads ssl (OpenSSL) and the email package, about 6.5 MiB of resident
memory (bench/agent measures it) in an agent whose budget is 25 MiB; and on the API's ingest path, requests
over http.client spent more CPU per write than building the line protocol. One request shape (a POST or a
GET with a known body), several GETs pipelined on one connection (the agent's per-container Docker reads), and
replies with Content-Length, chunked or close-delimited bodies; no more.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

MAX_LINE = 65536
MAX_HEADERS = 100
RECV_BYTES = 16384  # a few Docker stats replies a read, without a large buffer for every read
PIPELINE_RECV_BYTES = 65536  # a gathered read of pipelined replies: a dozen or more Docker stats replies
T = TypeVar("T")


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


def request_bytes(method: str, host: str, path: str, headers: Mapping[str, str], body: bytes = b"") -> bytes:
    """One request as it goes on the wire."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("latin-1") + body


class Received:
    """The bytes read from a socket and not yet consumed (``buf[pos:]``): one ``recv`` often holds a whole reply
    (or several, pipelined), where a buffered file object per exchange cost a reader and a line loop per header.
    Consuming moves ``pos`` instead of copying the rest of the buffer, so a read holding thirty pipelined replies
    is not copied thirty times.

    ``gather`` (seconds, pipelined reads only): wait that long before each read, so that replies a server
    writes one by one (dockerd answers pipelined requests in turn) arrive several to a read: a few reads and
    wake-ups per batch instead of one per reply, which is most of a poll's CPU (see README "Footprint")."""

    __slots__ = ("buf", "gather", "pos", "recv_bytes", "sock")

    def __init__(self, sock: socket.socket, gather: float = 0.0, recv_bytes: int = RECV_BYTES) -> None:
        self.sock = sock
        self.buf = b""
        self.pos = 0
        self.gather = gather
        self.recv_bytes = recv_bytes

    def _pause(self) -> float:
        """Seconds to wait before the next read."""
        return self.gather

    def _more(self) -> bool:
        if pause := self._pause():
            time.sleep(pause)
        data = self.sock.recv(self.recv_bytes)
        if data:
            self.buf = self.buf[self.pos:] + data if self.pos < len(self.buf) else data
            self.pos = 0
        return bool(data)

    def pending(self) -> int:
        return len(self.buf) - self.pos

    def head(self) -> bytes:
        """The status line and headers, up to the blank line (consumed)."""
        scanned = 0  # bytes after pos already searched for the blank line
        while True:
            end = self.buf.find(b"\r\n\r\n", self.pos + scanned)
            if end >= 0:
                head, self.pos = self.buf[self.pos:end], end + 4
                return head
            if len(self.buf) - self.pos > MAX_LINE * 2:
                raise HttpError("reply headers too large")
            scanned = max(0, len(self.buf) - self.pos - 3)
            if not self._more():
                raise HttpError(f"not an HTTP reply: {self.buf[self.pos:self.pos + 80]!r}")

    def readline(self, limit: int) -> bytes:
        scanned = 0  # bytes after pos already searched for the newline
        while True:
            stop = self.pos + limit
            end = self.buf.find(b"\n", self.pos + scanned, stop)
            if end >= 0 or len(self.buf) >= stop:
                n = end + 1 if end >= 0 else stop
                line, self.pos = self.buf[self.pos:n], n
                return line
            scanned = len(self.buf) - self.pos
            if not self._more():
                line, self.buf, self.pos = self.buf[self.pos:], b"", 0
                return line

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only when the peer closed)."""
        if len(self.buf) - self.pos < n:  # a list of parts: appending to bytes would copy a large body again
            parts, have = [self.buf[self.pos:]], len(self.buf) - self.pos
            while have < n:
                data = self.sock.recv(min(max(n - have, self.recv_bytes), 1 << 20))
                if not data:
                    break
                parts.append(data)
                have += len(data)
            self.buf, self.pos = b"".join(parts), 0
        data = self.buf[self.pos:self.pos + n]
        self.pos += len(data)
        return data


def exchange(sock: socket.socket, method: str, host: str, path: str, headers: Mapping[str, str],
             body: bytes = b"", max_body: int = 1 << 20) -> tuple[Reply, bool]:
    """Send one request and read the reply: (reply, whether the connection may be reused)."""
    sock.sendall(request_bytes(method, host, path, headers, body))
    return read_reply(Received(sock), method, max_body)


def pipeline(sock: socket.socket, requests: list[bytes], method: str = "GET",
             max_body: int = 1 << 20, gather: float = 0.0) -> tuple[list[Reply], bool]:
    """Send several requests (``request_bytes``) at once and read their replies in order (HTTP/1.1 pipelining:
    one write and a few reads for the lot instead of a round trip each): (replies, whether the connection may
    be reused). Fewer replies than requests when the server closed the connection on the way; OSError when
    not even the first came back. Keep the batch small (its requests must fit the socket's send buffer, since
    nothing is read until all are sent). ``gather``: seconds to let replies pile up before each read (see
    ``Received``)."""
    sock.sendall(b"".join(requests))
    received = Received(sock, gather, PIPELINE_RECV_BYTES if gather else RECV_BYTES)
    replies: list[Reply] = []
    reusable = True
    for _ in requests:
        try:
            reply, reusable = read_reply(received, method, max_body)
        except OSError:
            if not replies:
                raise
            return replies, False
        replies.append(reply)
        if not reusable:
            break
    return replies, reusable and len(replies) == len(requests) and not received.pending()


def read_reply(received: Received, method: str, max_body: int) -> tuple[Reply, bool]:
    head = received.head().decode("latin-1").split("\r\n")
    status_line = head[0]
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"not an HTTP reply: {status_line[:80]!r}")
    status = int(parts[1])
    if len(head) > MAX_HEADERS + 1:
        raise HttpError("too many reply headers")
    reply_headers: dict[str, str] = {}
    for line in head[1:]:
        name, sep, value = line.partition(":")
        if sep:
            reply_headers[name.strip().lower()] = value.strip()
    reusable = parts[0] == "HTTP/1.1" and reply_headers.get("connection", "").lower() != "close"
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        data = b""
    elif "chunked" in reply_headers.get("transfer-encoding", "").lower():
        data, complete = read_chunked(received, max_body)
        reusable = reusable and complete
    elif "content-length" in reply_headers:
        try:
            length = int(reply_headers["content-length"])
        except ValueError:
            raise HttpError("bad Content-Length") from None
        data = received.read(min(length, max_body))
        if len(data) < min(length, max_body):
            raise HttpError("reply body cut short")
        reusable = reusable and length <= max_body
    else:
        data, reusable = received.read(max_body), False
    return Reply(status, data, reply_headers), reusable


def read_chunked(f: Received, max_body: int) -> tuple[bytes, bool]:
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
        return self._on_socket(lambda sock: exchange(sock, method, host, path, headers, body, max_body))

    def pipeline(self, requests: list[bytes], method: str = "GET", max_body: int = 1 << 20,
                 gather: float = 0.0) -> list[Reply]:
        """Several requests (``request_bytes``) pipelined on one connection (see ``pipeline``): their replies in
        order, fewer when the server closed the connection on the way; OSError when none came back."""
        return self._on_socket(lambda sock: pipeline(sock, requests, method, max_body, gather))

    def _on_socket(self, use: Callable[[socket.socket], tuple[T, bool]]) -> T:
        for attempt in (1, 2):
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            reused = sock is not None
            if sock is None:
                sock = self._connect()
            try:
                result, reusable = use(sock)
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
            return result
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()
