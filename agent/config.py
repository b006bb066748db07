"""Agent settings: one table, read once from a config file and ``STATUSMON_AGENT_*`` environment overrides.

The file is INI with an ``[agent]`` section (``key = value``); a key's environment override is
``STATUSMON_AGENT_`` + the key in upper case. The environment wins. ``SETTINGS`` is the single source of
truth: the README's configuration table is checked against it by a test.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from statusmon.labels import InvalidLabels
from statusmon.labels import parse_list as parse_labels

ENV_PREFIX = "STATUSMON_AGENT_"
DEFAULT_CONFIG_PATH = "/etc/statusmon/agent.conf"
ALL_COLLECTORS = "cpu,memory,disks,gpu,docker,load,net,diskio,temps,containers"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it and says what is expected."""


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    kind: str  # "str", "int", "float", "list"
    description: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.key.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("server", "", "str", "Base URL of the API, e.g. `https://monitor.example.com` (required)"),
    Setting("token", "", "str", "The host's client token, sent as `Authorization: Bearer` (required)"),
    Setting("spool_dir", "/var/lib/statusmon-agent", "str",
            "Directory of the on-disk spool (`spool.sqlite3`) and the quarantine file"),
    Setting("collectors", ALL_COLLECTORS, "list", "Enabled collectors, comma-separated"),
    Setting("sample_interval", "1", "int", "Seconds between samples (aligned to whole seconds)"),
    Setting("report_interval", "10", "int",
            "Seconds between batches; the server's `report_interval` hint overrides it within 1..60"),
    Setting("slow_interval", "300", "int", "Seconds between Docker disk-usage measurements"),
    Setting("containers_interval", "10", "int",
            "Seconds between polls of the Docker Engine API for per-container usage (`containers` collector)"),
    Setting("docker_socket", "/var/run/docker.sock", "str", "Docker Engine API unix socket"),
    Setting("docker_data_dir", "/var/lib/docker", "str",
            "Docker data directory, measured (at idle CPU and I/O priority) when the socket is unusable"),
    Setting("proc_root", "/proc", "str", "Where /proc is mounted (e.g. `/host/proc` in a container)"),
    Setting("root_path", "/", "str", "Filesystem whose usage gives `disk_percent` and `inode_percent`"),
    Setting("spool_max_bytes", str(128 * 1024 * 1024), "int",
            "Spool cap in bytes of sample JSON; the oldest samples are dropped (and counted) beyond it"),
    Setting("spool_max_age", "86400", "int", "Spool cap in seconds; older samples are dropped (and counted)"),
    Setting("batch_max", "600", "int", "Most samples in one POST (the server accepts up to 3600)"),
    Setting("catchup_rate", "300", "int", "Most samples per second sent while draining a backlog"),
    Setting("catchup_jitter", "30", "float",
            "Most seconds of random delay before draining a backlog (spreads a fleet reconnecting at once)"),
    Setting("backoff_max", "300", "float", "Cap in seconds of the retry backoff (full jitter)"),
    Setting("auth_retry", "900", "float", "Seconds between tries after a 401/403/404 (sending pauses)"),
    Setting("http_timeout", "10", "float", "Seconds before an HTTP request to the API is abandoned"),
    Setting("http_client", "builtin", "str",
            "`builtin` (a small HTTP/1.1 client) or `requests` (follows `HTTPS_PROXY`; about 12 MiB more memory)"),
    Setting("stop_timeout", "5", "float", "Seconds spent flushing the spool to the API on SIGTERM"),
    Setting("log_level", "INFO", "str", "DEBUG, INFO, WARNING or ERROR"),
    Setting("ledger", "", "str",
            "Test mode only: append every sample taken to this JSON-lines file (the tests' loss oracle)"),
    Setting("update", "1", "int",
            "`1`: `statusmon agent update` installs the release the API names (signed by the pinned keys); "
            "`0`: it does nothing (the off switch)"),
    Setting("install_root", "/opt/statusmon-agent", "str",
            "Where the releases live: `releases/<version>/` venvs, the `current` symlink, `trusted/root.json` "
            "(the pinned TUF root) and `state/`"),
    Setting("update_url", "", "str",
            "Base URL of the signed release repository (default: the API's `/updates/`)"),
    Setting("health_window", "300", "int",
            "Seconds the updater waits for the new agent's first accepted report before rolling back"),
    Setting("restart_command", "systemctl restart statusmon-agent.service", "str",
            "How the updater restarts the agent (the service manager's command)"),
    Setting("labels", "", "str",
            "This host's labels, sent with every report: `key=value` pairs, comma-separated (e.g. "
            "`env=prod,role=gpu`; `install.sh --label`); an admin's value for a key wins on the server"),
)


@dataclass(frozen=True)
class Config:
    server: str
    token: str
    spool_dir: str
    collectors: tuple[str, ...]
    sample_interval: int
    report_interval: int
    slow_interval: int
    containers_interval: int
    docker_socket: str
    docker_data_dir: str
    proc_root: str
    root_path: str
    spool_max_bytes: int
    spool_max_age: int
    batch_max: int
    catchup_rate: int
    catchup_jitter: float
    backoff_max: float
    auth_retry: float
    http_timeout: float
    http_client: str
    stop_timeout: float
    log_level: str
    ledger: str
    update: int
    install_root: str
    update_url: str
    health_window: int
    restart_command: str
    labels: str

    @property
    def label_map(self) -> dict[str, str]:
        """The ``labels`` setting as a dict (checked at load)."""
        return parse_labels(self.labels)

    @property
    def health_path(self) -> str:
        """The health mark the agent writes after its first accepted report (the updater waits for it)."""
        return os.path.join(self.spool_dir, "health.json")

    @property
    def updates_base(self) -> str:
        return (self.update_url or self.server.rstrip("/") + "/updates").rstrip("/") + "/"

    def check_sending(self) -> None:
        """Raise ConfigError unless the settings needed to deliver samples are present."""
        if not self.server:
            raise ConfigError(f"no API server: set 'server' in the config file or {ENV_PREFIX}SERVER")
        if not self.token:
            raise ConfigError(f"no client token: set 'token' in the config file or {ENV_PREFIX}TOKEN")


def _convert(setting: Setting, raw: str) -> object:
    raw = raw.strip()
    try:
        if setting.kind == "int":
            value: object = int(raw)
        elif setting.kind == "float":
            value = float(raw)
        elif setting.kind == "list":
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        else:
            return raw
    except ValueError:
        raise ConfigError(f"{setting.key} ({setting.env}) must be a number, got {raw!r}") from None
    if value < 0 or value != value:  # type: ignore[operator]
        raise ConfigError(f"{setting.key} ({setting.env}) must not be negative, got {raw!r}")
    return value


def load(path: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the config file (if it exists; a path given explicitly must exist), then apply the environment."""
    env = os.environ if environ is None else environ
    explicit = path is not None or bool(env.get(ENV_PREFIX + "CONFIG"))
    path = path or env.get(ENV_PREFIX + "CONFIG") or DEFAULT_CONFIG_PATH
    raw: dict[str, str] = {s.key: s.default for s in SETTINGS}
    known = set(raw)
    if Path(path).exists():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise ConfigError(f"cannot parse {path}: {exc}") from None
        if parser.has_section("agent"):
            for key, value in parser.items("agent"):
                if key not in known:
                    raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
                raw[key] = value
    elif explicit:
        raise ConfigError(f"config file {path} does not exist")
    for s in SETTINGS:
        if s.env in env:
            raw[s.key] = env[s.env]
    values = {s.key: _convert(s, raw[s.key]) for s in SETTINGS}
    config = Config(**values)  # type: ignore[arg-type]
    _check(config)
    return config


def _check(c: Config) -> None:
    from agent.collectors import COLLECTOR_NAMES

    unknown = [n for n in c.collectors if n not in COLLECTOR_NAMES]
    if unknown:
        raise ConfigError(f"unknown collector(s) {', '.join(unknown)}; known: {', '.join(COLLECTOR_NAMES)}")
    if c.server and not c.server.startswith(("http://", "https://")):
        raise ConfigError(f"server must be an http:// or https:// URL, got {c.server!r}")
    for name in ("sample_interval", "report_interval", "slow_interval", "containers_interval", "batch_max",
                 "catchup_rate"):
        if getattr(c, name) < 1:
            raise ConfigError(f"{name} must be at least 1")
    if c.batch_max > 3600:
        raise ConfigError("batch_max must be at most 3600 (the API's limit per batch)")
    if c.update not in (0, 1):
        raise ConfigError(f"update must be 0 or 1, got {c.update}")
    if c.update_url and not c.update_url.startswith(("http://", "https://")):
        raise ConfigError(f"update_url must be an http:// or https:// URL, got {c.update_url!r}")
    if c.http_client not in ("builtin", "requests"):
        raise ConfigError(f"http_client must be builtin or requests, got {c.http_client!r}")
    try:
        parse_labels(c.labels)
    except InvalidLabels as e:
        raise ConfigError(f"labels ({ENV_PREFIX}LABELS): {e}") from None
    if c.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"log_level must be DEBUG, INFO, WARNING or ERROR, got {c.log_level!r}")


assert [f.name for f in fields(Config)] == [s.key for s in SETTINGS], "SETTINGS and Config must agree"
