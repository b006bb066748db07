"""Retention on SQLite: the pruner deletes raw points and each tier's buckets past their settings.

InfluxDB expires them itself (its retention policies or buckets, changed by ``TimeSeriesStore.set_retention``
when a setting changes), so there the store's prune does nothing.
"""

from __future__ import annotations

import logging
import time

from api.state import AppState
from statusmon.meta.settings import RETENTION_TIERS

log = logging.getLogger(__name__)


def prune(state: AppState, now: float | None = None) -> int:
    """Delete the points older than the ``retention_days`` setting, and each tier's buckets older than its
    own setting; return how many went (InfluxDB: 0, its retention policies expire them)."""
    now = time.time() if now is None else now
    values = state.global_settings.all()
    removed = 0
    for key, tier in RETENTION_TIERS.items():
        older_than = int(now) - int(values[key]) * 86400
        went = state.store.prune(older_than) if tier == "raw" else state.store.tiers.prune(tier, older_than)
        if went:
            log.info("pruned %d %s older than %d days", went, "points" if tier == "raw" else f"{tier} buckets",
                     values[key])
        removed += went
    return removed
