"""What one API process holds: settings, stores, registries and the hooks other parts plug into.

Reach it in a request with ``current_state()``; the app factory builds it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from api.ratelimit import Limiter
from api.schemas import ReportValidator
from statusmon.config import Settings
from statusmon.meta.admin import AdminAuth
from statusmon.meta.api_tokens import ApiTokens
from statusmon.meta.clients import Client, ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.meta.settings import GlobalSettings
from statusmon.shared import RedisLink
from statusmon.store.base import Sample, TimeSeriesStore
from statusmon.store.downsampler import Downsampler
from statusmon.store.groupcommit import GroupCommit
from statusmon.store.history import HistoryStats

# Called after a batch is stored, with the client and its samples (the live feed subscribes here).
IngestListener = Callable[[Client, list[Sample]], None]


@dataclass
class AppState:
    settings: Settings
    store: TimeSeriesStore
    meta: MetaDB
    clients: ClientRegistry
    admin: AdminAuth
    api_tokens: ApiTokens
    global_settings: GlobalSettings
    validator: ReportValidator
    stats: HistoryStats
    rollup_progress: RollupProgress
    downsampler: Downsampler
    writer: GroupCommit
    login_limiter: Limiter
    report_limiter: Limiter
    ingest_listeners: list[IngestListener] = field(default_factory=list)
    # The report-interval hint for a client (the live feed lowers it while someone watches the client).
    interval_hint: Callable[[str], int] | None = None
    # The Redis every worker and replica shares (STATUSMON_REDIS_URL), or None: everything in this process.
    redis: RedisLink | None = None

    def report_interval(self, client_id: str) -> int:
        if self.interval_hint is not None:
            return self.interval_hint(client_id)
        return self.settings.report_interval

    def online_timeout(self) -> int:
        return int(self.global_settings.get("online_timeout_seconds"))


def current_state() -> AppState:
    return current_app.extensions["statusmon"]
