"""A generic JSON webhook: the event itself (see statusmon.notify.events) plus a ``text`` line, POSTed as JSON.

Any 2xx is success. 404 and 410 (the endpoint is gone), 401 and 403 (refused) and redirects disable the
channel; 5xx, 429 and network errors are retried (statusmon.notify.http).
"""

from __future__ import annotations

from typing import Any

from statusmon.notify.events import headline
from statusmon.notify.http import HttpClient


def payload(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "text": headline(event)}


class WebhookTransport:
    name = "webhook"

    def __init__(self, url: str, http: HttpClient):
        self.url = url
        self.http = http

    def notify(self, event: dict[str, Any]) -> None:
        self.http.post_json(self.url, payload(event))
