"""Which webhook URLs the server may post to. Used when settings are saved and again before every post.

Only allowlisted hosts (hooks.slack.com by default; STATUSMON_WEBHOOK_ALLOW_HOSTS extends it; each hosted
channel adds its service's fixed hosts, see statusmon.notify.channels), https except for an allowlisted
loopback host (a local relay, or a test receiver), no credentials in the URL, and never a link-local address
(cloud metadata services live there). An allowlist entry starting with a dot (".logic.azure.com") matches
every subdomain of it: Teams' Workflows webhooks live on per-region hosts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


class WebhookNotAllowed(ValueError):
    pass


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_link_local(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_link_local or (ip.version == 6 and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_link_local)


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """``host`` is an entry of ``allowed``, or a subdomain of an entry starting with a dot."""
    host = host.lower().rstrip(".")
    return any(host == a or (a.startswith(".") and host.endswith(a) and len(host) > len(a)) for a in allowed)


def check_host(host: str, allow_hosts: Iterable[str]) -> str:
    """Return the host name (an SMTP server) if the server may connect to it; raise WebhookNotAllowed."""
    if not isinstance(host, str) or not host.strip() or len(host) > 253 or any(c in host for c in "/:@ "):
        raise WebhookNotAllowed("a host is a name or an address, without scheme, port or path")
    host = host.strip().lower()
    if is_link_local(host):
        raise WebhookNotAllowed("link-local addresses are never allowed")
    if not host_allowed(host, allow_hosts):
        raise WebhookNotAllowed(f"{host} is not an allowed host (name it in STATUSMON_WEBHOOK_ALLOW_HOSTS)")
    return host


def check_webhook_url(url: str, allow_hosts: Iterable[str]) -> str:
    """Return the URL if the server may post to it; raise WebhookNotAllowed saying why otherwise."""
    if not isinstance(url, str) or len(url) > 2048:
        raise WebhookNotAllowed("a webhook URL is a string of at most 2048 characters")
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise WebhookNotAllowed("a webhook URL must be an https:// URL")
    if parts.username or parts.password:
        raise WebhookNotAllowed("a webhook URL must not carry credentials")
    if is_link_local(host):
        raise WebhookNotAllowed("link-local addresses are never allowed")
    allowed = {h.lower() for h in allow_hosts}
    if not host_allowed(host, allowed):
        raise WebhookNotAllowed(
            f"{host} is not an allowed webhook host (allowed: {', '.join(sorted(allowed))}; "
            "extend with STATUSMON_WEBHOOK_ALLOW_HOSTS)")
    if parts.scheme == "http" and not _is_loopback(host):
        raise WebhookNotAllowed("plain http is only allowed to a loopback host")
    return url.strip()
