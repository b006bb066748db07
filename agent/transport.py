"""HTTP to the API with the standard library's http.client: one kept-alive connection, bounded reads.

Why not requests: importing it (urllib3, charset_normalizer, idna, certifi) adds several MiB of resident
memory to an agent whose budget is 25 MiB (see bench/agent); one POST every few seconds needs none of it.
"""

from __future__ import annotations

import email.utils
import http.client
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_REPLY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def server_clock_skew(reply: Reply, now: float) -> float | None:
    """Local clock minus the server's (from the reply's Date header), in seconds; None without a Date."""
    date = reply.header("Date")
    if not date:
        return None
    try:
        return now - email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None


class HttpTransport:
    def __init__(self, server: str, token: str, timeout: float) -> None:
        url = urllib.parse.urlsplit(server)
        self._https = url.scheme == "https"
        self._host = url.hostname or "localhost"
        self._port = url.port
        self._path = url.path.rstrip("/") + "/api/report"
        self._token = token
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._ssl_context = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            if self._ssl_context is None:
                import ssl  # only for https servers: the ssl module and CA bundle cost memory

                self._ssl_context = ssl.create_default_context()  # type: ignore[assignment]
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout,
                                               context=self._ssl_context)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def post_report(self, gz_body: bytes) -> Reply:
        """POST one gzip-compressed report; OSError / HTTPException on network failure."""
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json",
                   "Content-Encoding": "gzip", "Content-Length": str(len(gz_body)),
                   "User-Agent": "statusmon-agent"}
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = self._connection()
            try:
                self._conn.request("POST", self._path, body=gz_body, headers=headers)
                resp = self._conn.getresponse()
                body = resp.read(MAX_REPLY_BYTES)
                reply = Reply(resp.status, body, dict(resp.getheaders()))
                if resp.will_close or resp.length:  # unread rest or server closing: start fresh next time
                    self.close()
                return reply
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if not reused or attempt == 2:  # a kept-alive connection the server dropped: retry once
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
