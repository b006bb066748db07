"""Slack incoming webhooks (and Slack-compatible ones, e.g. Mattermost): one readable ``text`` message.

Provider quirks, from Slack's incoming-webhook error documentation
(https://api.slack.com/messaging/webhooks#handling_errors and the 2016-05-17 changelog "Improving error
conditions for Incoming Webhooks"): errors come back as a short plain-text body with the status:
400 ``invalid_payload`` / ``user_not_found`` / ``no_text``, 403 ``action_prohibited`` / ``invalid_token``,
404 ``channel_not_found`` / ``no_service`` / ``no_team``, 410 ``channel_is_archived``, 500 ``rollup_error``.
404, 410 and ``invalid_token`` mean the webhook will never work again: the channel is disabled with Slack's
words as the reason. Success is 200 with the body ``ok``.
"""

from __future__ import annotations

from typing import Any

from statusmon.notify.base import TransportError, UrlTransport
from statusmon.notify.events import headline, lines, title

# Slack's error strings that mean "this webhook is gone or refused for good", with what to do about it.
DISABLING = {
    "no_service": "the webhook was removed or disabled in Slack; create a new one",
    "invalid_token": "the webhook's token is invalid (revoked, or the app was uninstalled); create a new one",
    "no_active_hooks": "the webhook is not active in Slack; create a new one",
    "no_team": "the Slack workspace no longer exists",
    "team_disabled": "the Slack workspace is disabled",
    "channel_not_found": "the Slack channel does not exist any more",
    "channel_is_archived": "the Slack channel is archived",
    "action_prohibited": "the Slack workspace restricts this webhook",
}

EMOJI = {"firing": ":red_circle:", "reminder": ":large_orange_circle:", "resolved": ":large_green_circle:",
         "test": ":white_check_mark:", "group": ":rotating_light:", "unsilenced": ":red_circle:"}


def escape(text: str) -> str:
    # Slack's mrkdwn treats &, < and > as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(event: dict[str, Any]) -> dict[str, Any]:
    text = f"{EMOJI[event['kind']]} *{title(event)}* {escape(headline(event))}"
    for line in lines(event):
        text += f"\n• {escape(line)}"
    if event.get("link"):
        name = event.get("hostname") or "Status Monitor"
        text += f"\n<{event['link']}|Open {escape(name)} in Status Monitor>"
    return {"text": text}


class SlackTransport(UrlTransport):
    name = "slack"
    hosts = ("hooks.slack.com",)
    payload = staticmethod(payload)

    def notify(self, event: dict[str, Any]) -> None:
        try:
            self.post(event)
        except TransportError as e:
            code = e.body.strip()
            if e.status is not None and code in DISABLING:
                raise TransportError(f"Slack answered {code}: {DISABLING[code]}", permanent=True) from None
            raise
