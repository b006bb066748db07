"""Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is received"): one
Adaptive Card per message.

Microsoft retired the Office 365 connectors (incoming webhooks on outlook.office.com) in 2025; a Workflows
webhook lives on a per-region Power Automate host (``*.logic.azure.com``, or
``*.environment.api.powerplatform.com`` for flows made since late 2025), which the channel's allowlist names by
suffix. The body is the message envelope of
https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
(``type: message`` with one ``application/vnd.microsoft.card.adaptive`` attachment, card version 1.4, which
Teams renders everywhere). Success is 202 Accepted (the flow runs later). 401/403 (the ``sig`` was
regenerated) and 404 (the flow was deleted or turned off) disable the channel; 429 and 5xx are retried.
"""

from __future__ import annotations

from typing import Any

from statusmon.notify.base import UrlTransport
from statusmon.notify.events import headline, lines, severity, title

HOSTS = (".logic.azure.com", ".api.powerplatform.com", ".environment.api.powerplatform.com")
COLOURS = {"bad": "Attention", "warn": "Warning", "good": "Good"}  # Adaptive Card TextBlock colours


def card(event: dict[str, Any]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title(event), "weight": "Bolder", "size": "Medium",
         "color": COLOURS[severity(event)], "wrap": True},
        {"type": "TextBlock", "text": headline(event), "wrap": True},
    ]
    body += [{"type": "TextBlock", "text": f"- {line}", "wrap": True, "spacing": "None"}
             for line in lines(event)]
    content: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                               "type": "AdaptiveCard", "version": "1.4", "body": body}
    if event.get("link"):
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Status Monitor", "url": event["link"]}]
    return content


def payload(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card(event)}]}


class TeamsTransport(UrlTransport):
    name = "teams"
    hosts = HOSTS
    payload = staticmethod(payload)
