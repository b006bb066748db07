"""Notifications: transports (one module each), the channel registry, the HTTP helper and the events.

Each transport has a ``name`` and ``notify(event)``, and raises ``TransportError(message, permanent)``.
Which channels exist, and which global settings each one needs, is said once in
``statusmon.notify.channels.CHANNELS``.
"""

from __future__ import annotations

from statusmon.notify.base import Transport, TransportError
from statusmon.notify.channels import CHANNELS, Channel, Field, build, channel, configured, fingerprint
from statusmon.notify.http import HttpClient

__all__ = ["CHANNELS", "Channel", "Field", "Transport", "TransportError", "HttpClient", "build", "channel",
           "configured", "fingerprint"]
