"""Client management: list (filtered by labels) with online state and latest values, add (token shown once),
label, remove, rotate."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.body import json_body
from api.errors import BadRequest, Conflict, ValidationFailed
from api.state import current_state
from api.views.clients import client_or_404
from statusmon import labels
from statusmon.meta.clients import Client, DuplicateHostname, InvalidHostname
from statusmon.meta.updates import HostUpdate, UpdatePolicy

bp = Blueprint("clients", __name__)


def install_command(token: str) -> str:
    """What to run on the new host, from a checkout of this repository (see the README's "Add a host")."""
    server = current_state().settings.public_url or request.host_url.rstrip("/")
    return f"sudo ./infra/agent/install.sh --server {server} --token {token}"


def _with_update(client: dict[str, Any], host: HostUpdate | None) -> dict[str, Any]:
    """A client as listed, with its agent update state (target version, last attempt and its result)."""
    client["update"] = (host or HostUpdate.default(client["id"])).as_dict()
    return client


@bp.get("/api/clients")
@readable
def list_clients() -> ResponseReturnValue:
    state = current_state()
    now, timeout = time.time(), state.online_timeout()
    hosts = UpdatePolicy(state.meta).hosts()
    selector = label_selector()
    overview = listing_fields() == "overview"
    # Each client's latest sample goes out as the JSON text it is stored as (valid JSON, written by json.dumps):
    # spliced in, not decoded and encoded again, which cost ~0.1 ms a host (0.5 s for 5,000).
    parts = []
    for c, latest in state.clients.listing(selector, overview=overview):
        head = json.dumps(_with_update(c.as_dict(now, timeout, latest=False), hosts.get(c.id)),
                          separators=(",", ":"))
        parts.append(head[:-1] + ',"latest":' + (latest or "null") + "}")
    body = ('{"clients":[' + ",".join(parts) + f'],"online_timeout_seconds":{json.dumps(timeout)},'
            f'"now":{int(now)}}}')
    return Response(body, mimetype="application/json")


@bp.get("/api/clients/<client_id>")
@readable
def get_client(client_id: str) -> ResponseReturnValue:
    state = current_state()
    client = client_or_404(current_state().clients, client_id)
    return jsonify(_with_update(client.as_dict(time.time(), state.online_timeout()),
                                UpdatePolicy(state.meta).host(client_id)))


def listing_fields() -> str:
    """``?fields=``: ``full`` (the default: each client's whole latest sample) or ``overview`` (only what the
    dashboard's overview shows of it: statusmon/meta/overview.py); 400 for anything else."""
    fields = request.args.get("fields", "full")
    if fields not in ("full", "overview"):
        raise BadRequest("fields must be full or overview", details={"fields": [f"unknown value: {fields!r}"]})
    return fields


def label_selector() -> dict[str, str]:
    """The request's ``?label=key=value`` parameters (all must match); 400 for one that is no key=value."""
    try:
        return labels.parse_selector(request.args.getlist("label"))
    except labels.InvalidLabels as e:
        raise BadRequest(str(e), details=e.details) from None


@bp.patch("/api/clients/<client_id>")
def patch_client(client_id: str) -> ResponseReturnValue:
    """Change a host's admin labels: ``{"labels": {"env": "prod", "rack": null}}`` sets env, and removes the
    admin's rack (the agent's rack, if it reports one, shows again). Keys not named are kept."""
    state = current_state()
    client_or_404(state.clients, client_id)
    body = json_body(16384, 16384)
    if not isinstance(body, dict) or set(body) != {"labels"}:
        raise ValidationFailed('the body must be {"labels": {key: value or null}}',
                               details={"labels": ["required; no other field can be changed"]})
    try:
        patch = labels.validate(body["labels"], allow_null=True, limit=4 * labels.MAX_LABELS)
        state.clients.labels.patch_admin(client_id, patch)
    except labels.InvalidLabels as e:
        raise ValidationFailed(str(e), details={"labels": e.details}) from None
    return get_client(client_id)


def _created(client: Client, token: str, status: int) -> ResponseReturnValue:
    state = current_state()
    body: dict[str, Any] = {"client": client.as_dict(time.time(), state.online_timeout()), "token": token,
                            "install_command": install_command(token)}
    return jsonify(body), status


@bp.post("/api/clients")
def add_client() -> ResponseReturnValue:
    body = json_body(4096, 4096)
    hostname = body.get("hostname") if isinstance(body, dict) else None
    try:
        client, token = current_state().clients.add(hostname)  # type: ignore[arg-type]
    except InvalidHostname as e:
        raise ValidationFailed(str(e), details={"hostname": [str(e)]}) from None
    except DuplicateHostname as e:
        raise Conflict(str(e)) from None
    return _created(client, token, 201)


@bp.delete("/api/clients/<client_id>")
def remove_client(client_id: str) -> ResponseReturnValue:
    state = current_state()
    client_or_404(current_state().clients, client_id)
    state.store.delete_client(client_id)  # data first: a failure leaves the client listed, to retry
    state.clients.remove(client_id)
    return jsonify({"deleted": client_id})


@bp.post("/api/clients/<client_id>/token")
def rotate_token(client_id: str) -> ResponseReturnValue:
    client = client_or_404(current_state().clients, client_id)
    token = current_state().clients.rotate_token(client_id)
    assert token is not None
    return _created(client, token, 200)
