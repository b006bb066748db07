"""The README documents every setting (environment and run time) and every metric (generated tables)."""

from __future__ import annotations

import re
from pathlib import Path

from statusmon.config import Settings
from statusmon.docs import metrics_table, settings_table
from statusmon.meta.settings import SETTINGS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_server_setting_is_in_the_configuration_table() -> None:
    documented = set(re.findall(r"^\| `(STATUSMON_[A-Z_]+)` \|", README, re.M))
    server = set(Settings.env_names())
    assert server - documented == set(), "undocumented settings"
    stale = {n for n in documented - server if not n.startswith("STATUSMON_AGENT_")}
    assert stale == set(), "documented settings that do not exist"


def test_the_metric_table_is_the_generated_one() -> None:
    block = README.split("<!-- metrics-table -->")[1].split("<!-- /metrics-table -->")[0]
    assert block.strip() == metrics_table()


def test_the_first_two_commands_run_the_product_and_the_tests() -> None:
    commands = re.findall(r"^\./infra/\S+", README, re.M)
    assert commands[:2] == ["./infra/run.sh", "./infra/test.sh"]
    root = Path(__file__).resolve().parents[2]
    assert "infra/test.sh" in (root / ".ci" / "run").read_text()


def test_the_settings_keys_table_is_the_generated_one() -> None:
    block = README.split("<!-- settings-table -->")[1].split("<!-- /settings-table -->")[0]
    assert block.strip() == settings_table()
    documented = re.findall(r"^\| `([a-z_]+)` \|", block, re.M)
    assert documented == [s.key for s in SETTINGS], "every run-time setting, in the table's order"
