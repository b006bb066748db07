"""Global settings changed at run time from the dashboard (one table, key -> JSON), with their defaults.

Validation lives in api/schemas.py (SettingsSchema); this module only stores and merges.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from statusmon.meta.db import MetaDB

DEFAULT_THRESHOLDS: dict[str, dict[str, Any]] = {
    "cpu_percent": {"threshold": 95.0, "duration_sec": 600, "direction": "above", "enabled": True},
    "ram_percent": {"threshold": 95.0, "duration_sec": 300, "direction": "above", "enabled": True},
    "disk_percent": {"threshold": 90.0, "duration_sec": 300, "direction": "above", "enabled": True},
    "inode_percent": {"threshold": 90.0, "duration_sec": 300, "direction": "above", "enabled": True},
    "mount_used_percent": {"threshold": 90.0, "duration_sec": 300, "direction": "above", "enabled": True},
    "mount_inodes_percent": {"threshold": 90.0, "duration_sec": 300, "direction": "above", "enabled": True},
    "gpu_mem_percent": {"threshold": 95.0, "duration_sec": 300, "direction": "above", "enabled": True},
    "gpu_temp_c": {"threshold": 85.0, "duration_sec": 300, "direction": "above", "enabled": True},
}

DEFAULTS: dict[str, Any] = {
    "slack_webhook_url": None,
    "webhook_url": None,
    "thresholds": DEFAULT_THRESHOLDS,
    "online_timeout_seconds": 60,
    "retention_days": 7,
    "alert_repeat_hours": 24,
}

SECRET_KEYS = ("slack_webhook_url", "webhook_url")


class GlobalSettings:
    def __init__(self, db: MetaDB, defaults: dict[str, Any] | None = None):
        self.db = db
        self.defaults = copy.deepcopy(DEFAULTS)
        self.defaults.update(defaults or {})

    def all(self) -> dict[str, Any]:
        values = copy.deepcopy(self.defaults)
        for row in self.db.query("SELECT key, value FROM settings"):
            if row["key"] in values:
                values[row["key"]] = json.loads(row["value"])
        return values

    def get(self, key: str) -> Any:
        return self.all()[key]

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(self.defaults)
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        with self.db.tx() as conn:
            for key, value in changes.items():
                conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))
        return self.all()


def mask_secret(url: str | None) -> str | None:
    """Show where a webhook goes, never its secret path: https://hooks.slack.com/services/T0.../****."""
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path.split("/")
    visible = "/".join(path[:3]) if len(path) > 3 else ""
    return f"{parts.scheme}://{parts.hostname}{visible}/****"


def public_view(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in SECRET_KEYS:
        out[key] = mask_secret(out.get(key))
        out[f"{key}_set"] = bool(values.get(key))
    return out
