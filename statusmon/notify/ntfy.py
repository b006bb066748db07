"""ntfy (https://ntfy.sh or a self-hosted server): one push message to a topic, priority by severity.

Published as JSON to the server's root (https://docs.ntfy.sh/publish/#publish-as-json): ``topic``,
``message``, ``title``, ``priority`` (1 min .. 5 max: a firing alert 4 "high", a reminder 3 "default", a
recovery 2 "low"), ``tags`` (emoji shortcodes shown before the title) and ``click``. A protected topic takes
an access token as ``Authorization: Bearer tk_...`` (https://docs.ntfy.sh/publish/#access-tokens).
401/403 (no access to the topic) disable the channel; 429 ("limit reached", per visitor IP) and 5xx are
retried. A self-hosted server's host must be named in STATUSMON_WEBHOOK_ALLOW_HOSTS.
"""

from __future__ import annotations

from typing import Any

from statusmon.notify.base import Config
from statusmon.notify.events import headline, lines, severity, title
from statusmon.notify.http import HttpClient

HOSTS = ("ntfy.sh",)
PRIORITY = {"bad": 4, "warn": 3, "good": 2}
TAGS = {"bad": ["rotating_light"], "warn": ["warning"], "good": ["white_check_mark"]}


def payload(topic: str, event: dict[str, Any]) -> dict[str, Any]:
    sev = "good" if event["kind"] == "test" else severity(event)
    body: dict[str, Any] = {"topic": topic, "title": f"Status Monitor: {title(event)}",
                            "message": "\n".join([headline(event), *(f"• {line}" for line in lines(event))]),
                            "priority": 3 if event["kind"] == "test" else PRIORITY[sev], "tags": TAGS[sev]}
    if event.get("link"):
        body["click"] = event["link"]
    return body


class NtfyTransport:
    name = "ntfy"

    def __init__(self, config: Config, http: HttpClient):
        self.topic = config["topic"]
        self.server = (config.get("server") or "https://ntfy.sh").rstrip("/")
        self.token = config.get("token")
        self.http = http

    def notify(self, event: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        self.http.post_json(self.server + "/", payload(self.topic, event), hosts=HOSTS, headers=headers)
