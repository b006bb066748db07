"""GET /healthz: the process is up and the store answers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth import public
from api.state import current_state
from statusmon.store.base import StoreUnavailable

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    state = current_state()
    try:
        state.store.ping()
        state.meta.query_one("SELECT 1")
    except (StoreUnavailable, Exception) as e:  # noqa: BLE001 - any failure means unhealthy
        return jsonify({"status": "unavailable", "store": state.store.backend, "error": type(e).__name__}), 503
    return jsonify({"status": "ok", "store": state.store.backend})
