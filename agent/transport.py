"""The connection to the API: one kept-alive socket (TLS only for https), bounded reads, no http.client."""

from __future__ import annotations

import calendar
import socket
import time
import urllib.parse
from typing import Any

from agent.http11 import HttpError, Reply, exchange

__all__ = ["HttpError", "HttpTransport", "Reply", "parse_http_date", "parse_retry_after", "server_clock_skew"]

MAX_REPLY_BYTES = 1024 * 1024


def parse_http_date(value: str) -> float | None:
    """Unix time of an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), the form HTTP/1.1 servers send."""
    try:
        return float(calendar.timegm(time.strptime(value.strip(), "%a, %d %b %Y %H:%M:%S GMT")))
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = parse_http_date(value)
    return None if when is None else max(0.0, when - now)


def server_clock_skew(reply: Reply, now: float) -> float | None:
    """Local clock minus the server's (from the reply's Date header), in seconds; None without a Date."""
    date = reply.header("Date")
    when = parse_http_date(date) if date else None
    return None if when is None else now - when


class HttpTransport:
    def __init__(self, server: str, token: str, timeout: float) -> None:
        url = urllib.parse.urlsplit(server)
        self._https = url.scheme == "https"
        self._host = url.hostname or "localhost"
        self._port = url.port or (443 if self._https else 80)
        self._host_header = url.netloc.rsplit("@", 1)[-1]
        self._path = url.path.rstrip("/") + "/api/report"
        self._token = token
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._ssl_context: Any = None

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        if self._https:
            if self._ssl_context is None:
                import ssl  # only for https servers: OpenSSL costs about 5 MiB of resident memory

                self._ssl_context = ssl.create_default_context()
            sock = self._ssl_context.wrap_socket(sock, server_hostname=self._host)
        return sock

    def post_report(self, gz_body: bytes) -> Reply:
        """POST one gzip-compressed report; OSError on network failure or a non-HTTP answer."""
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json",
                   "Content-Encoding": "gzip", "User-Agent": "statusmon-agent"}
        for attempt in (1, 2):
            reused = self._sock is not None
            if self._sock is None:
                self._sock = self._connect()
            try:
                reply, reusable = exchange(self._sock, "POST", self._host_header, self._path, headers,
                                           gz_body, MAX_REPLY_BYTES)
            except OSError:
                self.close()
                if reused and attempt == 1:  # the server closed a kept-alive connection: one fresh try
                    continue
                raise
            if not reusable:
                self.close()
            return reply
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
