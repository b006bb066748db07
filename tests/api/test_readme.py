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


def test_the_token_section_lists_every_route_a_read_only_token_opens(tmp_path: Path) -> None:
    """The Token section's list of read routes is the route table's: each route marked ``@readable``, once."""
    from api.app import create_app
    from api.auth import access_of

    app = create_app(Settings(data_dir=tmp_path, admin_password="a-long-password"), start_background=False)
    try:
        readable: set[str] = set()
        for rule in app.url_map.iter_rules():
            if access_of(app.view_functions.get(rule.endpoint)) != "read":
                continue
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"<\1>", rule.rule).replace("<client_id>", "<id>") \
                .replace("<rule_id>", "<id>")
            readable.add("/api/grafana/*" if path.startswith("/api/grafana") else f"GET {path}")
        section = README.split("### Token")[1].split("###")[0]
        listed = {m.replace("\n", " ") for m in re.findall(r"`((?:GET )?/api/[^`]+)`", section)}
        assert listed == readable
    finally:
        app.extensions["statusmon"].store.close()
