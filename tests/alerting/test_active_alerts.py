"""What the dashboard asks of alerting: alerts pending and firing now with their notifications, history
filters, and the thresholds that apply to a client (GET /api/alerts/active, /api/alerts, .../thresholds)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerting.delivery import Dispatcher
from alerting.engine import Evaluator
from statusmon.meta.alerts import AlertDB
from statusmon.notify import HttpClient
from statusmon.notify.http import HttpPolicy
from tests.alerting.receiver import Answer, Receiver
from tests.api.conftest import META_PARAMS, Api, good_sample, make_api


@pytest.fixture(params=META_PARAMS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request, request.param, webhook_allow_hosts=("127.0.0.1",))
    yield a.login()
    a.state.store.close()


def _dispatcher(api: Api) -> Dispatcher:
    http = HttpClient(["127.0.0.1"], HttpPolicy(connect_timeout=1.0, read_timeout=1.0, attempts=1))
    return Dispatcher(AlertDB(api.state.meta), http)


def _worker(api: Api) -> Evaluator:
    """The worker's evaluator, queueing for the configured channels as ``alerting.main`` wires it."""
    return Evaluator(api.state.meta, api.state.store, channels=_dispatcher(api).active_channels)


def _rule(api: Api, **rule: object) -> int:
    r = api.admin("POST", "/api/alert-rules", json=rule)
    assert r.status_code == 201, r.json
    return int(r.json["id"])


def test_active_lists_firing_with_its_delivered_notification_and_pending_with_its_rule(api: Api,
                                                                                         rx: Receiver) -> None:
    cid, token = api.add_client("web-1")
    other, token2 = api.add_client("db-1")
    api.state.global_settings.update({"thresholds": {}})
    assert api.admin("POST", "/api/settings", json={"webhook_url": rx.url()}).status_code == 200
    _rule(api, client_id=cid, metric_type="cpu_percent", threshold=50, duration_sec=0)
    _rule(api, client_id=other, metric_type="gpu_temp_c", threshold=40, duration_sec=3600, gpu=0)
    now = int(time.time())
    assert api.report(token, {"agent_version": "1", "samples": [good_sample(now - 5, cpu_percent=93.5)]}
                      ).status_code == 200
    assert api.report(token2, {"agent_version": "1", "samples": [good_sample(now - 5)]}).status_code == 200
    _worker(api).run_cycle(now)

    body = api.http.get("/api/alerts/active").json
    assert (body["firing"], body["pending"]) == (1, 1)
    firing, pending = body["alerts"]
    assert {k: firing[k] for k in ("client_id", "hostname", "metric_type", "status", "value", "threshold",
                                   "direction", "since", "fired_at", "mount", "gpu")} == {
        "client_id": cid, "hostname": "web-1", "metric_type": "cpu_percent", "status": "firing", "value": 93.5,
        "threshold": 50.0, "direction": "above", "since": now - 5, "fired_at": now - 5, "mount": None,
        "gpu": None}
    assert firing["incident_id"] == api.http.get("/api/alerts?state=firing").json["alerts"][0]["id"]
    assert [(n["channel"], n["kind"], n["status"]) for n in firing["notifications"]] == [
        ("webhook", "firing", "queued")]
    assert {k: pending[k] for k in ("hostname", "status", "metric_type", "gpu", "threshold", "value",
                                    "incident_id", "notifications")} == {
        "hostname": "db-1", "status": "pending", "metric_type": "gpu_temp_c", "gpu": 0, "threshold": 40.0,
        "value": 50.0, "incident_id": None, "notifications": []}

    rx.default = Answer(200, "ok")
    _dispatcher(api).deliver(api.state.global_settings.all())
    (n,) = api.http.get(f"/api/alerts/active?client_id={cid}").json["alerts"][0]["notifications"]
    assert (n["status"], n["error"]) == ("sent", None) and len(rx.received) == 1

    # It resolves: gone from the active list, kept in history as resolved.
    assert api.report(token, {"agent_version": "1", "samples": [good_sample(now + 1, cpu_percent=3.0)]}
                      ).status_code == 200
    _worker(api).run_cycle(now + 2)
    assert [a["hostname"] for a in api.http.get("/api/alerts/active").json["alerts"]] == ["db-1"]
    (resolved,) = api.http.get("/api/alerts?state=resolved").json["alerts"]
    assert resolved["hostname"] == "web-1" and resolved["resolved_value"] == 3.0


def test_a_failed_delivery_shows_as_failed_with_its_error(api: Api, rx: Receiver) -> None:
    cid, token = api.add_client("web-1")
    api.state.global_settings.update({"thresholds": {}})
    assert api.admin("POST", "/api/settings", json={"webhook_url": rx.url()}).status_code == 200
    _rule(api, metric_type="cpu_percent", threshold=50, duration_sec=0)
    now = int(time.time())
    api.report(token, {"agent_version": "1", "samples": [good_sample(now - 5, cpu_percent=99.0)]})
    _worker(api).run_cycle(now)
    rx.default = Answer(404, "gone")
    _dispatcher(api).deliver(api.state.global_settings.all())
    (n,) = api.http.get("/api/alerts/active").json["alerts"][0]["notifications"]
    assert n["status"] == "failed" and n["error"]


def test_history_filters_by_host_metric_state_and_time_and_pages(api: Api) -> None:
    cid, token = api.add_client("web-1")
    _, token2 = api.add_client("db-1")
    api.state.global_settings.update({"thresholds": {}})
    _rule(api, metric_type="cpu_percent", threshold=50, duration_sec=0)
    _rule(api, metric_type="ram_percent", threshold=30, duration_sec=0)
    now = int(time.time())
    for t in (token, token2):
        api.report(t, {"agent_version": "1", "samples": [good_sample(now - 100, cpu_percent=90.0)]})
    _worker(api).run_cycle(now - 99)
    api.report(token, {"agent_version": "1", "samples": [good_sample(now - 50, cpu_percent=1.0)]})
    _worker(api).run_cycle(now - 49)

    def hosts(q: str) -> list[tuple[str, str, bool]]:
        r = api.http.get("/api/alerts?" + q)
        assert r.status_code == 200, r.json
        return sorted((a["hostname"], a["metric_type"], a["active"]) for a in r.json["alerts"])

    assert len(hosts("")) == 4
    assert hosts("host=web-1&metric=cpu_percent") == [("web-1", "cpu_percent", False)]
    assert hosts(f"host={cid}&state=firing") == [("web-1", "ram_percent", True)]
    assert hosts("metric=cpu_percent&state=firing") == [("db-1", "cpu_percent", True)]
    assert hosts(f"from={now - 20}&metric=cpu_percent") == [("db-1", "cpu_percent", True)]  # web-1's ended
    assert hosts(f"to={now - 100}") == []  # nothing fired before
    first = api.http.get("/api/alerts?limit=3").json
    rest = api.http.get(f"/api/alerts?limit=3&before={first['next_before']}").json
    assert len(first["alerts"]) == 3 and len(rest["alerts"]) == 1 and rest["next_before"] is None
    for bad in ("state=open", "metric=nope", "from=x"):
        r = api.http.get("/api/alerts?" + bad)
        assert r.status_code == 400 and r.json["error"]["code"] == "bad_request", bad


def test_thresholds_are_the_rules_the_worker_applies_to_each_series(api: Api) -> None:
    cid, token = api.add_client("gpu-1")
    other, _ = api.add_client("gpu-2")
    api.state.global_settings.update({"thresholds": {
        "cpu_percent": {"threshold": 95, "duration_sec": 60, "direction": "above", "enabled": True}}})
    # No sample yet: only the host-wide series are known (no mounts, no GPUs).
    assert [r["rule"] for r in api.http.get(f"/api/clients/{cid}/thresholds").json["thresholds"]] == [
        "default:cpu_percent"]
    api.report(token, {"agent_version": "1", "samples": [good_sample(int(time.time()))]})
    _rule(api, metric_type="gpu_temp_c", threshold=85, duration_sec=0)  # every GPU of every client
    mine = _rule(api, client_id=cid, metric_type="gpu_temp_c", threshold=70, duration_sec=0, gpu=0)
    _rule(api, client_id=other, metric_type="cpu_percent", threshold=10, duration_sec=0)  # not this client
    _rule(api, client_id=cid, metric_type="mount_used_percent", threshold=90, duration_sec=0, mount="/x")
    rows = api.http.get(f"/api/clients/{cid}/thresholds").json["thresholds"]
    assert sorted((r["metric_type"], r["mount"], r["gpu"], r["threshold"], r["rule"]) for r in rows) == [
        ("cpu_percent", None, None, 95.0, "default:cpu_percent"),
        ("gpu_temp_c", None, 0, 70.0, f"rule:{mine}"),  # the client's own GPU 0 rule wins over the global one
    ]
    gpu = next(r for r in rows if r["metric_type"] == "gpu_temp_c")
    assert (gpu["family"], gpu["field"], gpu["direction"], gpu["rule_id"]) == ("gpu", "temp_c", "above", mine)
    assert api.http.get("/api/clients/nope/thresholds").status_code == 404


def test_the_live_feed_publishes_an_alerts_frame_when_an_alert_fires_and_when_it_resolves(api: Api) -> None:
    import json

    from api.live.broker import LocalBroker, Subscription
    from api.live.feed import LiveFeed

    cid, token = api.add_client("web-1")
    api.state.global_settings.update({"thresholds": {}})
    _rule(api, metric_type="cpu_percent", threshold=50, duration_sec=0)
    broker = LocalBroker()
    feed = LiveFeed(api.state, broker)
    # A viewer subscribed as feed.open() does, without the feed's own loops: its alerts loop would call
    # check_alerts every 0.25 s beside this test's calls and take the change first (CI saw it once).
    sub = Subscription(feed.QUEUE_FRAMES, feed.QUEUE_BYTES)
    broker.subscribe(sub)

    def frames() -> list[dict[str, object]]:
        broker.flush()
        out = []
        for raw in sub.take(0):
            payload = raw[raw.index(b"{"):]  # past the WebSocket header
            msg = json.loads(payload)
            out += msg["frames"] if msg["type"] == "batch" else [msg]
        return [f for f in out if f["type"] == "alerts"]

    assert feed.check_alerts() is False  # the baseline
    now = int(time.time())
    api.report(token, {"agent_version": "1", "samples": [good_sample(now - 5, cpu_percent=99.0)]})
    _worker(api).run_cycle(now)
    assert feed.check_alerts() is True and feed.check_alerts() is False  # once per change
    assert frames() == [{"type": "alerts", "firing": 1, "pending": 0, "clients": [cid]}]
    api.report(token, {"agent_version": "1", "samples": [good_sample(now + 1, cpu_percent=1.0)]})
    _worker(api).run_cycle(now + 2)
    assert feed.check_alerts() is True
    assert frames() == [{"type": "alerts", "firing": 0, "pending": 0, "clients": []}]


def test_active_alerts_say_which_ones_a_silence_mutes_now_and_the_feed_tells_pages_when_that_changes(
        api: Api) -> None:
    """``silenced`` follows the silences active at the request (at once, before the worker's next cycle); the
    worker's mark of it (``alert_state.silenced``) is part of what the live feed watches, so other open pages
    refetch."""
    from api.live.broker import LocalBroker
    from api.live.feed import LiveFeed

    web, token = api.add_client("web-1")
    _, token2 = api.add_client("db-1")
    api.state.global_settings.update({"thresholds": {}})
    rule_id = _rule(api, metric_type="cpu_percent", threshold=50, duration_sec=0)
    now = int(time.time())
    for t in (token, token2):
        assert api.report(t, {"agent_version": "1", "samples": [good_sample(now - 5, cpu_percent=99.0)]}
                          ).status_code == 200
    _worker(api).run_cycle(now)
    feed = LiveFeed(api.state, LocalBroker())
    feed.check_alerts()  # the baseline

    def silenced() -> dict[str, tuple[bool, float | None]]:
        return {a["hostname"]: (a["silenced"], a["silenced_until"])
                for a in api.http.get("/api/alerts/active").json["alerts"]}

    assert silenced() == {"web-1": (False, None), "db-1": (False, None)}
    r = api.admin("POST", "/api/silences", json={"scope": "host", "client_id": web, "duration_sec": 3600,
                                                 "comment": "disk swap"})
    assert r.status_code == 201, r.json
    host_silence = r.json
    assert silenced() == {"web-1": (True, host_silence["ends_at"]), "db-1": (False, None)}
    r = api.admin("POST", "/api/silences", json={"scope": "rule", "rule_id": rule_id, "duration_sec": 7200,
                                                 "comment": "noisy"})
    assert r.status_code == 201, r.json
    # Covered by both: until the later end.
    assert silenced() == {"web-1": (True, r.json["ends_at"]), "db-1": (True, r.json["ends_at"])}
    assert api.admin("DELETE", f"/api/silences/{r.json['id']}").status_code == 204
    assert silenced() == {"web-1": (True, host_silence["ends_at"]), "db-1": (False, None)}

    assert feed.check_alerts() is False  # nothing the worker wrote yet
    # At the clock's time, not ``now + 1``: a silence is active from when it was made, which on a slow metadata
    # database (PostgreSQL here) can be more than a second after ``now`` (this step once ran before it and
    # marked nothing).
    _worker(api).run_cycle(max(now + 1, time.time()))
    assert feed.check_alerts() is True  # the worker marked web-1's alert muted: pages refetch
    assert feed.check_alerts() is False


def test_the_live_feeds_background_checks_end_when_the_apps_metadata_closes(api: Api) -> None:
    """A loop that outlived its app would log a failed check four times a second, for ever."""
    import threading

    from api.live.broker import LocalBroker
    from api.live.feed import LiveFeed

    feed = LiveFeed(api.state, LocalBroker())
    loops = [threading.Thread(target=feed._alerts_loop, daemon=True),
             threading.Thread(target=feed._presence_loop, daemon=True)]
    for t in loops:
        t.start()
    time.sleep(0.5)
    assert all(t.is_alive() for t in loops)
    api.state.meta.close()
    for t in loops:
        t.join(feed.PRESENCE_EVERY + 2)
    assert not any(t.is_alive() for t in loops)
