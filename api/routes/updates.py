"""Agent updates: the policy (admins), the agents' questions and results, and the signed repository at /updates/.

GET/PUT /api/updates/policy      admin: target version per channel, rollout percentage, per-host channel/pin/hold
GET /api/agent/update            agent token: which version this host should run
POST /api/agent/update/result    agent token: how the attempt went; a failure raises a notification
GET /updates/<path>              public and read-only: the TUF repository (everything in it is signed, and
                                 the agents verify it; any static web server can serve it instead)
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, g, jsonify, send_from_directory
from flask.typing import ResponseReturnValue

from api.auth import agent, public
from api.body import json_body
from api.errors import NotFound, ValidationFailed
from api.state import current_state
from statusmon.meta.alerts import AlertDB
from statusmon.meta.updates import FAILURES, RESULTS, VERSION_RE, InvalidPolicy, UpdatePolicy
from statusmon.notify.events import update_event
from statusmon.release.catalogue import releases

bp = Blueprint("updates", __name__)


def _policy() -> UpdatePolicy:
    return UpdatePolicy(current_state().meta)


@bp.get("/api/updates/policy")
def get_policy() -> ResponseReturnValue:
    state = current_state()
    catalogue = releases(state.settings.updates_dir) if state.settings.updates_dir else []
    return jsonify({**_policy().policy(), "releases": catalogue})


@bp.put("/api/updates/policy")
def put_policy() -> ResponseReturnValue:
    body = json_body(64 * 1024, 64 * 1024)
    known = {c.id for c in current_state().clients.list()}
    try:
        return jsonify(_policy().set_policy(body, known))
    except InvalidPolicy as e:
        raise ValidationFailed("the update policy was refused; nothing was changed", details=e.details) from None


@bp.get("/api/agent/update")
@agent
def agent_update() -> ResponseReturnValue:
    policy = _policy()
    version = policy.decide(g.client.id)
    return jsonify({"version": version, "channel": policy.host(g.client.id).channel})


def _result_errors(body: Any) -> dict[str, list[str]]:
    if not isinstance(body, dict):
        return {"body": ["an object with version, previous, result and detail"]}
    errors: dict[str, list[str]] = {}
    if not isinstance(body.get("version"), str) or not VERSION_RE.match(body["version"]):
        errors["version"] = ["a release version like 1.2.3"]
    prev = body.get("previous")
    if prev is not None and (not isinstance(prev, str) or len(prev) > 64):
        errors["previous"] = ["a version string or null"]
    if body.get("result") not in RESULTS:
        errors["result"] = [f"one of {', '.join(RESULTS)}"]
    if not isinstance(body.get("detail", ""), str) or len(body.get("detail", "")) > 1000:
        errors["detail"] = ["a string of at most 1000 characters"]
    return errors


@bp.post("/api/agent/update/result")
@agent
def agent_update_result() -> ResponseReturnValue:
    state = current_state()
    body = json_body(16 * 1024, 16 * 1024)
    errors = _result_errors(body)
    if errors:
        raise ValidationFailed("the update result was refused; nothing was stored", details=errors)
    now = time.time()
    client = g.client
    _policy().record_result(client.id, body["version"], body["result"], body.get("detail", ""), now)
    queued = 0
    if body["result"] in FAILURES:
        alerts = AlertDB(state.meta)
        event = update_event(body["result"], client.id, client.hostname, body["version"], body.get("previous"),
                             body.get("detail", ""), state.settings.public_url, now)
        queued = alerts.enqueue(alerts.active_channels(state.global_settings.all()), event, now)
    return jsonify({"recorded": True, "notifications": queued})


@bp.get("/updates/<path:name>")
@public
def repository(name: str) -> ResponseReturnValue:
    folder = current_state().settings.updates_dir
    if not folder:
        raise NotFound("this server serves no agent updates (STATUSMON_UPDATES_DIR is not set)")
    # send_from_directory refuses paths outside the folder. Metadata must never be cached stale (a client would
    # see an old timestamp); the targets' names hold their hash, so caching those is safe.
    # The mimetype is fixed: left to guess, werkzeug labels a .tar.gz `Content-Encoding: gzip`, and a client that
    # honours it would hash the decompressed bytes instead of the signed ones.
    max_age = 0 if name.startswith("metadata/") else 86400
    mimetype = "application/json" if name.endswith(".json") else "application/octet-stream"
    return send_from_directory(folder, name, max_age=max_age, mimetype=mimetype)
