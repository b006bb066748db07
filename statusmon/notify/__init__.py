"""Notification transports, one module each, registered in one list.

Each transport has a ``name`` and ``notify(event)``, and raises ``TransportError(message, permanent)``.
The channel name is also the global setting that holds its URL: ``slack`` -> ``slack_webhook_url``,
``webhook`` -> ``webhook_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from statusmon.notify.base import Transport, TransportError
from statusmon.notify.http import HttpClient
from statusmon.notify.slack import SlackTransport
from statusmon.notify.webhook import WebhookTransport

TRANSPORTS: dict[str, Callable[[str, HttpClient], Transport]] = {
    "slack": SlackTransport,
    "webhook": WebhookTransport,
}
SETTING_OF = {"slack": "slack_webhook_url", "webhook": "webhook_url"}


def configured_urls(global_settings: Mapping[str, Any]) -> dict[str, str]:
    """channel name -> URL for every channel with a URL in the global settings."""
    return {name: global_settings[key] for name, key in SETTING_OF.items() if global_settings.get(key)}


def build(name: str, url: str, http: HttpClient) -> Transport:
    return TRANSPORTS[name](url, http)


__all__ = ["TRANSPORTS", "SETTING_OF", "Transport", "TransportError", "HttpClient", "build",
           "configured_urls"]
