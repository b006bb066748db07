"""POST /api/report: agents deliver batches of samples. Validate all, write synchronously, then acknowledge."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from api.auth import agent
from api.body import json_body
from api.errors import TooManyRequests, ValidationFailed
from api.state import AppState, current_state
from api.views.samples import latest_view
from statusmon.meta.clients import Report
from statusmon.store.base import Sample

log = logging.getLogger(__name__)
bp = Blueprint("report", __name__)


@bp.post("/api/report")
@agent
def report() -> ResponseReturnValue:
    state = current_state()
    client = g.client
    allowed, wait = state.report_limiter.check(client.id)
    if not allowed:
        raise TooManyRequests("report rate exceeded", headers={"Retry-After": str(wait)})
    body = json_body(state.settings.max_body_bytes, state.settings.max_decompressed_bytes)
    try:
        report, samples = state.validator.samples(body)
    except ValidationError as e:
        raise ValidationFailed("the report was refused; nothing was stored", details=e.messages) from None
    seen = Report(client.id, report.get("agent_version"), latest_view(samples), report.get("dropped"),
                  report.get("labels"))
    stored = state.writer.write(client.id, client.hostname, samples, seen)
    rewind_late(state, samples)
    for listener in state.ingest_listeners:
        try:
            listener(client, samples)
        except Exception:  # a viewer problem must never fail an ingest
            log.exception("ingest listener failed")
    return jsonify({"stored": stored, "report_interval": state.report_interval(client.id)})



def rewind_late(state: AppState, samples: list[Sample]) -> None:
    """Samples older than the downsampler's grace may belong to buckets already built: have them rebuilt."""
    if not samples:
        return
    oldest = min(s.ts for s in samples)
    if oldest < time.time() - state.downsampler.grace - 60:
        state.rollup_progress.rewind(oldest)
