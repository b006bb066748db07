"""End to end, the grouping promise at fleet scale: a real `statusmon server` (SQLite), a real `statusmon alerting`
worker process and four real loopback receivers (Slack, the generic webhook, Discord, ntfy). 300 hosts that
reported once through /api/report go offline in one cycle: each channel gets exactly one message naming the
count and the first hosts, nothing more follows over the next cycles, and the history holds 300 incidents."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from tests.alerting.receiver import receiver
from tests.alerting.test_end_to_end import cycles_after, worker_process
from tests.support.server import ServerProcess, start_server

pytestmark = pytest.mark.integration

HOSTS = 300


def add_and_report(srv: ServerProcess, ts: int) -> dict[str, str]:
    """HOSTS clients added through the API, each reporting one sample at ``ts`` through /api/report (so each
    is seen, with the same last-seen time): hostname -> client id."""
    admin, ids = srv.admin(), {}
    with requests.Session() as agents:
        for i in range(HOSTS):
            hostname = f"host-{i:03d}"
            r = admin.post(srv.url + "/api/clients", json={"hostname": hostname}, timeout=10)
            assert r.status_code == 201, r.text
            ids[hostname] = r.json()["client"]["id"]
            r = agents.post(srv.url + "/api/report", timeout=10,
                            json={"agent_version": "e2e", "samples": [{"ts": ts, "cpu_percent": 10.0}]},
                            headers={"Authorization": f"Bearer {r.json()['token']}"})
            assert r.status_code == 200, r.text
    return ids


def test_300_hosts_going_offline_in_one_cycle_send_one_message_per_channel(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with receiver() as slack, receiver() as hook, receiver() as discord, receiver() as ntfy, \
            start_server(data_dir, webhook_allow_hosts="127.0.0.1") as srv:
        admin = srv.admin()
        r = admin.post(srv.url + "/api/settings", timeout=10, json={
            "slack_webhook_url": slack.url(), "webhook_url": hook.url("/hook"),
            "discord_webhook_url": discord.url("/api/webhooks/1234/SECRETTOKEN"),
            "ntfy_topic": "statusmon-alerts", "ntfy_server": ntfy.base,
            "online_timeout_seconds": 3600})
        assert r.status_code == 200, r.text
        seen_at = int(time.time())
        ids = add_and_report(srv, seen_at)
        env = {**srv.env, "STATUSMON_DATA_DIR": str(data_dir)}
        env.pop("STATUSMON_ADMIN_PASSWORD", None)
        receivers = {"slack": slack, "webhook": hook, "discord": discord, "ntfy": ntfy}

        with worker_process(data_dir, env):
            # Normal cycles first: all 300 online, nothing sent, nothing in the history.
            cycles_after(srv, admin, time.time())
            assert {name: len(rx.received) for name, rx in receivers.items()} == dict.fromkeys(receivers, 0)
            assert admin.get(srv.url + "/api/alerts", timeout=10).json()["alerts"] == []
            # They stopped reporting: once their one report is older than the shortest timeout the settings
            # allow, setting it makes all 300 go offline in the worker's next cycle (the same last-seen time
            # for all, so none can straggle into a later cycle).
            while time.time() <= seen_at + 6:
                time.sleep(0.1)
            r = admin.post(srv.url + "/api/settings", json={"online_timeout_seconds": 5}, timeout=10)
            assert r.status_code == 200, r.text
            for rx in receivers.values():
                rx.wait_for(1)
            cycles_after(srv, admin, time.time(), n=5)  # the following cycles send nothing more
            assert {name: len(rx.received) for name, rx in receivers.items()} == dict.fromkeys(receivers, 1)

        (event,) = hook.bodies()
        assert (event["kind"], event["count"], event["counts"]) == ("group", 300, {"offline": 300})
        assert event["hostnames"] == sorted(ids)  # the webhook's JSON names every host
        first = [e["hostname"] for e in event["events"]]
        assert len(first) == 5 and len(set(first)) == 5 and set(first) <= set(ids)
        assert {e["kind"] for e in event["events"]} == {"firing"}
        (text,) = [b["text"] for b in slack.bodies()]
        assert text.startswith(":rotating_light: *300 ALERTS* 300 alerts changed state at once (300 offline)")
        assert re.findall(r"OFFLINE: (host-\d{3}) is offline", text) == first and "… and 295 more" in text
        ((embed,),) = [b["embeds"] for b in discord.bodies()]
        assert embed["title"] == "300 ALERTS" and "300 alerts changed state at once" in embed["description"]
        assert all(h in embed["description"] for h in first) and "… and 295 more" in embed["description"]
        (note,) = ntfy.bodies()
        assert (note["topic"], note["title"], note["priority"]) == ("statusmon-alerts",
                                                                    "Status Monitor: 300 ALERTS", 4)
        assert all(h in note["message"] for h in first) and "… and 295 more" in note["message"]

        incidents = admin.get(srv.url + "/api/alerts", params={"limit": 1000}, timeout=10).json()["alerts"]
        assert len(incidents) == 300
        assert {i["client_id"] for i in incidents} == set(ids.values())
        assert {(i["metric_type"], i["active"], i["silenced"]) for i in incidents} == {("offline", True, False)}
