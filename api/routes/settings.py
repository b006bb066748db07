"""GET/POST /api/settings: global settings (webhook URLs masked when read)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from api.body import json_body
from api.errors import ValidationFailed
from api.schemas_settings import SettingsSchema
from api.state import current_state
from statusmon.meta.settings import public_view

bp = Blueprint("settings", __name__)


@bp.get("/api/settings")
def get_settings() -> ResponseReturnValue:
    return jsonify(public_view(current_state().global_settings.all()))


@bp.post("/api/settings")
def update_settings() -> ResponseReturnValue:
    state = current_state()
    body = json_body(64 * 1024, 64 * 1024)
    try:
        changes = SettingsSchema(allow_hosts=state.settings.webhook_allow_hosts).load(body)
    except ValidationError as e:
        raise ValidationFailed("settings refused; nothing was changed", details=e.messages) from None
    for key in ("slack_webhook_url", "webhook_url"):
        if changes.get(key) == "":
            changes[key] = None
    if "thresholds" in changes:
        # A partial update: metrics not named keep their thresholds.
        changes["thresholds"] = {**state.global_settings.get("thresholds"), **changes["thresholds"]}
    return jsonify(public_view(state.global_settings.update(changes)))
