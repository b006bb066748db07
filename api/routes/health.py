"""GET /healthz: the process is up, and which parts answer: the time-series store, the metadata database
("metadata": "ok" or "down") and the shared parts.

503 when the store or the metadata DB fails (this process cannot serve; on PostgreSQL the API answers 503 while
it is down). Redis is not needed to serve: when it is configured and down, the answer stays 200 with
``"status": "degraded"`` and ``"shared": {"redis": "down"}`` (ingest and queries go on; the live feed reaches only
this process's viewers until Redis returns). Without shared parts configured, no ``shared`` key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth import public
from api.state import current_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    state = current_state()
    shared: dict[str, Any] = {}
    if state.redis is not None:
        shared["redis"] = "up" if state.redis.ping() else "down"
    error = None
    try:
        state.store.ping()
    except Exception as e:  # noqa: BLE001 - any failure means unhealthy
        error = type(e).__name__
    try:
        state.meta.ping()
        metadata = "ok"
    except Exception as e:  # noqa: BLE001 - any failure means unhealthy
        error, metadata = error or type(e).__name__, "down"
    if error:
        body: dict[str, Any] = {"status": "unavailable", "store": state.store.backend, "metadata": metadata,
                                "error": error}
        return jsonify(_with_shared(body, shared)), 503
    status = "degraded" if "down" in shared.values() else "ok"
    return jsonify(_with_shared({"status": status, "store": state.store.backend, "metadata": metadata}, shared))


def _with_shared(body: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    # Only with shared parts configured: a single process answers exactly as it always did.
    if shared:
        body["shared"] = shared
    return body
