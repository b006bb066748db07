"""Settings are read once from the environment and checked at start with messages naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from statusmon.config import ConfigError, Settings


def test_defaults_use_sqlite_under_the_home() -> None:
    s = Settings.from_env({})
    assert s.backend == "sqlite" and s.bind == "127.0.0.1:8080"
    assert s.data_dir.parts[-1] == "statusmon"


def test_values_are_parsed_by_type(tmp_path: Path) -> None:
    s = Settings.from_env({"STATUSMON_DATA_DIR": str(tmp_path), "STATUSMON_INFLUX_URL": "http://db:8086",
                           "STATUSMON_INFLUX_TOKEN": "t", "STATUSMON_COOKIE_SECURE": "yes",
                           "STATUSMON_RETENTION_DAYS": "30", "STATUSMON_ALERT_INTERVAL": "2.5",
                           "STATUSMON_WEBHOOK_ALLOW_HOSTS": "chat.example.org, 127.0.0.1"})
    assert s.backend == "influxdb" and s.meta_db_path == tmp_path / "meta.db"
    assert s.cookie_secure is True and s.retention_days == 30 and s.alert_interval == 2.5
    assert s.webhook_allow_hosts == ("hooks.slack.com", "chat.example.org", "127.0.0.1")


@pytest.mark.parametrize("env,needle", [
    ({"STATUSMON_RETENTION_DAYS": "a week"}, "STATUSMON_RETENTION_DAYS"),
    ({"STATUSMON_COOKIE_SECURE": "maybe"}, "STATUSMON_COOKIE_SECURE"),
    ({"STATUSMON_INFLUX_URL": "influx:8086"}, "STATUSMON_INFLUX_URL"),
    ({"STATUSMON_INFLUX_URL": "http://x", "STATUSMON_INFLUX_TOKEN": "t", "STATUSMON_INFLUX_USER": "u",
      "STATUSMON_INFLUX_PASSWORD": "p"}, "not both"),
    ({"STATUSMON_INFLUX_URL": "http://x", "STATUSMON_INFLUX_USER": "u"}, "go together"),
    ({"STATUSMON_BIND": "8080"}, "STATUSMON_BIND"),
    ({"STATUSMON_REPORT_INTERVAL": "0"}, "STATUSMON_REPORT_INTERVAL"),
    ({"STATUSMON_REPORT_INTERVAL": "300"}, "1..60"),
])
def test_invalid_settings_are_refused_with_the_variable_named(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Settings.from_env(env)


def test_secrets_are_redacted_for_logs() -> None:
    s = Settings.from_env({"STATUSMON_INFLUX_URL": "http://x", "STATUSMON_INFLUX_TOKEN": "sekrit",
                           "STATUSMON_ADMIN_PASSWORD": "hunter22"})
    assert "sekrit" not in str(s.redacted()) and "hunter22" not in str(s.redacted())
