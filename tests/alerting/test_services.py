"""The seven service transports (Discord, Teams, Telegram, ntfy, Gotify, PagerDuty here; email in
test_email.py) against a real HTTP receiver on loopback: the exact body each service documents, retries on
5xx and 429 (with Retry-After), the service's permanent errors disabling the channel, timeouts, the allowlist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from statusmon.notify import HttpClient, TransportError, build, channel
from statusmon.notify.events import group_event
from statusmon.notify.http import HttpPolicy, refusal
from statusmon.webhooks import WebhookNotAllowed, check_webhook_url
from tests.alerting.receiver import Answer, Receiver
from tests.alerting.test_transports import FIRING, RESOLVED

pytestmark = pytest.mark.integration

HEADLINE = "web-1: CPU is above 95.0 % for 10 min (now 97.2 %)"
LINK = "https://mon.example/client/c0ffee"
KEY = "R0UT1NGKEY0000000000000000000000"

CONFIGS: dict[str, Callable[[Receiver], dict[str, Any]]] = {
    "discord": lambda rx: {"url": rx.url("/api/webhooks/1234/SECRETTOKEN")},
    "teams": lambda rx: {"url": rx.url("/workflows/ab12/triggers/manual/paths/invoke?api-version=1&sig=SECRETSIG")},
    "telegram": lambda rx: {"bot_token": "123456:SECRETTOKEN", "chat_id": "-1001234", "api_url": rx.base},
    "ntfy": lambda rx: {"topic": "statusmon-alerts", "server": rx.base, "token": "tk_SECRETTOKEN"},
    "gotify": lambda rx: {"server": rx.base + "/", "token": "SECRETTOKEN"},
    "pagerduty": lambda rx: {"routing_key": KEY, "events_url": rx.url("/v2/enqueue")},
}
SERVICES = list(CONFIGS)


def client(sleep: Callable[[float], None] | None = None, **policy: float) -> HttpClient:
    defaults = {"connect_timeout": 1.0, "read_timeout": 1.0, "attempts": 3, "backoff": 0.01}
    return HttpClient(["127.0.0.1"], HttpPolicy(**{**defaults, **policy}),  # type: ignore[arg-type]
                      **({"sleep": sleep} if sleep else {}))


def send(name: str, rx: Receiver, event: dict[str, Any], http: HttpClient | None = None) -> None:
    build(name, CONFIGS[name](rx), http or client()).notify(event)


# -- the exact bodies -------------------------------------------------------------------------------------

def test_discord_posts_one_embed(rx: Receiver) -> None:
    rx.default = Answer(204, "")
    send("discord", rx, FIRING)
    assert rx.received[0].path == "/api/webhooks/1234/SECRETTOKEN"
    assert rx.bodies() == [{
        "username": "Status Monitor", "allowed_mentions": {"parse": []},
        "embeds": [{"title": "FIRING", "description": HEADLINE, "color": 0xD9534F, "url": LINK,
                    "timestamp": "2023-11-14T22:23:20Z", "footer": {"text": "Status Monitor"}}]}]


def test_teams_posts_an_adaptive_card_to_the_workflow(rx: Receiver) -> None:
    rx.default = Answer(202, "")
    send("teams", rx, RESOLVED)
    assert rx.received[0].path.endswith("/paths/invoke?api-version=1&sig=SECRETSIG")
    assert rx.bodies() == [{"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": "RESOLVED", "weight": "Bolder", "size": "Medium",
                      "color": "Good", "wrap": True},
                     {"type": "TextBlock", "text": "web-1: CPU is back to 41.0 % (threshold 95.0 %) after 33 min",
                      "wrap": True}],
            "actions": [{"type": "Action.OpenUrl", "title": "Open in Status Monitor", "url": LINK}]}}]}]


def test_telegram_calls_send_message_for_the_chat(rx: Receiver) -> None:
    rx.default = Answer(200, '{"ok":true,"result":{"message_id":1}}')
    send("telegram", rx, {**FIRING, "hostname": "db<1>&"})
    assert rx.received[0].path == "/bot123456:SECRETTOKEN/sendMessage"
    assert rx.bodies() == [{
        "chat_id": "-1001234", "parse_mode": "HTML", "link_preview_options": {"is_disabled": True},
        "text": "🔴 <b>FIRING</b> db&lt;1&gt;&amp;: CPU is above 95.0 % for 10 min (now 97.2 %)\n"
                f'<a href="{LINK}">Open in Status Monitor</a>'}]


def test_ntfy_publishes_json_to_the_topic_with_priority_by_severity(rx: Receiver) -> None:
    send("ntfy", rx, FIRING)
    send("ntfy", rx, RESOLVED)
    assert [r.path for r in rx.received] == ["/", "/"]
    assert rx.received[0].headers["Authorization"] == "Bearer tk_SECRETTOKEN"
    assert rx.bodies() == [
        {"topic": "statusmon-alerts", "title": "Status Monitor: FIRING", "message": HEADLINE, "priority": 4,
         "tags": ["rotating_light"], "click": LINK},
        {"topic": "statusmon-alerts", "title": "Status Monitor: RESOLVED",
         "message": "web-1: CPU is back to 41.0 % (threshold 95.0 %) after 33 min", "priority": 2,
         "tags": ["white_check_mark"], "click": LINK}]


def test_gotify_posts_a_message_with_the_token_in_a_header(rx: Receiver) -> None:
    rx.default = Answer(200, '{"id": 1}')
    send("gotify", rx, FIRING)
    assert rx.received[0].path == "/message"  # the token is not in the URL
    assert rx.received[0].headers["X-Gotify-Key"] == "SECRETTOKEN"
    assert rx.bodies() == [{"title": "Status Monitor: FIRING", "message": HEADLINE, "priority": 8, "extras": {
        "client::display": {"contentType": "text/plain"}, "client::notification": {"click": {"url": LINK}}}}]


def test_pagerduty_triggers_and_resolves_one_incident_by_dedup_key(rx: Receiver) -> None:
    rx.default = Answer(202, '{"status":"success","message":"Event processed"}')
    send("pagerduty", rx, FIRING)
    send("pagerduty", rx, {**FIRING, "kind": "reminder"})  # PagerDuty's incident is still open: nothing sent
    send("pagerduty", rx, RESOLVED)
    trigger, resolve = rx.bodies()
    assert trigger == {
        "routing_key": KEY, "event_action": "trigger", "dedup_key": "statusmon/c0ffee/rule:1/",
        "payload": {"summary": f"FIRING: {HEADLINE}", "source": "web-1", "severity": "error",
                    "timestamp": "2023-11-14T22:23:20+00:00", "component": "cpu_percent", "class": "metric",
                    "custom_details": {"metric_type": "cpu_percent", "mount": None, "gpu": None, "value": 97.25,
                                       "threshold": 95.0, "direction": "above", "duration_sec": 600,
                                       "unit": "percent", "since": 1_700_000_000}},
        "client": "Status Monitor", "client_url": LINK,
        "links": [{"href": LINK, "text": "Open in Status Monitor"}]}
    assert resolve == {"routing_key": KEY, "event_action": "resolve", "dedup_key": "statusmon/c0ffee/rule:1/"}
    assert [r.path for r in rx.received] == ["/v2/enqueue", "/v2/enqueue"]


def test_a_pagerduty_test_message_triggers_then_resolves(rx: Receiver) -> None:
    from statusmon.notify.events import test_event

    rx.default = Answer(202, "{}")
    send("pagerduty", rx, test_event("", 1_700_000_000))
    assert [(b["event_action"], b["dedup_key"]) for b in rx.bodies()] == [
        ("trigger", "statusmon/test/1700000000"), ("resolve", "statusmon/test/1700000000")]
    assert rx.bodies()[0]["payload"]["severity"] == "info"


@pytest.mark.parametrize("name", [n for n in SERVICES if channel(n).groups])
def test_a_group_is_one_message_counting_the_alerts_and_naming_the_first(rx: Receiver, name: str) -> None:
    offline = {**FIRING, "alert": "offline", "metric_type": "offline", "since": 1000, "at": 1300,
               "duration_sec": 60, "link": None}
    events = [{**offline, "hostname": f"node-{i:03d}", "client_id": f"c{i}"} for i in range(300)]
    send(name, rx, group_event(events, 1300))
    assert len(rx.received) == 1
    body = rx.received[0].body.decode()
    assert "300 ALERTS" in body and "300 alerts changed state at once (300 offline)" in body
    assert all(f"node-{i:03d} is offline" in body for i in range(5)) and "node-005" not in body
    assert "and 295 more" in body


# -- retries, permanent errors, timeouts ------------------------------------------------------------------

@pytest.mark.parametrize("name", SERVICES)
def test_it_retries_on_5xx(rx: Receiver, name: str) -> None:
    rx.script = [Answer(500, "oops"), Answer(503, "busy")]
    rx.default = Answer(202, "{}")
    send(name, rx, FIRING)
    assert len(rx.received) == 3 and rx.bodies()[0] == rx.bodies()[2]


@pytest.mark.parametrize("name", SERVICES)
def test_429_waits_for_retry_after(rx: Receiver, name: str) -> None:
    slept: list[float] = []
    rx.script = [Answer(429, "{}", headers={"Retry-After": "2"})]
    rx.default = Answer(202, "{}")
    send(name, rx, FIRING, client(sleep=slept.append))
    assert slept == [2.0] and len(rx.received) == 2


@pytest.mark.parametrize("name,body,wait", [
    ("telegram", '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3",'
                 '"parameters":{"retry_after":3}}', 3.0),
    ("discord", '{"message":"You are being rate limited.","retry_after":0.5,"global":false}', 0.5),
])
def test_429_waits_for_the_retry_after_in_the_body(rx: Receiver, name: str, body: str, wait: float) -> None:
    slept: list[float] = []
    rx.script = [Answer(429, body)]
    send(name, rx, FIRING, client(sleep=slept.append))
    assert slept == [wait] and len(rx.received) == 2


@pytest.mark.parametrize("name", SERVICES)
def test_it_gives_up_after_the_attempts_without_disabling(rx: Receiver, name: str) -> None:
    rx.default = Answer(502, "bad gateway")
    with pytest.raises(TransportError) as e:
        send(name, rx, FIRING, client(attempts=2))
    assert not e.value.permanent and len(rx.received) == 2


@pytest.mark.parametrize("name,status,body,message", [
    ("discord", 404, '{"message": "Unknown Webhook", "code": 10015}',
     "Discord answered 404 (code 10015): the Discord webhook was deleted; create a new one"),
    ("discord", 401, '{"message": "Invalid Webhook Token", "code": 50027}',
     "Discord answered 401 (code 50027): the Discord webhook's token is invalid; create a new webhook"),
    ("teams", 404, "", "127.0.0.1 answered 404"),
    ("teams", 401, '{"error":{"code":"DirectApiAuthorizationRequired"}}', None),
    ("telegram", 401, '{"ok":false,"error_code":401,"description":"Unauthorized"}',
     "Telegram answered 401: Unauthorized (check the bot token, and that the bot is still in the chat)"),
    ("telegram", 403, '{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}',
     None),
    ("telegram", 400, '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
     "Telegram answered 400: Bad Request: chat not found (check the chat id)"),
    ("ntfy", 403, '{"code":40301,"http":403,"error":"forbidden"}', None),
    ("gotify", 401, '{"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid'
                    ' access token or user credentials to access this api"}', None),
    ("pagerduty", 400, '{"status":"invalid event","message":"Event object is invalid","errors":["Length of '
                       "'routing_key' is incorrect (should be 32 characters)\"]}", None),
])
def test_the_services_permanent_errors_disable_the_channel(rx: Receiver, name: str, status: int, body: str,
                                                           message: str | None) -> None:
    rx.default = Answer(status, body)
    with pytest.raises(TransportError) as e:
        send(name, rx, FIRING)
    assert e.value.permanent and len(rx.received) == 1  # never retried
    if message:
        assert e.value.message == message
    assert "SECRET" not in e.value.message and KEY not in e.value.message


@pytest.mark.parametrize("name,status,body", [
    ("telegram", 400, '{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}'),
    ("discord", 400, '{"message": "Invalid Form Body", "code": 50035}'),
])
def test_a_refused_message_is_neither_retried_nor_disabling(rx: Receiver, name: str, status: int,
                                                            body: str) -> None:
    rx.default = Answer(status, body)
    with pytest.raises(TransportError) as e:
        send(name, rx, FIRING)
    assert not e.value.permanent and len(rx.received) == 1


@pytest.mark.parametrize("name", SERVICES)
def test_it_times_out(rx: Receiver, name: str) -> None:
    rx.default = Answer(200, "{}", delay=1.5)
    with pytest.raises(TransportError) as e:
        send(name, rx, FIRING, client(read_timeout=0.3, attempts=2))
    assert not e.value.permanent and e.value.message == "127.0.0.1 did not answer within 0.3 s"
    assert len(rx.received) == 2


# -- the allowlist ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,url", [
    ("slack", "https://hooks.slack.com/services/T0/B0/X"),
    ("discord", "https://discord.com/api/webhooks/1/x"),
    ("discord", "https://discordapp.com/api/webhooks/1/x"),
    ("teams", "https://prod-12.westeurope.logic.azure.com:443/workflows/ab/triggers/manual/paths/invoke"),
    ("teams", "https://default0a1b.2c.environment.api.powerplatform.com:443/powerautomate/automations/direct/x"),
    ("telegram", "https://api.telegram.org/bot1:x/sendMessage"),
    ("ntfy", "https://ntfy.sh/"),
    ("pagerduty", "https://events.pagerduty.com/v2/enqueue"),
    ("pagerduty", "https://events.eu.pagerduty.com/v2/enqueue"),
])
def test_each_hosted_service_brings_its_own_hosts(name: str, url: str) -> None:
    assert check_webhook_url(url, channel(name).hosts) == url
    with pytest.raises(WebhookNotAllowed):
        check_webhook_url(url, ())


@pytest.mark.parametrize("url", ["https://evil-logic.azure.com/workflows/x", "https://logic.azure.com/x",
                                 "https://logic.azure.com.evil.example/x", "https://discord.com.evil.example/x"])
def test_suffix_entries_match_only_subdomains(url: str) -> None:
    with pytest.raises(WebhookNotAllowed):
        check_webhook_url(url, channel("teams").hosts + channel("discord").hosts)


def test_a_self_hosted_server_is_refused_until_the_admin_names_it() -> None:
    for name, config in [("gotify", {"server": "https://gotify.example.org", "token": "t"}),
                         ("ntfy", {"topic": "t", "server": "https://ntfy.example.org"})]:
        with pytest.raises(TransportError) as e:
            build(name, config, HttpClient([])).notify(FIRING)
        assert e.value.permanent and "not an allowed webhook host" in e.value.message


def test_only_hosts_the_admin_named_may_reach_a_private_address() -> None:
    http = HttpClient(["gotify.lan"])
    assert http.private_ok("gotify.lan") and not http.private_ok("discord.com", channel("discord").hosts)
    assert refusal("192.168.1.5", "gotify.lan", private_ok=True) is None
    assert refusal("192.168.1.5", "discord.com") == "a private address"
    assert refusal("169.254.169.254", "gotify.lan", private_ok=True) == "a link-local address"
