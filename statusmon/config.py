"""Server settings, read once from the environment (prefix STATUSMON_) into a frozen object.

Never read at import time: ``Settings.from_env()`` is called by the entry points, and tests build Settings
directly. Every field is listed in the README's configuration table (tests/api/test_readme.py checks it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "STATUSMON_"


class ConfigError(ValueError):
    """A setting is invalid; the message names the variable and what is wrong."""


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "statusmon"


@dataclass(frozen=True)
class Settings:
    # Where the metadata database (and, without InfluxDB, the SQLite time series) live.
    data_dir: Path = field(default_factory=default_data_dir)
    bind: str = "127.0.0.1:8080"
    log_level: str = "INFO"
    # InfluxDB (v1 HTTP API: /write + /query, works on 1.x, 2.x and 3.x). Empty URL: SQLite.
    influx_url: str = ""
    influx_db: str = "statusmon"
    influx_rp: str = ""
    influx_token: str = ""
    influx_user: str = ""
    influx_password: str = ""
    influx_timeout: float = 10.0
    # PostgreSQL for the metadata (clients, tokens, sessions, settings, rules, alert state): several API
    # processes or machines share it. Empty: SQLite, meta.db in data_dir.
    database_url: str = ""
    retention_days: int = 7
    # The rollup tiers (statusmon/store/tiers.py): days of one-minute and one-hour buckets.
    minute_retention_days: int = 90
    hour_retention_days: int = 730
    # Who gets in.
    admin_password: str = ""
    session_hours: int = 12
    cookie_secure: bool = False
    allowed_origins: tuple[str, ...] = ()
    trust_proxy: bool = False
    login_rate_per_minute: int = 10
    # Ingest limits.
    max_body_bytes: int = 1 << 20
    max_decompressed_bytes: int = 8 << 20
    max_samples_per_batch: int = 3600
    max_mounts: int = 64
    max_gpus: int = 32
    max_future_seconds: int = 300
    max_past_seconds: int = 25 * 3600
    report_rate_per_minute: int = 120
    report_interval: int = 10
    live_report_interval: int = 1
    # Alerting and notifications.
    public_url: str = ""
    webhook_allow_hosts: tuple[str, ...] = ("hooks.slack.com",)
    alert_interval: float = 10.0
    # Agent updates: the signed TUF repository (statusmon release publish) served read-only at /updates/.
    updates_dir: str = ""
    # Shared state for many workers and replicas (live feed fan-out, rate limits, watched hosts, leases).
    # Empty: everything stays in the one process, and the redis package is never imported.
    redis_url: str = ""
    lease_seconds: float = 15.0

    @property
    def meta_db_path(self) -> Path:
        return self.data_dir / "meta.db"

    @property
    def meta_target(self) -> str | Path:
        """What ``statusmon.meta.db.open_meta`` opens: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or self.meta_db_path

    @property
    def sqlite_ts_path(self) -> Path:
        return self.data_dir / "metrics.db"

    @property
    def backend(self) -> str:
        return "influxdb" if self.influx_url else "sqlite"

    @classmethod
    def env_names(cls) -> list[str]:
        return [PREFIX + f.name.upper() for f in fields(cls)]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = PREFIX + f.name.upper()
            if name in env:
                values[f.name] = _parse(name, env[name], _default_of(f))
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.influx_url:
            parts = urlsplit(self.influx_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"{PREFIX}INFLUX_URL must be an http(s) URL, got {self.influx_url!r}")
            if self.influx_token and (self.influx_user or self.influx_password):
                raise ConfigError(f"set {PREFIX}INFLUX_TOKEN or {PREFIX}INFLUX_USER/PASSWORD, not both")
            if bool(self.influx_user) != bool(self.influx_password):
                raise ConfigError(f"{PREFIX}INFLUX_USER and {PREFIX}INFLUX_PASSWORD go together")
            if not self.influx_db:
                raise ConfigError(f"{PREFIX}INFLUX_DB must not be empty")
        if self.database_url:
            parts = urlsplit(self.database_url)
            if parts.scheme not in ("postgresql", "postgres") or not (parts.netloc or parts.query):
                raise ConfigError(f"{PREFIX}DATABASE_URL must be a postgresql:// URL, got "
                                  f"{parts.scheme or 'no scheme'}://...")
        if ":" not in self.bind:
            raise ConfigError(f"{PREFIX}BIND must be HOST:PORT, got {self.bind!r}")
        for name in ("retention_days", "minute_retention_days", "hour_retention_days",
                     "session_hours", "max_body_bytes", "max_decompressed_bytes",
                     "max_samples_per_batch", "max_mounts", "max_gpus", "login_rate_per_minute",
                     "report_rate_per_minute", "report_interval", "live_report_interval"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{PREFIX}{name.upper()} must be positive")
        if not 1 <= self.report_interval <= 60 or not 1 <= self.live_report_interval <= 60:
            raise ConfigError(f"{PREFIX}REPORT_INTERVAL and {PREFIX}LIVE_REPORT_INTERVAL must be 1..60 seconds")
        if self.redis_url and urlsplit(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(f"{PREFIX}REDIS_URL must be a redis://, rediss:// or unix:// URL")
        if not 3 <= self.lease_seconds <= 600:
            raise ConfigError(f"{PREFIX}LEASE_SECONDS must be 3..600 seconds")
        if self.public_url and urlsplit(self.public_url).scheme not in ("http", "https"):
            raise ConfigError(f"{PREFIX}PUBLIC_URL must be an http(s) URL")

    def redacted(self) -> dict[str, Any]:
        """The settings for logs: secrets replaced."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("influx_token", "influx_password", "admin_password") and v:
                v = "***"
            if f.name == "database_url" and urlsplit(v).password:
                parts = urlsplit(v)
                v = v.replace(f":{parts.password}@", ":***@", 1)
            if f.name == "redis_url" and v and urlsplit(v).password:
                v = "***"
            out[f.name] = str(v) if isinstance(v, Path) else v
        return out


def _default_of(f: Any) -> Any:
    from dataclasses import MISSING

    if f.default is not MISSING:
        return f.default
    return f.default_factory()


def _parse(name: str, raw: str, default: Any) -> Any:
    raw = raw.strip()
    try:
        if isinstance(default, bool):
            low = raw.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError("expected true or false")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            items = tuple(x.strip() for x in raw.split(",") if x.strip())
            if name == PREFIX + "WEBHOOK_ALLOW_HOSTS":
                # Extends the default (hooks.slack.com) rather than replacing it.
                return tuple(dict.fromkeys(default + items))
            return items
        if isinstance(default, Path):
            return Path(raw).expanduser()
        return raw
    except ValueError as e:
        raise ConfigError(f"{name}={raw!r}: {e}") from None
