"""Telegram: the Bot API's ``sendMessage`` to one chat, as HTML.

From https://core.telegram.org/bots/api#making-requests and #sendmessage: POST
``{api}/bot<token>/sendMessage`` with ``chat_id``, ``text`` (at most 4096 characters), ``parse_mode: HTML``
(only ``<b> <i> <a> <code>``..., and ``& < >`` escaped) and ``link_preview_options``. Every answer is JSON
``{"ok", "description", "error_code", "parameters"}``. 401 (the token was revoked) and 403 (the bot was
blocked or removed from the chat) disable the channel, and so does 400 "chat not found"; 429 says how long to
wait in ``parameters.retry_after``. The token is part of the URL path: it never appears in a message or a log.
"""

from __future__ import annotations

import html
import json
from typing import Any

import requests

from statusmon.notify.base import Config, TransportError
from statusmon.notify.events import headline, lines, title
from statusmon.notify.http import HttpClient

HOSTS = ("api.telegram.org",)
LIMIT = 4096
EMOJI = {"firing": "🔴", "reminder": "🟠", "resolved": "🟢", "test": "✅", "group": "🚨", "unsilenced": "🔴"}


def payload(chat_id: str, event: dict[str, Any]) -> dict[str, Any]:
    text = f"{EMOJI[event['kind']]} <b>{html.escape(title(event))}</b> {html.escape(headline(event))}"
    for line in lines(event):
        text += f"\n• {html.escape(line)}"
    if event.get("link"):
        text += f'\n<a href="{html.escape(event["link"])}">Open in Status Monitor</a>'
    if len(text) > LIMIT:
        text = text[:LIMIT - 1] + "…"  # only the listed lines are long; they are cut, the links go with them
    return {"chat_id": chat_id, "text": text, "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True}}


def body_retry_after(resp: requests.Response) -> float | None:
    try:
        return float(resp.json()["parameters"]["retry_after"])
    except (ValueError, KeyError, TypeError):
        return None


class TelegramTransport:
    name = "telegram"

    def __init__(self, config: Config, http: HttpClient):
        self.token = config["bot_token"]
        self.chat_id = str(config["chat_id"])
        self.api = (config.get("api_url") or "https://api.telegram.org").rstrip("/")
        self.http = http

    def notify(self, event: dict[str, Any]) -> None:
        try:
            self.http.post_json(f"{self.api}/bot{self.token}/sendMessage", payload(self.chat_id, event),
                                hosts=HOSTS, read_retry_after=body_retry_after)
        except TransportError as e:
            said = _description(e.body) or e.message
            if e.status in (401, 403):
                raise TransportError(f"Telegram answered {e.status}: {said} (check the bot token, and that the "
                                     "bot is still in the chat)", permanent=True, status=e.status) from None
            if e.status == 400 and "chat not found" in said.lower():
                raise TransportError(f"Telegram answered 400: {said} (check the chat id)", permanent=True,
                                     status=400) from None
            raise


def _description(body: str) -> str:
    try:
        return str(json.loads(body).get("description") or "")
    except (ValueError, AttributeError):
        return ""
