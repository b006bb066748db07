"""/api/silences: mute a host, a rule or every alert for a while (admin; GET also for a read-only API token).

The worker (``alerting.engine``) reads the active silences each cycle: a new silence or one ended early takes
effect at the next cycle. See ``statusmon.meta.silences`` for what a silence does.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from api.alerts.schemas import MAX_SILENCE_SECONDS, SilenceSchema
from api.auth import readable
from api.body import json_body
from api.errors import Conflict, NotFound, ValidationFailed
from api.state import current_state
from statusmon.meta.alert_rules import AlertRules
from statusmon.meta.silences import Silences

bp = Blueprint("silences", __name__)

REFUSED = "silence refused; nothing was changed"


def _silences() -> Silences:
    return Silences(current_state().meta)


@bp.get("/api/silences")
@readable
def list_silences() -> ResponseReturnValue:
    """The active and upcoming silences and those ended in the last 7 days, newest first."""
    now = time.time()
    return jsonify({"silences": [Silences.as_json(s, now) for s in _silences().listing(now)]})


@bp.post("/api/silences")
def create_silence() -> ResponseReturnValue:
    body = json_body(16 * 1024, 16 * 1024)
    if not isinstance(body, dict):
        raise ValidationFailed("a silence is a JSON object")
    try:
        data: dict[str, Any] = SilenceSchema().load(body)
    except ValidationError as e:
        raise ValidationFailed(REFUSED, details=e.messages) from None
    now = time.time()
    ends_at = now + data["duration_sec"] if data["duration_sec"] is not None else float(data["until"])
    if ends_at <= now:
        raise ValidationFailed(REFUSED, details={"until": ["must be in the future"]})
    if ends_at - now > MAX_SILENCE_SECONDS:
        raise ValidationFailed(REFUSED, details={"until": [f"at most {MAX_SILENCE_SECONDS // 86400} days ahead"]})
    state = current_state()
    if data["client_id"] is not None and state.clients.get(data["client_id"]) is None:
        raise ValidationFailed(REFUSED, details={"client_id": [f"no client {data['client_id']!r}"]})
    if data["rule_id"] is not None and AlertRules(state.meta).get(data["rule_id"]) is None:
        raise ValidationFailed(REFUSED, details={"rule_id": [f"no alert rule {data['rule_id']}"]})
    silence = _silences().create(data["scope"], data["client_id"], data["rule_id"], ends_at,
                                 data["comment"].strip(), now)
    return jsonify(Silences.as_json(silence, now)), 201


@bp.delete("/api/silences/<int:silence_id>")
def end_silence(silence_id: int) -> ResponseReturnValue:
    """End a silence now; the worker announces, once, each alert it muted that still fires."""
    silences = _silences()
    if silences.get(silence_id) is None:
        raise NotFound(f"no silence {silence_id}")
    if not silences.end(silence_id, time.time()):
        raise Conflict(f"silence {silence_id} is already over")
    return "", 204
