"""/api/alerts/channels (each notification channel: its settings fields, state and the worker's heartbeat),
enabling a disabled channel, and /api/alerts/test (a test message now)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.body import json_body
from api.errors import ApiError, NotFound, ValidationFailed
from api.state import current_state
from statusmon.meta.alerts import AlertDB
from statusmon.meta.settings import public_view
from statusmon.notify import CHANNELS, Channel, HttpClient, TransportError, channel, configured, fingerprint
from statusmon.notify.http import HttpPolicy
from statusmon.notify.testmessage import send_test

bp = Blueprint("alert_channels", __name__)


class DeliveryFailed(ApiError):
    status, code = 502, "delivery_failed"


def field_list(ch: Channel, shown: dict[str, Any]) -> list[dict[str, Any]]:
    """The channel's settings as the settings page draws its form: secrets masked (``set`` says whether one
    is saved)."""
    return [{"name": f.name, "setting": f.setting, "label": f.label, "description": f.description,
             "kind": f.kind, "secret": f.secret, "required": f.required, "default": f.default,
             "bounds": list(f.bounds) if f.bounds else None, "choices": list(f.choices),
             "placeholder": f.placeholder, "value": shown.get(f.setting),
             "set": bool(shown.get(f"{f.setting}_set", shown.get(f.setting) not in (None, "")))}
            for f in ch.fields]


def state_of(reason: str | None, configured_: bool, row: dict[str, Any]) -> str:
    """"disabled" (a permanent error), "failing" (the last try failed), "working", or "unconfigured"."""
    if not configured_:
        return "unconfigured"
    if reason:
        return "disabled"
    failed_at, sent_at = row["last_error_at"], row["last_sent_at"]
    return "failing" if failed_at and (sent_at is None or failed_at > sent_at) else "working"


@bp.get("/api/alerts/channels")
@readable
def channels() -> ResponseReturnValue:
    """Each channel of the registry: its fields, configured or not, and its state (working, failing with the
    last error, disabled with the reason)."""
    state = current_state()
    alerts = AlertDB(state.meta)
    gs = state.global_settings.all()
    shown = public_view(gs)
    configs = configured(gs)
    out = []
    for ch in CHANNELS:
        name = ch.name
        config = configs.get(name)
        row = alerts.channel(name)
        reason = alerts.disabled_reason(name, fingerprint(config)) if config else None
        first = ch.fields[0]
        out.append({
            "name": name, "title": ch.title, "setting": ch.setting, "configured": config is not None,
            "url": shown.get(first.setting) if first.kind == "url" else None,
            "fields": field_list(ch, shown), "groups": ch.groups, "hosts": list(ch.hosts),
            "state": state_of(reason, config is not None, row),
            "disabled": reason is not None, "disabled_reason": reason,
            "disabled_at": row["disabled_at"] if reason else None,
            "last_error": row["last_error"], "last_error_at": row["last_error_at"],
            "last_sent_at": row["last_sent_at"],
        })
    worker = alerts.worker()
    return jsonify({"channels": out, "alert_channels": gs.get("alert_channels"), "worker": worker and {
        "last_cycle_at": worker["last_cycle_at"], "last_cycle_ms": worker["last_cycle_ms"],
        "last_error": worker["last_error"], "started_at": worker["started_at"]}})


@bp.post("/api/alerts/channels/<name>/enable")
def enable_channel(name: str) -> ResponseReturnValue:
    if name not in {ch.name for ch in CHANNELS}:
        raise NotFound(f"no channel {name!r}")
    AlertDB(current_state().meta).enable(name)
    return channels()


@bp.post("/api/alerts/test")
def send_test_message() -> ResponseReturnValue:
    """Post a test message to a channel now (``{"channel": "slack"}``, the default, or any other channel)."""
    state = current_state()
    body = json_body(4096, 4096, required=False) or {}
    name = body.get("channel", "slack") if isinstance(body, dict) else None
    names = [ch.name for ch in CHANNELS]
    if name not in names:
        raise ValidationFailed("unknown channel", details={"channel": [f"one of {', '.join(names)}"]})
    config = configured(state.global_settings.all()).get(name)
    if not config:
        missing = [f.setting for f in channel(name).fields if f.required]
        raise ValidationFailed(f"no {' / '.join(missing)} is set", details={"channel": ["not configured"]})
    # Short timeouts and one retry: a person is waiting for the answer.
    http = HttpClient(state.settings.webhook_allow_hosts,
                      HttpPolicy(connect_timeout=5, read_timeout=5, attempts=2, backoff=0.5))
    try:
        send_test(name, config, http, AlertDB(state.meta), state.settings.public_url)
    except TransportError as e:
        raise DeliveryFailed(f"the test message was not delivered: {e.message}",
                             details={"permanent": e.permanent, "disabled": e.permanent}) from None
    finally:
        http.close()
    return jsonify({"ok": True, "channel": name})
