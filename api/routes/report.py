"""POST /api/report: agents deliver batches of samples. Validate all, write synchronously, then acknowledge.

Served requests reach api/fastreport.py first, which answers this route at the WSGI level with the same
kernel (api/ingest.py); this view is the route table's entry (its access level, the route walk) and the
reference the WSGI path is tested against.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue

from api.auth import agent
from api.body import json_body
from api.ingest import check_rate, take_report
from api.state import current_state

bp = Blueprint("report", __name__)


@bp.post("/api/report")
@agent
def report() -> ResponseReturnValue:
    state = current_state()
    client = g.client
    check_rate(state, client)
    body = json_body(state.settings.max_body_bytes, state.settings.max_decompressed_bytes)
    return jsonify(take_report(state, client, body))
