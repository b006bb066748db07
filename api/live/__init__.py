"""The live feed: new samples and online/offline changes pushed to dashboards over /ws/live.

``init_app`` wires it into the core: a WebSocket route, an ingest listener and the report-interval hint
(1 s for a client while a detail page watches it).
"""

from __future__ import annotations

from flask import Flask

from api.live.feed import LiveFeed
from api.state import AppState


def init_app(app: Flask) -> None:
    from api.live.ws import bp, sock

    state: AppState = app.extensions["statusmon"]
    live_feed = LiveFeed(state)
    app.extensions["statusmon.live"] = live_feed
    state.ingest_listeners.append(live_feed.on_ingest)
    state.interval_hint = live_feed.interval_hint
    sock.init_app(app)
    app.register_blueprint(bp)
