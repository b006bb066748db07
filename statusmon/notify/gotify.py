"""Gotify (self-hosted): one message through an application token.

From https://gotify.net/api-docs (POST /message) and https://gotify.net/docs/msgextras: JSON ``title``,
``message``, ``priority`` (0..10; the Android app pops up 8 and above: a firing alert 8, a reminder 5, a
recovery 2) and ``extras`` (``client::display`` plain text, ``client::notification.click.url`` the link). The
token goes in the ``X-Gotify-Key`` header, never in the URL (so it stays out of proxy logs). 401 (unknown
token) and 403 disable the channel. Gotify is only self-hosted: its host must be named in
STATUSMON_WEBHOOK_ALLOW_HOSTS.
"""

from __future__ import annotations

from typing import Any

from statusmon.notify.base import Config
from statusmon.notify.events import headline, lines, severity, title
from statusmon.notify.http import HttpClient

PRIORITY = {"bad": 8, "warn": 5, "good": 2}


def payload(event: dict[str, Any]) -> dict[str, Any]:
    extras: dict[str, Any] = {"client::display": {"contentType": "text/plain"}}
    if event.get("link"):
        extras["client::notification"] = {"click": {"url": event["link"]}}
    return {"title": f"Status Monitor: {title(event)}",
            "message": "\n".join([headline(event), *(f"• {line}" for line in lines(event))]),
            "priority": 5 if event["kind"] == "test" else PRIORITY[severity(event)], "extras": extras}


class GotifyTransport:
    name = "gotify"

    def __init__(self, config: Config, http: HttpClient):
        self.url = config["server"].rstrip("/") + "/message"
        self.token = config["token"]
        self.http = http

    def notify(self, event: dict[str, Any]) -> None:
        self.http.post_json(self.url, payload(event), headers={"X-Gotify-Key": self.token})
