"""Global settings changed at run time from the dashboard: the one table of them, and their owner.

``SETTINGS`` says, for each key, its default, kind, bounds, whether it is secret, what it means and who acts on
it. Derived from it: ``GlobalSettings``' defaults, the secret keys masked by ``public_view``, the API's
validation schema (api/schemas_settings.py), and the README's table of settings keys (``markdown_table``, kept
equal by a test). The channel settings (each channel's list of fields: URLs, tokens, an SMTP server...) come
from the channel registry (statusmon.notify.channels).

A setting honoured by the time-series store (``honoured_by="store"``) is acted on only by the backends that
list it in ``TimeSeriesStore.honours_settings``; on the others it is refused when changed and reported by
``unsupported``, never silently ignored.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any, Literal

from statusmon.meta.db import MetaDB
from statusmon.notify.channels import FIELDS

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

Kind = Literal["url", "host", "text", "choice", "channels", "int", "float", "thresholds"]
HonouredBy = Literal["always", "store"]


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    # "url": a channel URL (checked against the webhook allowlist; "" removes it); "host": an allowlisted host
    # name; "text": a string ("" removes it); "choice": one of ``choices``; "channels": channel names or None
    kind: Kind
    description: str
    bounds: tuple[float, float] | None = None  # inclusive, for "int" and "float"
    secret: bool = False  # masked when read back
    # "always": every server acts on it. "store": only time-series backends listing it in honours_settings.
    honoured_by: HonouredBy = "always"
    unhonoured: str = ""  # why not, and what to do instead, where it is not honoured
    shown_default: str = ""  # the default as the README says it, where the value itself says too little
    choices: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()  # a channel's fixed hosts, allowed for its URLs besides the allowlist


def _threshold_defaults() -> str:
    return ", ".join(f"`{k}` {t['direction']} {t['threshold']:g} for {t['duration_sec']} s"
                     for k, t in DEFAULT_THRESHOLDS.items())


_UNHONOURED = ("InfluxDB 3.x fixes a database's retention when it is created: create one database per tier "
               "with the retention you want (README, \"History tiers\")")
# The settings that set a tier's retention, and the tier each one sets.
RETENTION_TIERS = {"retention_days": "raw", "minute_retention_days": "minute", "hour_retention_days": "hour"}

SETTINGS: tuple[Setting, ...] = (
    *(Setting(f.setting, f.default, f.kind, f.description, bounds=f.bounds,
              secret=f.secret, choices=f.choices, hosts=c.hosts) for c, f in FIELDS),
    Setting("alert_channels", None, "channels",
            "the channels alerts notify, e.g. `[\"slack\", \"pagerduty\"]`; null: every configured channel "
            "(a rule's own `channels` overrides it)", shown_default="every configured channel"),
    Setting("thresholds", DEFAULT_THRESHOLDS, "thresholds",
            "global alert thresholds, one per alert metric: `threshold`, `duration_sec` (seconds held before it "
            "fires), `direction` (`above`/`below`), `enabled`; a change names only the metrics it changes",
            shown_default=_threshold_defaults()),
    Setting("online_timeout_seconds", 60, "int",
            "seconds without a report before a host counts as offline (and its offline alert starts)",
            bounds=(5, 86400)),
    Setting("retention_days", 7, "int",
            "days of raw samples kept (the agents' 1 s): SQLite prunes older ones hourly, InfluxDB 1.x alters "
            "the retention policy, 2.x the bucket's retention rule, as soon as it changes",
            bounds=(1, 3650), honoured_by="store", unhonoured=_UNHONOURED,
            shown_default="`STATUSMON_RETENTION_DAYS` (7)"),
    Setting("minute_retention_days", 90, "int",
            "days of one-minute buckets kept (the `minute` history tier), acted on as `retention_days`",
            bounds=(1, 3650), honoured_by="store", unhonoured=_UNHONOURED,
            shown_default="`STATUSMON_MINUTE_RETENTION_DAYS` (90)"),
    Setting("hour_retention_days", 730, "int",
            "days of one-hour buckets kept (the `hour` history tier), acted on as `retention_days`",
            bounds=(1, 36500), honoured_by="store", unhonoured=_UNHONOURED,
            shown_default="`STATUSMON_HOUR_RETENTION_DAYS` (730)"),
    Setting("alert_repeat_hours", 24, "float",
            "hours between two reminders of an alert still firing; 0: no reminders", bounds=(0, 24 * 30)),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
DEFAULTS: dict[str, Any] = {s.key: s.default for s in SETTINGS}
SECRET_KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS if s.secret)
URL_KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS if s.kind == "url")
EMPTY_REMOVES: tuple[str, ...] = tuple(s.key for s in SETTINGS if s.kind in ("url", "host", "text"))


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
        """``all()[key]`` without copying every default and reading every row (the live feed asks per report)."""
        if key not in self.defaults:
            raise KeyError(key)
        row = self.db.query_one("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(row["value"]) if row is not None else copy.deepcopy(self.defaults[key])

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(self.defaults)
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        with self.db.tx() as conn:
            for key, value in changes.items():
                conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))
        return self.all()


def unsupported(store_honours: Set[str]) -> dict[str, str]:
    """key -> why it is not honoured, for every setting the running time-series store does not act on."""
    return {s.key: s.unhonoured for s in SETTINGS if s.honoured_by == "store" and s.key not in store_honours}


def refused_changes(changes: Mapping[str, Any], current: Mapping[str, Any],
                    not_honoured: Mapping[str, str]) -> dict[str, list[str]]:
    """key -> [why] for each change to a setting that is not honoured (setting its current value is no change)."""
    return {key: [why] for key, why in not_honoured.items() if key in changes and changes[key] != current[key]}


def mask_secret(url: str | None) -> str | None:
    """Show where a webhook goes, never its secret path: https://hooks.slack.com/services/T0.../****."""
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path.split("/")
    visible = "/".join(path[:3]) if len(path) > 3 else ""
    return f"{parts.scheme}://{parts.hostname}{visible}/****"


def public_view(values: dict[str, Any], not_honoured: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings as GET /api/settings shows them: secrets masked (plus ``<key>_set``), and ``unsupported``:
    key -> why, for the settings this server does not act on."""
    out = dict(values)
    for key in SECRET_KEYS:
        value = values.get(key)
        out[key] = mask_secret(value) if BY_KEY[key].kind == "url" else ("****" if value else None)
        out[f"{key}_set"] = bool(value)
    out["unsupported"] = dict(not_honoured or {})
    return out

