"""InfluxDB's ``/write`` over kept-alive sockets and statusmon/http11.py, without requests.

The ingest path writes hundreds of times a second; requests (sessions, adapters, http.client's header parsing
by the email package) cost more CPU per write than building the line protocol itself. Reads stay on requests
(few, and their time is InfluxDB's). Used only when no proxy applies to the InfluxDB URL.
"""

from __future__ import annotations

import base64
import socket
import urllib.parse
from collections.abc import Mapping
from typing import Any

from statusmon.http11 import KeptAlive, Reply

MAX_IDLE = 4  # kept-alive connections; writes are serialised by the group commit, so one or two are in use
MAX_REPLY_BYTES = 1 << 20


def auth_header(token: str | None, user: str | None, password: str | None) -> dict[str, str]:
    if token:
        return {"Authorization": f"Token {token}"}
    if user:
        raw = f"{user}:{password or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
    return {}


class WirePool:
    def __init__(self, url: str, timeout: float, headers: Mapping[str, str], verify: Any = True):
        parts = urllib.parse.urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._https else 80)
        self._host_header = parts.netloc.rsplit("@", 1)[-1]
        self._base = parts.path.rstrip("/")
        self._timeout = timeout
        self._headers = dict(headers)
        self._verify = verify
        self._ssl: Any = None
        self._conns = KeptAlive(self._connect, MAX_IDLE)

    def post(self, path: str, params: Mapping[str, str], body: bytes, headers: Mapping[str, str]) -> Reply:
        """POST ``body``; OSError when InfluxDB cannot be reached or answers something that is not HTTP."""
        target = f"{self._base}{path}?{urllib.parse.urlencode(params)}"
        return self._conns.request("POST", self._host_header, target, {**self._headers, **headers}, body,
                                   MAX_REPLY_BYTES)

    def close(self) -> None:
        self._conns.close()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        if self._https:
            if self._ssl is None:
                import ssl

                if self._verify is False:
                    ctx = ssl.create_default_context()
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                elif isinstance(self._verify, str):
                    ctx = ssl.create_default_context(cafile=self._verify)
                else:
                    ctx = ssl.create_default_context()
                self._ssl = ctx
            sock = self._ssl.wrap_socket(sock, server_hostname=self._host)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
