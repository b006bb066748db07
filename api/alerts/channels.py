"""/api/alerts/channels (status of each notification channel, the worker's heartbeat), enabling a disabled
channel, and /api/alerts/test (a test message now)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.body import json_body
from api.errors import ApiError, NotFound, ValidationFailed
from api.state import current_state
from statusmon.meta.alerts import AlertDB
from statusmon.meta.settings import mask_secret
from statusmon.notify import CHANNELS, HttpClient, TransportError, channel, configured_urls
from statusmon.notify.http import HttpPolicy
from statusmon.notify.testmessage import send_test

bp = Blueprint("alert_channels", __name__)


class DeliveryFailed(ApiError):
    status, code = 502, "delivery_failed"


@bp.get("/api/alerts/channels")
@readable
def channels() -> ResponseReturnValue:
    """Each channel of the registry: configured or not, its masked URL, and whether (and why) it is disabled."""
    state = current_state()
    alerts = AlertDB(state.meta)
    gs = state.global_settings.all()
    urls = configured_urls(gs)
    out = []
    for ch in CHANNELS:
        name = ch.name
        url = urls.get(name)
        row = alerts.channel(name)
        reason = alerts.disabled_reason(name, url) if url else None
        out.append({
            "name": name, "title": ch.title, "setting": ch.setting, "configured": url is not None,
            "url": mask_secret(url) if ch.secret else url,
            "disabled": reason is not None, "disabled_reason": reason,
            "disabled_at": row["disabled_at"] if reason else None,
            "last_error": row["last_error"], "last_error_at": row["last_error_at"],
            "last_sent_at": row["last_sent_at"],
        })
    worker = alerts.worker()
    return jsonify({"channels": out, "worker": worker and {
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
    """Post a test message to a channel now (``{"channel": "slack"}``, the default, or ``"webhook"``)."""
    state = current_state()
    body = json_body(4096, 4096, required=False) or {}
    name = body.get("channel", "slack") if isinstance(body, dict) else None
    names = [ch.name for ch in CHANNELS]
    if name not in names:
        raise ValidationFailed("unknown channel", details={"channel": [f"one of {', '.join(names)}"]})
    url = configured_urls(state.global_settings.all()).get(name)
    if not url:
        raise ValidationFailed(f"no {channel(name).setting} is set", details={"channel": ["not configured"]})
    # Short timeouts and one retry: a person is waiting for the answer.
    http = HttpClient(state.settings.webhook_allow_hosts,
                      HttpPolicy(connect_timeout=5, read_timeout=5, attempts=2, backoff=0.5))
    try:
        send_test(name, url, http, AlertDB(state.meta), state.settings.public_url)
    except TransportError as e:
        raise DeliveryFailed(f"the test message was not delivered: {e.message}",
                             details={"permanent": e.permanent, "disabled": e.permanent}) from None
    finally:
        http.close()
    return jsonify({"ok": True, "channel": name})
