"""GET/POST /api/settings: global settings (webhook URLs masked when read; what this server does not honour
listed under ``unsupported``, and refused when changed)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from api.body import json_body
from api.errors import ValidationFailed
from api.retention import prune
from api.schemas_settings import SettingsSchema
from api.state import current_state
from statusmon.meta.settings import RETENTION_TIERS, public_view, refused_changes, unsupported

bp = Blueprint("settings", __name__)


@bp.get("/api/settings")
def get_settings() -> ResponseReturnValue:
    state = current_state()
    return jsonify(public_view(state.global_settings.all(), unsupported(state.store.honours_settings)))


@bp.post("/api/settings")
def update_settings() -> ResponseReturnValue:
    state = current_state()
    body = json_body(64 * 1024, 64 * 1024)
    try:
        changes = SettingsSchema(allow_hosts=state.settings.webhook_allow_hosts).load(body)
    except ValidationError as e:
        raise ValidationFailed("settings refused; nothing was changed", details=e.messages) from None
    current = state.global_settings.all()
    not_honoured = unsupported(state.store.honours_settings)
    refused = refused_changes(changes, current, not_honoured)
    if refused:
        whys = "; ".join(f"{key} is not honoured here: {why[0]}" for key, why in refused.items())
        raise ValidationFailed(f"settings refused; nothing was changed: {whys}", details=refused)
    # Left: unhonoured settings given their current value. Not stored, so the default keeps applying.
    changes = {key: value for key, value in changes.items() if key not in not_honoured}
    # A tier's retention goes to the database first (InfluxDB alters the policy or bucket): if it refuses,
    # the error says so and the setting is not stored, so what the page shows is what the database does.
    for key, tier in RETENTION_TIERS.items():
        if key in changes and changes[key] != current[key]:
            state.store.set_retention(tier, int(changes[key]))
    if "thresholds" in changes:
        # A partial update: metrics not named keep their thresholds.
        changes["thresholds"] = {**current["thresholds"], **changes["thresholds"]}
    updated = state.global_settings.update(changes)
    if any(key in changes for key in RETENTION_TIERS) and state.store.backend == "sqlite":
        prune(state)  # a shorter retention takes effect now, not at the next hourly pass
    return jsonify(public_view(updated, not_honoured))
