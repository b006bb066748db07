"""End to end with a real `statusmon server`, a real `statusmon alerting` worker process and two real loopback
receivers (Slack and the generic webhook): a rule routed to one channel reaches only that one; a silenced host
fires into the history marked silenced and sends nothing; ending the silence early sends exactly one message,
to each of that alert's channels."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.alerting.receiver import receiver
from tests.alerting.test_end_to_end import cycles_after, report, worker_process
from tests.support.server import start_server

pytestmark = pytest.mark.integration


def test_routing_and_a_silence_that_holds_then_ends_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with receiver() as slack, receiver() as hook, start_server(data_dir, webhook_allow_hosts="127.0.0.1") as srv:
        admin = srv.admin()
        web, web_token = srv.add_client("web-1")
        db, db_token = srv.add_client("db-1")
        r = admin.post(srv.url + "/api/settings", json={"slack_webhook_url": slack.url(),
                                                        "webhook_url": hook.url("/hook"),
                                                        "online_timeout_seconds": 3600}, timeout=10)
        assert r.status_code == 200, r.text
        base = {"metric_type": "cpu_percent", "threshold": 90, "duration_sec": 0}
        assert admin.post(srv.url + "/api/alert-rules", json={**base, "client_id": web, "channels": ["webhook"]},
                          timeout=10).status_code == 201
        assert admin.post(srv.url + "/api/alert-rules", json={**base, "client_id": db},
                          timeout=10).status_code == 201  # null: every configured channel
        r = admin.post(srv.url + "/api/silences", json={"scope": "host", "client_id": db, "duration_sec": 3600,
                                                        "comment": "reindexing"}, timeout=10)
        assert r.status_code == 201, r.text
        silence_id = r.json()["id"]
        env = {**srv.env, "STATUSMON_DATA_DIR": str(data_dir)}
        env.pop("STATUSMON_ADMIN_PASSWORD", None)
        now = int(time.time())
        with worker_process(data_dir, env):
            report(srv, web_token, [{"ts": now - 5, "cpu_percent": 97.0}])
            report(srv, db_token, [{"ts": now - 5, "cpu_percent": 98.0}])
            hook.wait_for(1)
            cycles_after(srv, admin, time.time())
            assert [b["hostname"] for b in hook.bodies()] == ["web-1"]  # db-1 is silenced
            assert slack.bodies() == []  # web-1's rule names only the webhook; db-1 is silenced
            alerts = {a["hostname"]: a for a in admin.get(srv.url + "/api/alerts", timeout=10).json()["alerts"]}
            assert alerts["db-1"]["active"] and alerts["db-1"]["silenced"] is True
            assert alerts["web-1"]["active"] and alerts["web-1"]["silenced"] is False
            # Ended early while db-1 still fires: one message, on each of its channels, saying so.
            assert admin.delete(srv.url + f"/api/silences/{silence_id}", timeout=10).status_code == 204
            slack.wait_for(1)
            hook.wait_for(2)
            cycles_after(srv, admin, time.time())
            assert len(slack.bodies()) == 1 and len(hook.bodies()) == 2
            assert "SILENCE ENDED" in slack.bodies()[0]["text"] and "db-1" in slack.bodies()[0]["text"]
            assert (hook.bodies()[1]["kind"], hook.bodies()[1]["hostname"]) == ("unsilenced", "db-1")
