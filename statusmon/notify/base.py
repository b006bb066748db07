"""The transport contract: one class per notification channel, one error type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from statusmon.notify.http import HttpClient

Config = Mapping[str, Any]  # a channel's settings: field name -> value (statusmon.notify.channels.Field)


class TransportError(Exception):
    """A notification was not delivered.

    ``permanent``: the channel's configuration is broken (the webhook was removed, its token revoked, the
    channel archived), so retrying cannot help any message: the channel is disabled and the reason shown on
    the settings page until someone fixes it. Otherwise the message is retried later.
    The message never contains the webhook URL (it is a secret).
    """

    def __init__(self, message: str, permanent: bool = False, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status  # the HTTP status, when there was an answer
        self.body = body  # the start of the answer's body, printable characters only


class Transport(Protocol):
    name: str

    def notify(self, event: dict[str, Any]) -> None:
        """Deliver one event (a dict, see ``statusmon.notify.events``); raise TransportError if not delivered."""


class UrlTransport:
    """What most channels share: their settings hold one webhook ``url``, and each event is posted to it as JSON
    through the one HTTP helper (timeouts, retries, the allowlist). A channel sets ``name``, its service's fixed
    ``hosts`` and ``payload``; a service's quirks (its permanent error codes, a wait in a 429 body) override
    ``notify`` around ``post``."""

    name: str
    hosts: tuple[str, ...] = ()

    def __init__(self, config: Config, http: HttpClient):
        self.url = config["url"]
        self.http = http

    def payload(self, event: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def post(self, event: dict[str, Any], **options: Any) -> None:
        self.http.post_json(self.url, self.payload(event), hosts=self.hosts, **options)

    def notify(self, event: dict[str, Any]) -> None:
        self.post(event)
