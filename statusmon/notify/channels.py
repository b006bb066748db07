"""The channel registry: every notification channel once, and everything about channels derived from it.

A channel is a transport class (``statusmon/notify/<name>.py``, whose ``name`` is the channel's name, as stored
in the outbox) plus the list of global settings it needs (``fields``: a URL; or a bot token and a chat id; or
an SMTP server, port, login...). The settings table (``statusmon.meta.settings``) takes its channel settings
from here, secret fields are masked when read back and never logged, the settings page draws one form per
channel from the field list (GET /api/alerts/channels), and the API lists the channels in this order.

The allowlist: ``hosts`` are the fixed hosts of a hosted service (an entry starting with a dot matches every
subdomain, for services whose webhook host is per tenant or region), added to the allowlist for that channel
only. A self-hosted target (ntfy or Gotify on your own server, an SMTP relay, Mattermost through the Slack
transport) is reached only when the admin names its host in ``STATUSMON_WEBHOOK_ALLOW_HOSTS``.

Adding a channel is one transport module and one entry in ``CHANNELS``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from statusmon.notify.base import Config, Transport
from statusmon.notify.discord import DiscordTransport
from statusmon.notify.email import EmailTransport
from statusmon.notify.gotify import GotifyTransport
from statusmon.notify.http import HttpClient
from statusmon.notify.ntfy import NtfyTransport
from statusmon.notify.pagerduty import PagerDutyTransport
from statusmon.notify.slack import SlackTransport
from statusmon.notify.teams import TeamsTransport
from statusmon.notify.telegram import TelegramTransport
from statusmon.notify.webhook import WebhookTransport

FieldKind = Literal["url", "host", "text", "int", "choice"]



class TransportClass(Protocol):
    """A transport class: its channel name, and a constructor taking the channel's settings (field name ->
    value) and the HTTP helper (which also carries the allowlist and the TLS context SMTP uses)."""

    name: str

    def __call__(self, config: Config, http: HttpClient) -> Transport: ...


@dataclass(frozen=True)
class Field:
    """One setting of a channel: ``name`` is how the transport reads it, ``setting`` the global settings key."""

    name: str
    setting: str
    label: str  # the form's label
    description: str  # the README table and the form's hint
    kind: FieldKind = "text"  # url: checked against the allowlist; host: an allowlisted host name
    secret: bool = False  # masked when read back, never logged
    required: bool = True  # the channel is configured when every required field has a value
    default: Any = None
    bounds: tuple[float, float] | None = None  # for "int"
    choices: tuple[str, ...] = ()  # for "choice"
    placeholder: str = ""


@dataclass(frozen=True)
class Channel:
    transport: TransportClass
    title: str  # what a person reads: "Slack"
    fields: tuple[Field, ...]
    hosts: tuple[str, ...] = ()  # fixed hosts of the hosted service; self-hosted: () (the admin names them)
    # One message per cycle listing every alert that changed state (statusmon.notify.grouping). PagerDuty
    # does not group: its model is one event per incident, deduplicated by dedup_key.
    groups: bool = True

    @property
    def name(self) -> str:
        return self.transport.name

    @property
    def setting(self) -> str:
        """The channel's first setting (its URL, token or server): what the API names when it is missing."""
        return self.fields[0].setting

    @property
    def description(self) -> str:
        return self.fields[0].description


def _url(prefix: str, label: str, description: str, placeholder: str, secret: bool = True,
         setting: str | None = None) -> Field:
    return Field("url", setting or f"{prefix}_url", label, description, kind="url", secret=secret,
                 placeholder=placeholder)


CHANNELS: tuple[Channel, ...] = (
    Channel(SlackTransport, "Slack", (
        _url("slack", "Slack incoming webhook URL",
             "Slack (or Slack-compatible, e.g. Mattermost) incoming webhook URL; empty: no Slack messages",
             "https://hooks.slack.com/services/…", setting="slack_webhook_url"),), hosts=("hooks.slack.com",)),
    Channel(DiscordTransport, "Discord", (
        _url("discord", "Discord webhook URL",
             "Discord channel webhook URL (Server settings, Integrations, Webhooks); empty: none",
             "https://discord.com/api/webhooks/…", setting="discord_webhook_url"),),
        hosts=("discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com")),
    Channel(TeamsTransport, "Microsoft Teams", (
        _url("teams", "Teams Workflows webhook URL",
             "Microsoft Teams Workflows webhook URL (\"Post to a channel when a webhook request is received\"; "
             "Office 365 connectors were retired); empty: none",
             "https://….logic.azure.com/workflows/…", setting="teams_webhook_url"),),
        hosts=(".logic.azure.com", ".api.powerplatform.com", ".environment.api.powerplatform.com")),
    Channel(TelegramTransport, "Telegram", (
        Field("bot_token", "telegram_bot_token", "Bot token",
              "Telegram bot token from @BotFather (123456:ABC…); empty: no Telegram messages", secret=True,
              placeholder="123456789:AA…"),
        Field("chat_id", "telegram_chat_id", "Chat id",
              "Telegram chat id the bot posts to (a number, or @channelname)", placeholder="-1001234567890"),
        Field("api_url", "telegram_api_url", "Bot API server",
              "Telegram Bot API server (a self-hosted telegram-bot-api needs its host in "
              "STATUSMON_WEBHOOK_ALLOW_HOSTS)", kind="url", required=False, default="https://api.telegram.org"),
    ), hosts=("api.telegram.org",)),
    Channel(EmailTransport, "Email", (
        Field("host", "email_smtp_host", "SMTP server",
              "SMTP server host name (it must be named in STATUSMON_WEBHOOK_ALLOW_HOSTS); empty: no email",
              kind="host", placeholder="smtp.example.org"),
        Field("port", "email_smtp_port", "Port", "SMTP port (587 STARTTLS, 465 implicit TLS)", kind="int",
              default=587, bounds=(1, 65535)),
        Field("security", "email_security", "Security",
              "`starttls` (upgrade the connection), `tls` (implicit TLS) or `none` (loopback servers only)",
              kind="choice", default="starttls", choices=("starttls", "tls", "none")),
        Field("username", "email_username", "User name", "SMTP login user; empty: no authentication",
              required=False),
        Field("password", "email_password", "Password", "SMTP login password", secret=True, required=False),
        Field("sender", "email_from", "From", "the From address", placeholder="statusmon@example.org"),
        Field("recipients", "email_to", "To", "recipient addresses, comma separated",
              placeholder="ops@example.org, oncall@example.org"),
    )),
    Channel(NtfyTransport, "ntfy", (
        Field("topic", "ntfy_topic", "Topic",
              "ntfy topic (on ntfy.sh anyone who knows it can read it: pick a long random one); empty: none",
              secret=True, placeholder="statusmon-7f3a9c…"),
        Field("server", "ntfy_server", "Server",
              "ntfy server; a self-hosted one needs its host in STATUSMON_WEBHOOK_ALLOW_HOSTS", kind="url",
              required=False, default="https://ntfy.sh"),
        Field("token", "ntfy_token", "Access token", "ntfy access token (tk_…) for a protected topic",
              secret=True, required=False),
    ), hosts=("ntfy.sh",)),
    Channel(GotifyTransport, "Gotify", (
        Field("server", "gotify_server", "Server",
              "Gotify server URL (self-hosted: its host must be in STATUSMON_WEBHOOK_ALLOW_HOSTS); empty: none",
              kind="url", placeholder="https://gotify.example.org"),
        Field("token", "gotify_token", "Application token", "Gotify application token", secret=True),
    )),
    Channel(PagerDutyTransport, "PagerDuty", (
        Field("routing_key", "pagerduty_routing_key", "Routing key",
              "PagerDuty Events API v2 integration (routing) key; empty: none", secret=True),
        Field("events_url", "pagerduty_events_url", "Events API URL",
              "PagerDuty Events API v2 endpoint (EU accounts: https://events.eu.pagerduty.com/v2/enqueue)",
              kind="url", required=False, default="https://events.pagerduty.com/v2/enqueue"),
    ), hosts=("events.pagerduty.com", "events.eu.pagerduty.com"), groups=False),
    Channel(WebhookTransport, "Webhook", (
        _url("webhook", "Webhook URL",
             "URL that receives every notification as JSON (the event plus a `text` line); empty: none",
             "https://example.org/hook"),)),
)

BY_NAME: dict[str, Channel] = {c.name: c for c in CHANNELS}
FIELDS: tuple[tuple[Channel, Field], ...] = tuple((c, f) for c in CHANNELS for f in c.fields)


def channel(name: str) -> Channel:
    """The channel called ``name``; KeyError if there is none."""
    return BY_NAME[name]


def config_of(ch: Channel, global_settings: Mapping[str, Any]) -> dict[str, Any] | None:
    """The channel's settings (field name -> value), or None when a required one is missing."""
    config = {f.name: global_settings.get(f.setting, f.default) for f in ch.fields}
    if any(f.required and config[f.name] in (None, "") for f in ch.fields):
        return None
    return {k: (v if v not in ("",) else None) for k, v in config.items()}


def configured(global_settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """channel name -> its settings, for every channel whose required settings are all set."""
    out = {}
    for ch in CHANNELS:
        config = config_of(ch, global_settings)
        if config is not None:
            out[ch.name] = config
    return out


def fingerprint(config: Config) -> str:
    """What a channel's status belongs to: changing any of its settings clears a disabled channel."""
    return json.dumps(dict(config), sort_keys=True, default=str)


def build(name: str, config: Config, http: HttpClient) -> Transport:
    """The transport of channel ``name`` with these settings."""
    return BY_NAME[name].transport(config, http)
