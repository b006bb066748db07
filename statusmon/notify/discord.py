"""Discord channel webhooks: one embed per message (title, the alert's lines, a colour by severity).

Provider quirks, from https://discord.com/developers/docs/resources/webhook#execute-webhook and
https://discord.com/developers/docs/topics/rate-limits: success is 204 (no body, as ``wait`` is not asked for);
errors are JSON ``{"message", "code"}``: 404 code 10015 "Unknown Webhook" (deleted) and 401 code 50027
"Invalid Webhook Token" disable the channel; 429 carries a Retry-After header (and ``retry_after`` in the
body, in seconds). An embed's title holds at most 256 characters, its description 4096.
``allowed_mentions`` is empty so that a host named "@everyone" pings no one.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import requests

from statusmon.notify.base import TransportError, UrlTransport
from statusmon.notify.events import headline, lines, severity, title

HOSTS = ("discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com")
COLOURS = {"bad": 0xD9534F, "warn": 0xF0AD4E, "good": 0x2EB67D}
DISABLING = {10015: "the Discord webhook was deleted; create a new one",
             50027: "the Discord webhook's token is invalid; create a new webhook"}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def payload(event: dict[str, Any]) -> dict[str, Any]:
    description = "\n".join([headline(event), *(f"• {line}" for line in lines(event))])
    embed: dict[str, Any] = {"title": title(event)[:256], "description": description[:4096],
                             "color": COLOURS[severity(event)], "timestamp": iso(event["at"]),
                             "footer": {"text": "Status Monitor"}}
    if event.get("link"):
        embed["url"] = event["link"]
    return {"username": "Status Monitor", "embeds": [embed], "allowed_mentions": {"parse": []}}


def body_retry_after(resp: requests.Response) -> float | None:
    try:
        return float(resp.json()["retry_after"])
    except (ValueError, KeyError, TypeError):
        return None


class DiscordTransport(UrlTransport):
    name = "discord"
    hosts = HOSTS
    payload = staticmethod(payload)

    def notify(self, event: dict[str, Any]) -> None:
        try:
            self.post(event, read_retry_after=body_retry_after)
        except TransportError as e:
            code = _code(e.body)
            if code in DISABLING:
                raise TransportError(f"Discord answered {e.status} (code {code}): {DISABLING[code]}",
                                     permanent=True, status=e.status, body=e.body) from None
            raise


def _code(body: str) -> int | None:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None
