"""The channel registry: every notification channel once, and everything about channels derived from it.

A channel is a transport class (``statusmon/notify/<name>.py``, whose ``name`` is the channel's name, as stored
in the outbox) plus the global setting that holds where it posts (a URL, checked against the webhook allowlist
when saved and again before every post). The settings table (``statusmon.meta.settings``) takes its channel
settings from here, secret ones are masked when read back, and the API lists the channels in this order.

Adding a channel is one transport module and one entry in ``CHANNELS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from statusmon.notify.base import Transport
from statusmon.notify.http import HttpClient
from statusmon.notify.slack import SlackTransport
from statusmon.notify.webhook import WebhookTransport


class TransportClass(Protocol):
    """A transport class: its channel name, and a constructor taking the channel's URL and the HTTP helper."""

    name: str

    def __call__(self, url: str, http: HttpClient) -> Transport: ...


@dataclass(frozen=True)
class Channel:
    transport: TransportClass
    title: str  # what a person reads: "Slack"
    setting: str  # the global setting holding the channel's URL
    description: str  # the setting's meaning (README table, settings page)
    secret: bool = True  # the URL carries a credential: masked when read back, never logged

    @property
    def name(self) -> str:
        return self.transport.name


CHANNELS: tuple[Channel, ...] = (
    Channel(SlackTransport, "Slack", "slack_webhook_url",
            "Slack (or Slack-compatible, e.g. Mattermost) incoming webhook URL; empty: no Slack messages"),
    Channel(WebhookTransport, "Webhook", "webhook_url",
            "URL that receives every notification as JSON (the event plus a `text` line); empty: none"),
)

BY_NAME: dict[str, Channel] = {c.name: c for c in CHANNELS}


def channel(name: str) -> Channel:
    """The channel called ``name``; KeyError if there is none."""
    return BY_NAME[name]


def configured_urls(global_settings: Mapping[str, Any]) -> dict[str, str]:
    """channel name -> URL for every channel with a URL in the global settings."""
    return {c.name: global_settings[c.setting] for c in CHANNELS if global_settings.get(c.setting)}


def build(name: str, url: str, http: HttpClient) -> Transport:
    """The transport of channel ``name`` posting to ``url``."""
    return BY_NAME[name].transport(url, http)
