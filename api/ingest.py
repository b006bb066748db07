"""One agent report from an authenticated client to its answer, without Flask: the rate limit, then (the body
read and decoded by the caller) validation, the write, the live feed's listeners and the interval hint.

The Flask route (api/routes/report.py) and the WSGI path in front of Flask (api/fastreport.py) both run this.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from marshmallow import ValidationError

from api.errors import TooManyRequests, ValidationFailed
from api.state import AppState
from api.views.samples import latest_view
from statusmon.meta.clients import Client, Report
from statusmon.store.base import Sample

log = logging.getLogger("api.routes.report")  # the name its messages had when the route held this code


def check_rate(state: AppState, client: Client) -> None:
    """Raise 429 (with Retry-After) when the client is over its report rate; before its body is read."""
    allowed, wait = state.report_limiter.check(client.id)
    if not allowed:
        raise TooManyRequests("report rate exceeded", headers={"Retry-After": str(wait)})


def take_report(state: AppState, client: Client, body: Any) -> dict[str, Any]:
    """Validate the whole batch, store it, tell the listeners; the answer's JSON object. Nothing is written
    unless every sample passes."""
    try:
        report, samples = state.validator.samples(body)
    except ValidationError as e:
        raise ValidationFailed("the report was refused; nothing was stored", details=e.messages) from None
    seen = Report(client.id, report.get("agent_version"), latest_view(samples), report.get("dropped"),
                  report.get("labels"))
    stored = state.writer.write(client.id, client.hostname, samples, seen)
    mark_late(state, client, samples)
    for listener in state.ingest_listeners:
        try:
            listener(client, samples)
        except Exception:  # a viewer problem must never fail an ingest
            log.exception("ingest listener failed")
    return {"stored": stored, "report_interval": state.report_interval(client.id)}


def mark_late(state: AppState, client: Client, samples: list[Sample]) -> None:
    """Samples older than the downsampler's grace may belong to buckets already built: mark their minutes, so
    the next pass builds this client's buckets of them again."""
    if not samples:
        return
    cutoff = time.time() - state.downsampler.grace  # the pass builds a minute once it is this old
    if min(s.ts for s in samples) < cutoff:
        state.rollup_progress.mark_late(client.id, {s.ts // 60 * 60 for s in samples if s.ts < cutoff})
