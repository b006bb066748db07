"""The JSON datasource endpoints (simpod-json-datasource) under /api/grafana/.

Every view is ``@readable``: the admin session or a read-only API token as ``Authorization: Bearer`` (what the
provisioned datasource sends). The plugin POSTs its queries, but they read only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.body import json_body
from api.errors import NotFound
from api.grafana import catalogue, parse, selection
from api.grafana.annotations import annotation_table
from api.grafana.series import grafana_step, series_results
from api.grafana.tables import fleet_table, stats_table
from api.state import current_state
from api.views.clients import client_or_404
from api.views.series import series_query
from api.views.timerange import time_range
from statusmon.meta.alert_history import AlertHistory
from statusmon.meta.clients import Client

bp = Blueprint("grafana", __name__, url_prefix="/api/grafana")

MAX_BODY = 256 * 1024  # a dashboard's query with every target and variable is a few kB


def _body(required: bool) -> dict[str, Any]:
    """The JSON object sent; {} for no body where the contract makes it optional (a JSON null is refused)."""
    if not required and request.content_length in (None, 0) and not request.get_data(cache=True):
        return {}
    return parse.expect_object(json_body(MAX_BODY, MAX_BODY), "the body")


@bp.get("/")
@readable
def health() -> ResponseReturnValue:
    """"Test connection" / "Save & test": credentials work and the store answers (else 503)."""
    state = current_state()
    state.store.ping()
    return jsonify({"status": "ok", "store": state.store.backend, "clients": len(state.clients.list())})


@bp.post("/metrics")
@readable
def metrics() -> ResponseReturnValue:
    body = _body(required=False)
    parse.optional(body, "metric", "string", "body")
    parse.optional(body, "payload", "object", "body")
    return jsonify(catalogue.metric_list())


def _options(name: str, metric: str, payload: dict[str, Any], everyone: list[Client]) -> list[dict[str, str]]:
    if name == "client":
        return [{"label": c.hostname, "value": c.hostname} for c in everyone]
    if name == "aggregation" and metric in catalogue.SERIES_TARGETS:
        return catalogue.aggregation_options()
    if name == "metrics" and metric == "stats":
        return [{"label": n, "value": n} for n in catalogue.SYSTEM_METRIC_NAMES]
    family = catalogue.SERIES_TARGETS[metric].family if metric in catalogue.SERIES_TARGETS else None
    if (name, family) in (("mount", "disk"), ("gpu", "gpu")):
        clients = selection.select_clients(everyone, 0, payload.get("client"), [])
        return [{"label": v if name == "mount" else f"GPU {v}", "value": v} for v in _keys(clients, name)]
    raise NotFound(f"the target {metric!r} has no payload option {name!r}")


def _keys(clients: list[Any], name: str) -> list[str]:
    """Mounts or GPU indexes the hosts reported in their latest sample."""
    found: set[str] = set()
    for c in clients:
        latest = c.last_sample or {}
        for item in latest.get("disks" if name == "mount" else "gpus") or ():
            found.add(str(item.get("mount" if name == "mount" else "index")))
    return sorted(found, key=lambda k: (len(k), k) if name == "gpu" else (0, k))


@bp.post("/metric-payload-options")
@readable
def metric_payload_options() -> ResponseReturnValue:
    if not request.get_data(cache=True):
        return jsonify([])  # the contract makes the body optional; without one nothing is asked
    body = _body(required=True)
    for key in ("metric", "name"):
        if not isinstance(body.get(key), str):
            raise parse.BadRequest(f"{key} is required and must be a string")
    if not isinstance(body.get("payload"), dict):
        raise parse.BadRequest("payload is required and must be an object")
    metric, name = body["metric"], body["name"]
    if metric not in catalogue.all_target_names():
        raise NotFound(f"no metric {metric!r}; POST /api/grafana/metrics lists them")
    return jsonify(_options(name, metric, body["payload"], current_state().clients.list()))


@bp.post("/query")
@readable
def query() -> ResponseReturnValue:
    body = _body(required=True)
    parse.check_common(body)
    rng = parse.time_range(body)
    targets = parse.targets(body)
    filters = parse.filters(body)
    # Check every target before reading anything: one unknown name fails the request, not half a panel.
    for t in targets:
        if t.target not in catalogue.all_target_names():
            raise NotFound(f"no metric {t.target!r}; POST /api/grafana/metrics lists them")
    step = grafana_step(rng, body.get("intervalMs"), body.get("maxDataPoints"))
    state = current_state()
    everyone, timeout = state.clients.list(), state.online_timeout()
    results: list[dict[str, Any]] = []
    for t in targets:
        if t.hidden:
            continue
        clients = selection.select_clients(everyone, timeout, t.payload.get("client"), filters,
                                           labels=t.payload.get("labels"))
        if t.target in catalogue.SERIES_TARGETS:
            results += series_results(state.store, catalogue.SERIES_TARGETS[t.target], t.payload, clients, rng,
                                      step, t.ref_id, state.rollup_progress.all())
        elif t.target == "stats":
            results.append(stats_table(state.stats, t.payload, clients, rng, t.ref_id))
        elif t.target == "fleet":
            results.append(fleet_table(clients, timeout, t.ref_id))
        else:
            results.append(annotation_table(AlertHistory(state.meta), clients, rng.start, rng.end, t.ref_id))
    return jsonify(results)


_VARIABLES = ("hosts", "client_ids", "metrics", "mounts", "gpus", "label_keys", "label_values")


@bp.post("/variable")
@readable
def variable() -> ResponseReturnValue:
    """Values of a Query variable. ``payload.target``: hosts, client_ids, metrics, mounts, gpus, label_keys or
    label_values (of ``payload.key``); hosts, client_ids and label_values are narrowed by ``payload.labels``."""
    body = _body(required=True)
    if "range" in body:
        parse.time_range(body)
    payload = parse.optional(body, "payload", "object", "body")
    if payload is None:
        return jsonify([])
    if not isinstance(payload.get("target"), str):
        raise parse.BadRequest("payload.target is required and must be a string")
    parse.optional(payload, "variables", "object", "payload")
    target = payload["target"]
    everyone = selection.with_labels(current_state().clients.list(),
                                     selection.requested_labels(payload.get("labels")))
    if target == "hosts":
        pairs = [(c.hostname, c.hostname) for c in everyone]
    elif target == "client_ids":
        pairs = [(c.hostname, c.id) for c in everyone]
    elif target == "metrics":
        pairs = [(n, n) for n in catalogue.SERIES_TARGETS]
    elif target == "label_keys":
        pairs = [(k, k) for k in selection.tag_keys(everyone)[len(selection.TAG_KEYS):]]
    elif target == "label_values":
        if not isinstance(payload.get("key"), str):
            raise parse.BadRequest("payload.key (the label key) is required for label_values")
        pairs = [(v, v) for v in selection.label_values(payload["key"], everyone)]
    elif target in ("mounts", "gpus"):
        clients = selection.select_clients(everyone, 0, payload.get("client"), [])
        pairs = [(k, k) for k in _keys(clients, "mount" if target == "mounts" else "gpu")]
    else:
        raise NotFound(f"no variable {target!r}; one of {', '.join(_VARIABLES)}")
    return jsonify([{"text": text, "value": value, "__text": text, "__value": value}
                    for text, value in pairs])


@bp.post("/tag-keys")
@readable
def tag_keys() -> ResponseReturnValue:
    return jsonify([{"type": "string", "text": k} for k in selection.tag_keys(current_state().clients.list())])


@bp.post("/tag-values")
@readable
def tag_values() -> ResponseReturnValue:
    body = _body(required=True)
    if not isinstance(body.get("key"), str):
        raise parse.BadRequest("key is required and must be a string")
    return jsonify(selection.tag_values(body["key"], current_state().clients.list()))


@bp.get("/rows/<client_id>")
@readable
def rows(client_id: str) -> ResponseReturnValue:
    """GET /api/metrics as rows, for Grafana's Infinity plugin (JSON, an array of objects at the root).

    Same query string and the same numbers as ``GET /api/metrics/<id>`` (its helpers build both); each row is
    ``{"time": <unix ms>, "host", ["mount" | "gpu"], <field>: mean, "max_<field>": max}``; raw points
    (no step) have no ``max_`` members. Empty buckets and raw gaps are left out.
    """
    client = client_or_404(current_state().clients, client_id)
    start, end, _ = time_range(request.args)
    query = series_query(request.args, client_id, start, end)
    found, _ = query.read(current_state().store, current_state().rollup_progress.all())
    family, fields = query.family, query.fields
    key_name = {"disk": "mount", "gpu": "gpu"}.get(family)
    out: list[dict[str, Any]] = []
    for key in sorted(found, key=lambda k: (len(k), k) if family == "gpu" else (0, k)):
        cols = query.dense(found[key])
        for i, t in enumerate(cols["time"]):
            if all(cols["values"][f][i] is None for f in fields):
                continue
            row: dict[str, Any] = {"time": t * 1000, "host": client.hostname}
            if key_name:
                row[key_name] = key
            for f in fields:
                row[f] = cols["values"][f][i]
                if cols["max"] is not None:
                    row["max_" + f] = cols["max"][f][i]
            out.append(row)
    return jsonify(out)
