"""The one HTTP helper every transport posts through: allowlist, timeouts, retries and status mapping.

- Before every post the URL is checked again with ``statusmon.webhooks.check_webhook_url`` (allowlisted host,
  https unless loopback, no credentials, no link-local literal).
- At connect time the address actually reached is checked (DNS can say anything): link-local addresses are
  refused, loopback only when the URL names a loopback host itself, and private addresses unless the admin
  named the host in STATUSMON_WEBHOOK_ALLOW_HOSTS (a self-hosted ntfy, Gotify or Mattermost on the LAN); a
  hosted service's built-in hosts never reach a private address.
- No redirects are followed, no proxy or .netrc from the environment is used.
- Network errors, timeouts, 5xx and 429 are retried a few times with backoff (a short Retry-After, on
  429 or 503, is honoured); whatever is left becomes ``TransportError(permanent=False)`` and the outbox retries later.
- 3xx, 401, 403, 404 and 410 mean the configuration is wrong: ``TransportError(permanent=True)``.
- Other 4xx: ``TransportError(permanent=False)`` (the message was refused; retrying may help a later one).

Error messages never contain the URL: it is a secret (requests' own exception texts do contain it).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from statusmon import __version__
from statusmon.notify.base import TransportError
from statusmon.webhooks import WebhookNotAllowed, check_webhook_url, host_allowed

PERMANENT_STATUSES = frozenset({401, 403, 404, 410})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER = "Retry-After"
# No NaN or infinity (not JSON), UTF-8 as is (the body is encoded as UTF-8 and says so)
_JSON = json.JSONEncoder(allow_nan=False, ensure_ascii=False)


class _Posting(threading.local):
    """This thread's post in progress, for the connect-time guard and the log filter; the class's values: none."""

    active = False
    private_ok = False


_posting = _Posting()


class _QuietWhilePosting(logging.Filter):
    """urllib3 logs each request line (the webhook's secret path included) at DEBUG: not while we post."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _posting.active


_QUIET = _QuietWhilePosting()


class AddressRefused(Exception):
    """The webhook host resolved to an address we never post to. Not an OSError, so urllib3 does not retry."""


def refusal(peer_ip: str, url_host: str, private_ok: bool = False) -> str | None:
    """Why posting to ``peer_ip`` (reached for ``url_host``) is refused, or None if it is fine.
    ``private_ok``: the admin named this host, so a private (LAN) address is expected."""
    ip = ipaddress.ip_address(peer_ip)  # an IPv6 scope ("fe80::1%eth0") is part of the address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_loopback:
        host = url_host.strip("[]").lower()
        if host == "localhost":
            return None
        try:
            return None if ipaddress.ip_address(host).is_loopback else "loopback, through a DNS name"
        except ValueError:
            return "loopback, through a DNS name"
    if not ip.is_global and not private_ok:
        return "a private address"
    return None


class _Guard:
    host: str

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        try:
            why = refusal(sock.getpeername()[0], self.host, _posting.private_ok)
        except (OSError, ValueError):
            why = "an address that cannot be checked"
        if why:
            sock.close()
            raise AddressRefused(f"the webhook host resolved to {why}; refused")
        return sock


class _GuardedHTTPConnection(_Guard, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guard, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    attempts: int = 3  # tries in one call, the first included
    backoff: float = 1.0  # seconds before the 2nd try, doubled after each
    max_retry_after: float = 10.0  # a longer Retry-After is left to the outbox


class HttpClient:
    """``allow_hosts``: the hosts the admin allowed (STATUSMON_WEBHOOK_ALLOW_HOSTS). ``tls``: the context that
    verifies servers reached without requests (SMTP); None: the system's trust store."""

    def __init__(self, allow_hosts: Iterable[str], policy: HttpPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, tls: ssl.SSLContext | None = None):
        self.allow_hosts = tuple(allow_hosts)
        self.policy = policy or HttpPolicy()
        self.sleep = sleep
        self.tls = tls
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies or .netrc credentials from the environment
        adapter = _GuardedAdapter(max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        urllib3_log = logging.getLogger("urllib3.connectionpool")
        if _QUIET not in urllib3_log.filters:
            urllib3_log.addFilter(_QUIET)

    def ssl_context(self) -> ssl.SSLContext:
        return self.tls or ssl.create_default_context()

    def private_ok(self, host: str, hosts: Iterable[str] = ()) -> bool:
        """A private address is fine for a host the admin named, never for a hosted service's own host."""
        return host_allowed(host, self.allow_hosts) and not host_allowed(host, hosts)

    def post_json(self, url: str, payload: Any, *, hosts: Iterable[str] = (),
                  headers: Mapping[str, str] | None = None,
                  read_retry_after: Callable[[requests.Response], float | None] | None = None,
                  ) -> requests.Response:
        """POST ``payload`` as JSON; return the 2xx response or raise TransportError (see the module doc).

        ``hosts``: the channel's fixed hosts, allowed besides ``allow_hosts``. ``headers``: extra headers (a
        token; never logged). ``read_retry_after``: reads a 429's wait from the body, for services that put it
        there instead of a Retry-After header."""
        hosts = tuple(hosts)
        try:
            url = check_webhook_url(url, self.allow_hosts + hosts)
        except WebhookNotAllowed as e:
            raise TransportError(f"webhook URL refused: {e}", permanent=True) from None
        host = urlsplit(url).hostname or "?"
        body = _JSON.encode(payload).encode()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": f"statusmon/{__version__}", **(headers or {})}
        private_ok = self.private_ok(host, hosts)
        p = self.policy
        delay = p.backoff
        attempt = 1  # at least one, whatever the policy says
        while True:
            wait = delay
            _posting.active = True
            _posting.private_ok = private_ok
            try:
                resp = self.session.post(url, data=body, headers=headers, allow_redirects=False,
                                         timeout=(p.connect_timeout, p.read_timeout))
            except AddressRefused as e:
                raise TransportError(f"{host}: {e}", permanent=True) from None
            except requests.Timeout:
                error = TransportError(f"{host} did not answer within {p.read_timeout:g} s")
            except requests.ConnectionError as e:
                error = TransportError(f"cannot connect to {host} ({_reason(e)})")
            except requests.RequestException as e:
                error = TransportError(f"request to {host} failed ({type(e).__name__})")
            else:
                if 200 <= resp.status_code < 300:
                    return resp
                error = status_error(host, resp)
                if resp.status_code not in RETRY_STATUSES:
                    raise error
                if resp.status_code in RETRY_STATUSES:  # 429, and a 503 may say when to come back too
                    retry_after = _retry_after(resp)
                    if retry_after is None and read_retry_after is not None:
                        retry_after = read_retry_after(resp)
                    if retry_after is not None:
                        if retry_after > p.max_retry_after:
                            raise error
                        wait = retry_after
            finally:
                del _posting.active, _posting.private_ok  # back to the class's values: not posting
            if attempt >= p.attempts:
                raise error
            self.sleep(wait)
            delay *= 2
            attempt += 1

    def close(self) -> None:
        self.session.close()


def status_error(host: str, resp: requests.Response) -> TransportError:
    """The default meaning of a non-2xx status (transports refine it with the provider's words)."""
    code = resp.status_code
    text = response_text(resp)
    said = f": {text}" if text else ""
    if 300 <= code < 400:
        return TransportError(f"{host} answered {code}, a redirect (redirects are not followed)",
                              permanent=True, status=code)
    return TransportError(f"{host} answered {code}{said}", permanent=code in PERMANENT_STATUSES, status=code,
                          body=text)


def response_text(resp: requests.Response, limit: int = 200) -> str:
    """The start of a response body, printable characters only (it is shown on the settings page)."""
    try:
        text = resp.text
    except Exception:  # noqa: BLE001 - a body we cannot decode says nothing useful
        return ""
    return "".join(ch for ch in text[:limit] if ch.isprintable()).strip()


def _retry_after(resp: requests.Response) -> float | None:
    try:
        return max(0.0, float(resp.headers[RETRY_AFTER]))
    except (KeyError, ValueError):
        return None


def _reason(e: requests.ConnectionError) -> str:
    # Walk to the root cause; its class name says what happened without repeating the URL.
    cause: BaseException = e
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "name not resolved"
    return type(cause).__name__
