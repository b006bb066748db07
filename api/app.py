"""The application factory: ``create_app(settings)`` builds one API process's state and routes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

from api import alerts, auth, errors, fastreport, grafana, live
from api.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from api.retention import prune
from api.routes import blueprints
from api.schemas import ReportValidator
from api.state import AppState
from statusmon.config import Settings
from statusmon.meta.admin import AdminAuth
from statusmon.meta.api_tokens import ApiTokens
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import open_meta
from statusmon.meta.leases import MetaLease
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.meta.settings import GlobalSettings
from statusmon.shared import RedisLink
from statusmon.store import open_store
from statusmon.store.base import TimeSeriesStore
from statusmon.store.downsampler import LEASE_NAME, Downsampler
from statusmon.store.groupcommit import GroupCommit
from statusmon.store.history import HistoryStats
from statusmon.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)
# How long a busy SQLite write waits for the reports queued behind it (statusmon/store/groupcommit.py).
SQLITE_GATHER_SECONDS = 0.001


def create_app(settings: Settings | None = None, store: TimeSeriesStore | None = None,
               start_background: bool = True) -> Flask:
    settings = settings or Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]

    meta = open_meta(settings.meta_target)
    store = store or open_store(settings)
    clients = ClientRegistry(meta)
    admin = AdminAuth(meta, settings.session_hours * 3600)
    if settings.admin_password and not admin.has_password():
        admin.set_password(settings.admin_password)
    global_settings = GlobalSettings(meta, {"retention_days": settings.retention_days,
                                            "minute_retention_days": settings.minute_retention_days,
                                            "hour_retention_days": settings.hour_retention_days})
    redis = RedisLink(settings.redis_url) if settings.redis_url else None
    progress = RollupProgress(meta)
    state = AppState(
        settings=settings, store=store, meta=meta, clients=clients, admin=admin,
        api_tokens=ApiTokens(meta), global_settings=global_settings, validator=ReportValidator(settings),
        stats=HistoryStats(store, progress.all), rollup_progress=progress,
        downsampler=Downsampler(store, progress, MetaLease(meta, LEASE_NAME),
                                initial_lookback=settings.retention_days * 86400),
        # SQLite's write never yields under gevent: the leader pauses when busy so that waiting reports join it.
        writer=GroupCommit(store, after_write=clients.record_reports,
                           gather=SQLITE_GATHER_SECONDS if isinstance(store, SQLiteStore) else 0.0),
        # The burst is the setting itself: N attempts per minute means N at once, then one every 60/N seconds.
        login_limiter=_limiter(redis, "login", settings.login_rate_per_minute, settings.login_rate_per_minute),
        report_limiter=_limiter(redis, "report", settings.report_rate_per_minute),
        redis=redis,
    )
    app.extensions["statusmon"] = state
    errors.init_app(app)
    auth.init_app(app)
    for bp in blueprints():
        app.register_blueprint(bp)
    # The parts with their own init_app: the live feed (a WebSocket route and an ingest listener), alert
    # rules and history, the Grafana-style API.
    for part in (live, alerts, grafana):
        part.init_app(app)
    fastreport.install(app)  # POST /api/report served in front of Flask, with the same answers
    log.info("time series: %s (%s); metadata: %s; shared state: %s", store.describe(), store.backend,
             meta.describe(), "redis" if redis else "this process")
    if not admin.has_password():
        log.warning("no admin password yet: run `statusmon admin set-password` or set STATUSMON_ADMIN_PASSWORD")
    if start_background:
        _start_background(state)
    return app


def _limiter(redis: RedisLink | None, name: str, per_minute: int, burst: int | None = None) -> Limiter:
    if redis is None:
        return RateLimiter(per_minute, burst=burst)
    return SharedRateLimiter(redis, name, per_minute, burst=burst)


def _every(seconds: float, name: str, job: Callable[[], object]) -> None:
    """Run ``job`` now and every ``seconds`` in a daemon thread (a greenlet under gevent), off the request path."""

    def loop() -> None:
        while True:
            try:
                job()
            except Exception:
                log.exception("%s failed", name)
            time.sleep(seconds)

    threading.Thread(target=loop, name=name, daemon=True).start()


def _start_background(state: AppState) -> None:
    # SQLite deletes by the retention settings hourly (on InfluxDB its retention policies or buckets expire data).
    if state.store.backend == "sqlite":
        _every(3600.0, "pruner", lambda: prune(state))
    # The rollup tiers: one catch-up pass a minute; among several processes, the lease holder's.
    _every(60.0, "downsampler", state.downsampler.run_once)
