"""The containers poll's Docker Engine API client: GETs over one kept-alive unix-socket connection, pipelined
``PIPELINE_BATCH`` at a time (a write and a few reads per batch rather than a round trip per container:
dockerd's Go server answers pipelined requests one by one, in order, golang/go#17799), with a reply reader of
its own.

Why not ``statusmon.http11`` (which the agent's reports and ``docker.py`` use): a poll of 50 containers reads
about 50 replies every 10 s, and per reply http11 splits and lower-cases every header line into a dict and
builds a ``Reply``; here a reply is its status and body, found with a few ``bytes.find`` in the receive buffer
(the headers lower-cased once, only Content-Length, Transfer-Encoding and Connection looked up). Bodies are
Content-Length, chunked (dockerd chunks a reply over 2 kB) or close-delimited, as http11 reads them. And
``json.loads`` of bytes decodes them with the ``surrogatepass`` handler, off CPython's fast ASCII path, and
goes through three Python frames: ``loads`` here decodes with the default handler and calls the C scanner.
See README "Footprint" for what each saves.

Not thread-safe: one poll at a time (``ContainersCollector.refresh`` starts one only when none runs).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

from statusmon.http11 import HttpError, Received, read_chunked

PIPELINE_BATCH = 64  # requests sent at once: ~7 kB, well inside a unix socket's send buffer
# Reads of pipelined replies wait for them to pile up: dockerd writes them one by one, and a read per reply (a
# wake-up of the thread and a recv each, about 35 us on the cold caches of a poll every 10 s) cost more agent
# CPU than parsing them. The first read waits PIPELINE_GATHER; each later one as long as the replies still due
# took so far, each (from the send to the last reply parsed), at most GATHER_MAX: a few reads a batch from a
# daemon answering at a steady pace, instead of one every 2 ms (about 10 for 50 replies of the fake engine).
PIPELINE_GATHER = 0.002
GATHER_MAX = 0.05
RECV_BYTES = 65536
MAX_HEAD = 131072
HEADERS = b"Host: localhost\r\nContent-Length: 0\r\nAccept: application/json\r\n\r\n"
# The C scanner json.loads ends in (it clears its memo after each call): (value, end) of the value at an index
SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
BLANKS = (" ", "\t", "\r", "\n")  # JSON's whitespace
MAX_BODY = 1024 * 1024
T = TypeVar("T")


def loads(body: bytes | str) -> Any:
    """``json.loads(body)`` for a UTF-8 body (what the Engine API sends), without its detour: ValueError for
    what json.loads rejects (not UTF-8, not JSON, anything after the value but whitespace)."""
    text = body.decode() if type(body) is bytes else body
    assert isinstance(text, str)
    start = 0
    while text[start:start + 1] in BLANKS:
        start += 1
    try:
        value, end = SCAN(text, start)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(text) and text[end:].strip(" \t\r\n"):
        raise ValueError("extra data after the JSON value")
    return value


def members(text: str, keys: tuple[str, ...]) -> list[Any] | None:
    """Pure: the values of the top-level ``keys`` of the JSON object ``text``, each scanned alone where it
    stands (None for a key absent), without parsing the rest of the document; None when ``text`` is not an
    object or a value does not scan (the caller then parses the whole document).

    A key is found as the text ``"key":``, which cannot occur inside a JSON string (its quotes would be
    escaped), so only where that name is an object's key: the caller's keys must be names the document uses
    at its top level only (true of the Engine API's stats: ``cpu_stats``, ``memory_stats``, ``networks``)."""
    if not text.startswith("{"):
        return None
    out: list[Any] = []
    for key in keys:
        i = text.find(key)
        if i < 0:
            out.append(None)
            continue
        i += len(key)
        while text[i:i + 1] in BLANKS:
            i += 1
        try:
            out.append(SCAN(text, i)[0])
        except StopIteration:
            return None
    return out


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of header ``name`` (lower case, with the leading CRLF and trailing colon) in the lower-cased
    ``head``, or None."""
    i = head.find(name)
    if i < 0:
        return None
    i += len(name)
    j = head.find(b"\r\n", i)
    return head[i:j if j >= 0 else len(head)].strip()


class _Reader(Received):
    """statusmon.http11's buffer of received bytes, with waits that follow the replies' pace: ``gather`` seconds
    before the first read (0: none), then as long as the replies still ``due`` took so far, each (set by
    ``pipeline``; see PIPELINE_GATHER)."""

    __slots__ = ("done", "due", "sent")

    def __init__(self, sock: socket.socket, gather: float) -> None:
        super().__init__(sock, gather, RECV_BYTES)
        self.sent = time.monotonic()
        self.done = 0  # replies read so far
        self.due = 1

    def _pause(self) -> float:
        if self.gather and self.done:
            return max(self.gather, min(GATHER_MAX, (time.monotonic() - self.sent) * self.due / self.done))
        return self.gather

    def until(self, sep: bytes, limit: int) -> bytes:
        """The bytes up to ``sep`` (consumed with it); HttpError past ``limit`` bytes or when the peer closed."""
        scanned = 0
        while True:
            end = self.buf.find(sep, self.pos + scanned)
            if end >= 0:
                data, self.pos = self.buf[self.pos:end], end + len(sep)
                return data
            if len(self.buf) - self.pos > limit:
                raise HttpError("reply line or headers too long")
            scanned = max(0, len(self.buf) - self.pos - len(sep) + 1)
            if not self._more():
                raise HttpError("reply cut short")

    def reply(self, max_body: int) -> tuple[int, bytes, bool]:
        """The next reply: (status, body, whether the connection may be reused). A body over ``max_body`` is
        cut there (and the connection not reused); HttpError for what is not an HTTP/1.x reply."""
        head = self.until(b"\r\n\r\n", MAX_HEAD).lower()
        if not head.startswith(b"http/1.") or head[8:9] != b" " or not head[9:12].isdigit():
            raise HttpError(f"not an HTTP reply: {head[:80]!r}")
        status = int(head[9:12])
        reusable = head.startswith(b"http/1.1") and _header(head, b"\r\nconnection:") != b"close"
        if status in (204, 304) or 100 <= status < 200:
            return status, b"", reusable
        encoding = _header(head, b"\r\ntransfer-encoding:")
        if encoding is not None and b"chunked" in encoding:
            body, complete = read_chunked(self, max_body)
            return status, body, reusable and complete
        length = _header(head, b"\r\ncontent-length:")
        if length is None:
            return status, self.read(max_body), False
        try:
            n = int(length)
        except ValueError:
            raise HttpError("bad Content-Length") from None
        body = self.read(min(n, max_body))
        if len(body) < min(n, max_body):
            raise HttpError("reply body cut short")
        return status, body, reusable and n <= max_body

def pipeline(sock: socket.socket, wire: bytes, count: int, max_body: int,
             gather: float) -> tuple[list[tuple[int, bytes]], bool]:
    """Send ``count`` requests (``wire``, all at once) and read their replies in order: ([(status, body)],
    whether the connection may be reused). Fewer replies when the server closed on the way; OSError when not
    even the first came back."""
    reader = _Reader(sock, gather)
    sock.sendall(wire)
    replies: list[tuple[int, bytes]] = []
    reusable = True
    for done in range(count):
        reader.done, reader.due = done, count - done
        try:
            status, body, reusable = reader.reply(max_body)
        except OSError:
            if not replies:
                raise
            return replies, False
        replies.append((status, body))
        if not reusable:
            break
    return replies, reusable and len(replies) == count and reader.pos == len(reader.buf)


class EngineClient:
    """The Engine API reads of the containers poll over one kept-alive unix-socket connection (reconnected
    once when the daemon closed it while idle)."""

    def __init__(self, socket_path: str, timeout: float = 10.0) -> None:
        self._path = socket_path
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._requests: dict[str, bytes] = {}  # each path's request, built once (the same ids poll after poll)

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        return sock

    def _request(self, path: str) -> bytes:
        req = self._requests.get(path)
        if req is None:
            if len(self._requests) > 4000:  # containers come and go: forget the old ones now and then
                self._requests.clear()
            req = self._requests[path] = b"GET " + path.encode() + b" HTTP/1.1\r\n" + HEADERS
        return req

    def exchange(self, paths: list[str], max_body: int, gather: float = 0.0) -> list[tuple[int, bytes]]:
        """GET ``paths`` pipelined on the kept connection (a fresh one if it has none, or if the kept one
        fails: the daemon may have closed it while idle): their (status, body) in order, fewer when the
        daemon closed the connection on the way; OSError when none came back."""
        wire = b"".join([self._request(p) for p in paths])
        for attempt in (1, 2):
            sock, self._sock = self._sock, None
            reused = sock is not None
            if sock is None:
                sock = self._connect()
            try:
                replies, reusable = pipeline(sock, wire, len(paths), max_body, gather)
            except OSError:
                sock.close()
                if reused and attempt == 1:
                    continue
                raise
            if reusable:
                self._sock = sock
            else:
                sock.close()
            return replies
        raise AssertionError("unreachable")

    def get_body(self, path: str, max_body: int) -> bytes:
        """One GET's body; OSError when the daemon is unreachable or does not answer 200."""
        status, body = self.exchange([path], max_body)[0]
        if status != 200:
            raise OSError(f"GET {path} answered {status}")
        return body

    def get(self, path: str, max_body: int) -> Any:
        return loads(self.get_body(path, max_body))

    def get_bodies(self, paths: list[str], max_body: int = MAX_BODY) -> list[bytes | None]:
        """Each path's body, or None for one not answered 200 (a container gone since the list) or never
        answered; ``PIPELINE_BATCH`` at a time. A batch cut short (a proxy that closes after each reply) is
        finished one request at a time, stopping at the first network failure (the daemon is gone: the rest
        wait for the next poll)."""
        out: list[bytes | None] = []
        for i in range(0, len(paths), PIPELINE_BATCH):
            batch = paths[i:i + PIPELINE_BATCH]
            try:
                replies = self.exchange(batch, max_body, PIPELINE_GATHER)
            except OSError:
                replies = []
            for path in batch[len(replies):]:
                try:
                    replies += self.exchange([path], max_body)
                except OSError:
                    break
            out += [body if status == 200 else None for status, body in replies]
            out += [None] * (len(batch) - len(replies))
        return out

    def get_many(self, paths: list[str], parse: Callable[[Any], T], max_body: int = MAX_BODY) -> list[T | None]:
        """Each path's JSON through ``parse``, or None where there is no body (see ``get_bodies``) or it is
        not JSON of the shape ``parse`` reads."""
        out: list[T | None] = []
        for body in self.get_bodies(paths, max_body):
            try:
                out.append(None if body is None else parse(loads(body)))
            except (ValueError, AttributeError, TypeError):
                out.append(None)
        return out

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
