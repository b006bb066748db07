"""PagerDuty Events API v2: ``trigger`` when an alert fires, ``resolve`` when it ends, one ``dedup_key`` per
alert so that both land on the same incident.

From https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and .../resolve-events/: POST
``https://events.pagerduty.com/v2/enqueue`` (EU: events.eu.pagerduty.com) with ``routing_key``,
``event_action``, ``dedup_key`` and, to trigger, ``payload`` (``summary`` at most 1024 characters,
``source``, ``severity`` critical/error/warning/info, ``timestamp``, ``component``, ``class``,
``custom_details``), ``client``, ``client_url``, ``links``. Success is 202. 400 ("Invalid event", a bad or
unknown routing key among them) disables the channel; 429 (rate limit, 120 events a minute per key) and 5xx
are retried.

The dedup key names the alert (host, rule, disk or GPU), not one firing: after a ``resolve`` PagerDuty opens a
new incident for the next ``trigger`` with the same key. Reminders are not sent (the incident is still open
in PagerDuty, which does its own escalation). PagerDuty is never sent grouped messages: its model is one
event per incident (the registry marks it ``groups=False``); a test message is a ``trigger`` of severity
info followed by its ``resolve``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from statusmon.notify.base import Config, TransportError
from statusmon.notify.events import headline, title
from statusmon.notify.http import HttpClient

HOSTS = ("events.pagerduty.com", "events.eu.pagerduty.com")
URL = "https://events.pagerduty.com/v2/enqueue"


def dedup_key(event: dict[str, Any]) -> str:
    if event["kind"] == "test":
        return f"statusmon/test/{event['at']:.0f}"
    series = event.get("mount") if event.get("mount") is not None else event.get("gpu")
    return f"statusmon/{event['client_id']}/{event['rule']}/{'' if series is None else series}"


def trigger(routing_key: str, event: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": routing_key, "event_action": "trigger", "dedup_key": dedup_key(event),
        "payload": {
            "summary": f"{title(event)}: {headline(event)}"[:1024],
            "source": event.get("hostname") or "statusmon",
            "severity": "info" if event["kind"] == "test" else "critical" if event["alert"] == "offline"
            else "error",
            "timestamp": datetime.fromtimestamp(event["at"], timezone.utc).isoformat(),
            "component": event.get("metric_type") or "statusmon",
            "class": event["alert"],
            "custom_details": {k: event.get(k) for k in ("metric_type", "mount", "gpu", "value", "threshold",
                                                          "direction", "duration_sec", "unit", "since")},
        },
        "client": "Status Monitor",
    }
    if event.get("link"):
        body["client_url"] = event["link"]
        body["links"] = [{"href": event["link"], "text": "Open in Status Monitor"}]
    return body


def resolve(routing_key: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key(event)}


class PagerDutyTransport:
    name = "pagerduty"

    def __init__(self, config: Config, http: HttpClient):
        self.key = config["routing_key"]
        self.url = config.get("events_url") or URL
        self.http = http

    def notify(self, event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "group":  # never queued for PagerDuty (groups=False); should one come, each listed alert
            for e in event["events"]:
                self.notify(e)
            return
        if kind == "reminder":
            return
        # unsilenced: the silence withheld the trigger (or it was sent and PagerDuty dedups by dedup_key).
        if kind in ("firing", "unsilenced", "test"):
            self._post(trigger(self.key, event))
        if kind in ("resolved", "test"):
            self._post(resolve(self.key, event))

    def _post(self, body: dict[str, Any]) -> None:
        try:
            self.http.post_json(self.url, body, hosts=HOSTS)
        except TransportError as e:
            if e.status == 400:
                raise TransportError(f"PagerDuty answered 400: {e.body or 'invalid event'} (check the routing "
                                     "key)", permanent=True, status=400, body=e.body) from None
            raise
