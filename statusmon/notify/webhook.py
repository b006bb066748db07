"""A generic JSON webhook: the event itself (see statusmon.notify.events) plus its ``text``, POSTed as JSON.

A grouped event carries ``count``, ``counts``, every ``hostnames`` and the first ``events``; its ``text`` is
the headline and one line per listed alert.

Any 2xx is success. 404 and 410 (the endpoint is gone), 401 and 403 (refused) and redirects disable the
channel; 5xx, 429 and network errors are retried (statusmon.notify.http).
"""

from __future__ import annotations

from typing import Any

from statusmon.notify.base import UrlTransport
from statusmon.notify.events import text


def payload(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "text": text(event)}


class WebhookTransport(UrlTransport):
    name = "webhook"
    payload = staticmethod(payload)
