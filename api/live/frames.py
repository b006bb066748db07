"""The live feed's wire format: JSON text frames, serialised once per event and shared by every viewer.

Server to browser:
- ``{"type": "hello", "online_timeout_seconds", "live_interval", "report_interval"}`` once, on connect;
- ``{"type": "samples", "client_id", "hostname", "samples": [sample_view, ...]}`` after each stored batch;
- ``{"type": "status", "client_id", "hostname", "online", "last_seen"}`` when a client goes on- or offline;
- ``{"type": "removed", "client_id"}`` when a client is deleted;
- ``{"type": "alerts", "firing", "pending", "clients": [...]}`` when the set of alerts pending or firing (or
  their states) changed: the counts and the clients with any; pages fetch the details from
  ``GET /api/alerts/active`` (the alerting worker is another process: the API notices its writes by reading
  ``alert_state`` four times a second, one query per API process whatever the number of viewers);
- ``{"type": "feed", "degraded": true|false}`` when the shared fan-out (Redis) goes down or comes back: while
  degraded, a viewer sees only the samples reported to the process it is connected to (``hello`` carries the
  same ``degraded`` flag on connect);
- ``{"type": "subscribed", "clients": [...] | null}`` acknowledging a subscribe message;
- ``{"type": "error", "message"}`` for a message the server could not use;
- ``{"type": "batch", "frames": [frame, ...]}``: several of the above in one message (oldest first).

Each frame is serialised once (JSON text); the broker gathers the frames of a short window into one
``{"type": "batch", "frames": [...]}`` message (``batch``; a lone frame is sent as is), encodes it once into
WebSocket wire bytes (``wire``) and queues the same bytes object for every viewer that wants the same frames:
fan-out costs one socket write per viewer and window, not one JSON or frame encoding.

Browser to server: ``{"subscribe": ["<client id>", ...]}`` narrows the feed to those clients (a detail page)
and marks them watched; ``{"subscribe": null}`` widens it to every client again (the overview).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_SUBSCRIBE = 1000


class BadMessage(ValueError):
    pass


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def samples_frame(client_id: str, hostname: str, samples: Sequence[dict[str, Any]]) -> str:
    return dumps({"type": "samples", "client_id": client_id, "hostname": hostname, "samples": list(samples)})


def status_frame(client_id: str, hostname: str, online: bool, last_seen: int | None) -> str:
    return dumps({"type": "status", "client_id": client_id, "hostname": hostname, "online": online,
                  "last_seen": last_seen})


def alerts_frame(firing: int, pending: int, client_ids: Sequence[str]) -> str:
    return dumps({"type": "alerts", "firing": firing, "pending": pending, "clients": list(client_ids)})


def feed_frame(degraded: bool) -> str:
    return dumps({"type": "feed", "degraded": degraded})


def removed_frame(client_id: str) -> str:
    return dumps({"type": "removed", "client_id": client_id})


def batch(payloads: Sequence[bytes]) -> bytes:
    """One batch frame (JSON, UTF-8) around already serialised frames."""
    return b'{"type":"batch","frames":[' + b",".join(payloads) + b"]}"


def wire(text: str | bytes) -> bytes:
    """A complete, unmasked server-to-client WebSocket text message (RFC 6455 section 5.2)."""
    payload = text.encode("utf-8") if isinstance(text, str) else text
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


PING = bytes((0x89, 0))  # a WebSocket ping with no payload; browsers answer it by themselves


def parse_subscribe(text: str | bytes) -> frozenset[str] | None:
    """The client ids of a subscribe message, or None for "every client"; BadMessage if it is not one."""
    try:
        msg = json.loads(text)
    except ValueError:
        raise BadMessage("messages must be JSON") from None
    if not isinstance(msg, dict) or set(msg) != {"subscribe"}:
        raise BadMessage('send {"subscribe": ["<client id>", ...]} or {"subscribe": null}')
    ids = msg["subscribe"]
    if ids is None:
        return None
    if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in ids):
        raise BadMessage("subscribe takes a list of client ids")
    if len(ids) > MAX_SUBSCRIBE:
        raise BadMessage(f"subscribe to at most {MAX_SUBSCRIBE} clients")
    return frozenset(ids)
