"""The connection to the API. Two interchangeable transports with one method, ``post_report(gz_body) -> Reply``
(OSError on network failure; every HTTP status is a Reply, for the delivery policy to judge):

- ``builtin`` (the default): one kept-alive socket (TLS only for https) and statusmon/http11.py; no http.client.
- ``requests`` (``http_client = requests``): a requests Session, imported at the first POST so ``--once`` and
  a host that never reaches its server stay light. It follows proxy environment variables (``HTTPS_PROXY``,
  ``NO_PROXY``) and requests' CA bundle handling, which the builtin client does not; it costs about 12 MiB of
  resident memory (bench/agent measures it), which is why it is not the default.
"""

from __future__ import annotations

import calendar
import socket
import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Protocol

from statusmon.http11 import HttpError, KeptAlive, Reply

if TYPE_CHECKING:
    from agent.config import Config

__all__ = ["HttpError", "HttpTransport", "Reply", "RequestsTransport", "Transport", "make_transport",
           "parse_http_date", "parse_retry_after", "server_clock_skew"]

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


class Transport(Protocol):
    def post_report(self, gz_body: bytes) -> Reply: ...

    def close(self) -> None: ...


def report_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Content-Encoding": "gzip",
            "User-Agent": "statusmon-agent"}


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
        self._ssl_context: Any = None
        self._conn = KeptAlive(self._connect)  # one socket, reused while the server keeps it open

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
        return self._conn.request("POST", self._host_header, self._path, report_headers(self._token), gz_body,
                                  MAX_REPLY_BYTES)

    def close(self) -> None:
        self._conn.close()


class RequestsTransport:
    """``post_report`` through a requests Session (kept-alive connections, proxies from the environment)."""

    def __init__(self, server: str, token: str, timeout: float) -> None:
        self._url = server.rstrip("/") + "/api/report"
        self._headers = report_headers(token)
        self._timeout = timeout
        self._session: Any = None
        self._errors: tuple[type[BaseException], ...] = ()

    def post_report(self, gz_body: bytes) -> Reply:
        if self._session is None:
            import requests  # at the first POST: about 12 MiB of resident memory with urllib3, ssl, http.client

            self._session = requests.Session()
            self._errors = (requests.RequestException,)
        try:
            # no redirects: a POST answered 3xx is a wrong server URL, stopped loudly like any other 4xx
            with self._session.post(self._url, data=gz_body, headers=self._headers, timeout=self._timeout,
                                    stream=True, allow_redirects=False) as r:
                chunks, size = [], 0
                for chunk in r.iter_content(65536):  # bounded: a huge reply is cut, and its connection dropped
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= MAX_REPLY_BYTES:
                        break
                return Reply(r.status_code, b"".join(chunks)[:MAX_REPLY_BYTES],
                             {k.lower(): v for k, v in r.headers.items()})
        except self._errors as exc:
            raise OSError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def make_transport(config: Config) -> Transport:
    cls = RequestsTransport if config.http_client == "requests" else HttpTransport
    return cls(config.server, config.token, config.http_timeout)
