"""The updater's two calls to the API, with the host's own token: which version should I run, and how it went."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import urllib3


class PolicyError(RuntimeError):
    """The API could not be asked (network, auth, a malformed answer)."""


@dataclass(frozen=True)
class Decision:
    version: str | None  # None: stay on what is installed
    channel: str = ""


class PolicyClient:
    def __init__(self, server: str, token: str, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.pool = urllib3.PoolManager()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              extra: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            r = self.pool.request(method, self.server + path, headers={**self.headers, **(extra or {})},
                                  body=None if body is None else json.dumps(body).encode(), timeout=self.timeout,
                                  redirect=False, retries=False)
        except urllib3.exceptions.HTTPError as exc:
            raise PolicyError(f"{method} {path}: {exc}") from exc
        if r.status != 200:
            raise PolicyError(f"{method} {path}: HTTP {r.status} {r.data[:200].decode('utf-8', 'replace')}")
        try:
            data = json.loads(r.data)
        except ValueError:
            raise PolicyError(f"{method} {path}: the reply is not JSON") from None
        if not isinstance(data, dict):
            raise PolicyError(f"{method} {path}: the reply is not an object")
        return data

    def decision(self, installed: str | None) -> Decision:
        data = self._call("GET", "/api/agent/update", extra={"X-Agent-Version": installed or ""})
        version = data.get("version")
        if version is not None and not isinstance(version, str):
            raise PolicyError("GET /api/agent/update: 'version' must be a string or null")
        return Decision(version or None, str(data.get("channel") or ""))

    def report(self, version: str, previous: str | None, result: str, detail: str) -> None:
        self._call("POST", "/api/agent/update/result",
                   {"version": version, "previous": previous, "result": result, "detail": detail[:500]})
