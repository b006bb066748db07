"""Settings: one table, a config file, STATUSMON_AGENT_* overrides, clear errors, and a README that lists
them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.config import SETTINGS, ConfigError, load

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    conf = tmp_path / "agent.conf"
    conf.write_text(
        "[agent]\nserver = https://a.example\ntoken = from-file\nreport_interval = 5\n"
        "collectors = cpu, disks\n"
    )
    c = load(str(conf), {"STATUSMON_AGENT_TOKEN": "from-env", "STATUSMON_AGENT_SPOOL_DIR": "/tmp/s"})
    assert (c.server, c.token, c.spool_dir, c.report_interval) == (
        "https://a.example",
        "from-env",
        "/tmp/s",
        5,
    )
    assert c.collectors == ("cpu", "disks")


def test_defaults_need_no_file() -> None:
    c = load(environ={"STATUSMON_AGENT_CONFIG": "/dev/null"})
    assert c.sample_interval == 1 and c.report_interval == 10 and c.spool_max_age == 86400
    assert c.collectors == ("cpu", "memory", "disks", "gpu", "docker", "load", "net", "diskio", "temps",
                            "containers")
    assert c.containers_interval == 10


@pytest.mark.parametrize(
    "env, message",
    [
        ({"STATUSMON_AGENT_COLLECTORS": "cpu,sensors"}, "unknown collector"),
        ({"STATUSMON_AGENT_SERVER": "monitor.example.com"}, "http:// or https://"),
        ({"STATUSMON_AGENT_REPORT_INTERVAL": "soon"}, "must be a number"),
        ({"STATUSMON_AGENT_SAMPLE_INTERVAL": "0"}, "at least 1"),
        ({"STATUSMON_AGENT_BATCH_MAX": "5000"}, "at most 3600"),
        ({"STATUSMON_AGENT_CONFIG": "/nonexistent/agent.conf"}, "does not exist"),
        ({"STATUSMON_AGENT_LABELS": "env=prod,role"}, "labels .*is not key=value"),
        ({"STATUSMON_AGENT_LABELS": "Env=prod"}, "labels .*is not key=value"),
        ({"STATUSMON_AGENT_LABELS": "env=prod,env=dev"}, "labels .*twice"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(env: dict[str, str], message: str) -> None:
    env = {"STATUSMON_AGENT_CONFIG": "/dev/null", **env}
    with pytest.raises(ConfigError, match=message):
        load(environ=env)


def test_an_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    conf = tmp_path / "agent.conf"
    conf.write_text("[agent]\nservr = https://typo.example\n")
    with pytest.raises(ConfigError, match="unknown setting 'servr'"):
        load(str(conf), {})


def test_sending_needs_server_and_token() -> None:
    c = load(environ={"STATUSMON_AGENT_CONFIG": "/dev/null", "STATUSMON_AGENT_SERVER": "http://x"})
    with pytest.raises(ConfigError, match="STATUSMON_AGENT_TOKEN"):
        c.check_sending()


def test_the_readme_lists_every_agent_setting() -> None:
    text = README.read_text()
    section = re.search(r"<!-- section:agent -->(.*)<!-- /section:agent -->", text, re.S)
    assert section, "README has no agent section"
    names = [s.env for s in SETTINGS] + ["STATUSMON_AGENT_CONFIG"]
    missing = [n for n in names if f"`{n}`" not in section.group(1)]
    assert not missing, f"README agent section lacks {missing}"


def test_labels_come_from_the_file_as_written_by_install_sh(tmp_path: Path) -> None:
    conf = tmp_path / "agent.conf"
    conf.write_text("[agent]\nserver = https://m.example.com\ntoken = t\nlabels = env=prod,role=gpu\n")
    assert load(str(conf), environ={}).label_map == {"env": "prod", "role": "gpu"}
    assert load(environ={"STATUSMON_AGENT_CONFIG": "/dev/null"}).label_map == {}
