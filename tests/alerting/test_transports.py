"""Each transport against a real HTTP receiver on loopback: exact payload, retries, disabling, timeouts."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

import pytest

from alerting.delivery import Dispatcher
from statusmon.meta.alerts import AlertDB
from statusmon.meta.db import MetaDB
from statusmon.notify import HttpClient, TransportError, fingerprint
from statusmon.notify import http as http_helper
from statusmon.notify.http import HttpPolicy, refusal
from statusmon.notify.slack import SlackTransport
from statusmon.notify.testmessage import send_test
from statusmon.notify.webhook import WebhookTransport
from tests.alerting.receiver import Answer, Receiver

pytestmark = pytest.mark.integration

FIRING = {
    "kind": "firing", "alert": "metric", "client_id": "c0ffee", "hostname": "web-1",
    "metric_type": "cpu_percent", "mount": None, "gpu": None, "value": 97.25, "threshold": 95.0,
    "direction": "above", "duration_sec": 600, "unit": "percent", "since": 1_700_000_000, "at": 1_700_000_600,
    "link": "https://mon.example/client/c0ffee",
    "rule": "rule:1",
}
RESOLVED = {**FIRING, "kind": "resolved", "value": 41.0, "at": 1_700_001_980}
DISK = {**FIRING, "metric_type": "mount_used_percent", "mount": "/data", "value": 91.04, "threshold": 90.0,
        "hostname": "db<1>&"}


def client(**policy: float) -> HttpClient:
    defaults = {"connect_timeout": 1.0, "read_timeout": 1.0, "attempts": 3, "backoff": 0.01}
    return HttpClient(["127.0.0.1"], HttpPolicy(**{**defaults, **policy}))  # type: ignore[arg-type]


def test_slack_posts_the_exact_message(rx: Receiver) -> None:
    SlackTransport({"url": rx.url()}, client()).notify(FIRING)
    SlackTransport({"url": rx.url()}, client()).notify(RESOLVED)
    SlackTransport({"url": rx.url()}, client()).notify(DISK)
    assert rx.bodies() == [
        {"text": ":red_circle: *FIRING* web-1: CPU is above 95.0 % for 10 min (now 97.2 %)\n"
                 "<https://mon.example/client/c0ffee|Open web-1 in Status Monitor>"},
        {"text": ":large_green_circle: *RESOLVED* web-1: CPU is back to 41.0 % (threshold 95.0 %) "
                 "after 33 min\n"
                 "<https://mon.example/client/c0ffee|Open web-1 in Status Monitor>"},
        {"text": ":red_circle: *FIRING* db&lt;1&gt;&amp;: Disk /data is above 90.0 % for 10 min "
                 "(now 91.0 %)\n"
                 "<https://mon.example/client/c0ffee|Open db&lt;1&gt;&amp; in Status Monitor>"},
    ]
    assert rx.received[0].path == "/services/T000/B000/XXXXSECRET"
    assert rx.received[0].headers["Content-Type"] == "application/json; charset=utf-8"


def test_offline_messages_say_so(rx: Receiver) -> None:
    offline = {**FIRING, "alert": "offline", "metric_type": "offline", "value": None, "threshold": None,
               "direction": None, "duration_sec": 60, "since": 1000, "at": 1300, "link": None}
    SlackTransport({"url": rx.url()}, client()).notify(offline)
    SlackTransport({"url": rx.url()}, client()).notify({**offline, "kind": "resolved", "at": 1900})
    assert rx.bodies() == [
        {"text": ":red_circle: *OFFLINE* web-1 is offline: no report for 5 min (timeout 1 min)"},
        {"text": ":large_green_circle: *BACK ONLINE* web-1 is back online after 15 min without reports"},
    ]


def test_webhook_posts_the_event_as_json(rx: Receiver) -> None:
    WebhookTransport({"url": rx.url("/hook")}, client()).notify(FIRING)
    assert rx.bodies() == [{**FIRING, "text": "web-1: CPU is above 95.0 % for 10 min (now 97.2 %)"}]


@pytest.mark.parametrize("transport", [SlackTransport, WebhookTransport])
def test_it_retries_on_500(rx: Receiver, transport: type) -> None:
    rx.script = [Answer(500, "rollup_error"), Answer(503, "busy")]
    transport({"url": rx.url()}, client()).notify(FIRING)
    assert len(rx.received) == 3


@pytest.mark.parametrize("transport", [SlackTransport, WebhookTransport])
def test_it_gives_up_after_the_attempts_without_disabling(rx: Receiver, transport: type) -> None:
    rx.default = Answer(500, "rollup_error")
    with pytest.raises(TransportError) as e:
        transport({"url": rx.url()}, client(attempts=2)).notify(FIRING)
    assert not e.value.permanent and len(rx.received) == 2


def test_429_honours_a_short_retry_after(rx: Receiver) -> None:
    slept: list[float] = []
    http = HttpClient(["127.0.0.1"], HttpPolicy(attempts=2, backoff=0.01), sleep=slept.append)
    rx.script = [Answer(429, "rate_limited", headers={"Retry-After": "2"})]
    SlackTransport({"url": rx.url()}, http).notify(FIRING)
    assert slept == [2.0] and len(rx.received) == 2


@pytest.mark.parametrize("status,body", [(404, "no_service"), (410, "channel_is_archived"),
                                         (403, "invalid_token"), (404, "channel_not_found")])
def test_it_disables_slack_on_404_and_invalid_token(rx: Receiver, status: int, body: str) -> None:
    rx.default = Answer(status, body)
    with pytest.raises(TransportError) as e:
        SlackTransport({"url": rx.url()}, client()).notify(FIRING)
    assert e.value.permanent and len(rx.received) == 1  # never retried
    assert e.value.message.startswith(f"Slack answered {body}: ")


def test_it_disables_the_webhook_on_404(rx: Receiver) -> None:
    rx.default = Answer(404, "not here")
    with pytest.raises(TransportError) as e:
        WebhookTransport({"url": rx.url()}, client()).notify(FIRING)
    assert e.value.permanent and len(rx.received) == 1
    assert e.value.message == "127.0.0.1 answered 404: not here"


def test_a_bad_request_is_neither_retried_nor_disabling(rx: Receiver) -> None:
    rx.default = Answer(400, "invalid_payload")
    with pytest.raises(TransportError) as e:
        SlackTransport({"url": rx.url()}, client()).notify(FIRING)
    assert not e.value.permanent and len(rx.received) == 1


def test_it_follows_no_redirect(rx: Receiver) -> None:
    rx.default = Answer(302, "", headers={"Location": "http://169.254.169.254/latest/meta-data"})
    with pytest.raises(TransportError) as e:
        WebhookTransport({"url": rx.url()}, client()).notify(FIRING)
    assert e.value.permanent and "redirect" in e.value.message and len(rx.received) == 1


@pytest.mark.parametrize("transport", [SlackTransport, WebhookTransport])
def test_it_times_out(rx: Receiver, transport: type) -> None:
    rx.default = Answer(200, "ok", delay=1.5)
    with pytest.raises(TransportError) as e:
        transport({"url": rx.url()}, client(read_timeout=0.3, attempts=2)).notify(FIRING)
    assert not e.value.permanent
    assert e.value.message == "127.0.0.1 did not answer within 0.3 s"
    assert len(rx.received) == 2


def test_errors_never_show_the_url() -> None:
    http = client(attempts=1)
    secret = "http://127.0.0.1:9/services/T000/B000/XXXXSECRET"  # port 9: nothing listens
    with pytest.raises(TransportError) as e:
        SlackTransport({"url": secret}, http).notify(FIRING)
    assert "SECRET" not in e.value.message and "services" not in e.value.message
    assert e.value.message == "cannot connect to 127.0.0.1 (connection refused)"


@pytest.mark.parametrize("url", [
    "https://evil.example/hook",  # not allowlisted
    "http://user:pw@127.0.0.1:1/x",  # credentials
    "http://169.254.169.254/latest",  # link-local
])
def test_urls_outside_the_allowlist_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(TransportError) as e:
        WebhookTransport({"url": url}, HttpClient(["127.0.0.1", "169.254.169.254"])).notify(FIRING)
    assert e.value.permanent and e.value.message.startswith("webhook URL refused: ")


@pytest.mark.parametrize("peer,host,why", [
    ("169.254.169.254", "hooks.example", "a link-local address"),
    ("10.1.2.3", "hooks.example", "a private address"),
    ("192.168.1.5", "hooks.example", "a private address"),
    ("127.0.0.1", "hooks.example", "loopback, through a DNS name"),
    ("::ffff:169.254.1.1", "hooks.example", "a link-local address"),
    ("fe80::1", "hooks.example", "a link-local address"),
    ("127.0.0.1", "127.0.0.1", None),
    ("127.0.0.1", "localhost", None),
    ("34.0.0.1", "hooks.slack.com", None),
])
def test_the_address_reached_is_checked_at_connect_time(peer: str, host: str, why: str | None) -> None:
    assert refusal(peer, host) == why


def test_localhost_name_resolving_is_allowed_but_dns_to_loopback_is_not(rx: Receiver) -> None:
    # "localhost" is a loopback name; any other name that resolves to loopback is refused at connect time.
    http = HttpClient(["localhost", "localtest.internal"], HttpPolicy(attempts=1))
    WebhookTransport({"url": f"http://localhost:{rx.port}/x"}, http).notify(FIRING)
    assert len(rx.received) == 1


# -- delivery: the outbox drives the transports and disables channels ---------------------------------

def test_a_permanent_error_disables_the_channel_and_drops_its_queue(
        rx: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    db = MetaDB(":memory:")
    alerts = AlertDB(db)
    url = rx.url()
    settings = {"slack_webhook_url": url, "webhook_url": None}
    from statusmon.meta.alerts import CycleWrites

    alerts.save(CycleWrites(outbox=[("slack", FIRING), ("slack", RESOLVED)]))
    rx.default = Answer(404, "no_service")
    dispatcher = Dispatcher(alerts, client())
    with caplog.at_level(logging.DEBUG):
        counts = dispatcher.deliver(settings)
    assert counts == {"sent": 0, "retry": 0, "dropped": 1}
    assert len(rx.received) == 1
    reason = alerts.disabled_reason("slack", fingerprint({"url": url}))
    assert reason == ("Slack answered no_service: the webhook was removed or disabled in Slack; "
                      "create a new one")
    assert dispatcher.active_channels(settings) == []
    assert alerts.pending() == []  # the resolved message was dropped with the channel
    assert "XXXXSECRET" not in caplog.text
    # A new URL in settings starts enabled again.
    assert dispatcher.active_channels({"slack_webhook_url": url + "2"}) == ["slack"]
    # A successful test message re-enables the same URL.
    rx.default = Answer(200, "ok")
    send_test("slack", {"url": url}, client(), alerts, "")
    assert alerts.disabled_reason("slack", fingerprint({"url": url})) is None
    assert rx.bodies()[-1] == {"text": ":white_check_mark: *TEST* Test message from Status Monitor: "
                                       "notifications reach this channel."}


def test_a_temporary_error_is_retried_later_in_order(rx: Receiver) -> None:
    db = MetaDB(":memory:")
    alerts = AlertDB(db)
    from statusmon.meta.alerts import CycleWrites

    alerts.save(CycleWrites(outbox=[("slack", FIRING), ("slack", RESOLVED)]))
    now = [time.time() + 1]
    rx.default = Answer(500, "rollup_error")
    dispatcher = Dispatcher(alerts, client(attempts=1), clock=lambda: now[0])
    assert dispatcher.deliver({"slack_webhook_url": rx.url()})["retry"] == 1
    assert len(rx.received) == 1  # the resolved message waited behind the firing one
    rx.default = Answer(200, "ok")
    assert dispatcher.deliver({"slack_webhook_url": rx.url()})["sent"] == 0  # backoff: not due yet
    now[0] += 31
    assert dispatcher.deliver({"slack_webhook_url": rx.url()})["sent"] == 2
    assert [b["text"].split()[1] for b in rx.bodies()] == ["*FIRING*", "*FIRING*", "*RESOLVED*"]


# -- the HTTP helper itself, case by case (each pins a line a mutation test showed unchecked) ------------------

def test_the_helper_posts_utf8_json_with_its_headers_and_returns_the_2xx(rx: Receiver) -> None:
    from statusmon import __version__

    rx.default = Answer(204, "")
    resp = client().post_json(rx.url("/h"), {"text": "Überlast ✓"}, headers={"Authorization": "Bearer t"})
    assert resp.status_code == 204
    got = rx.received[0]
    assert got.body == '{"text": "Überlast ✓"}'.encode()  # raw UTF-8, not \\u escapes
    assert got.headers["User-Agent"] == f"statusmon/{__version__}"
    assert got.headers["Authorization"] == "Bearer t"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"


def test_backoff_doubles_between_tries_and_a_zero_attempt_policy_still_tries_once(rx: Receiver) -> None:
    slept: list[float] = []
    rx.default = Answer(500, "down")
    http = HttpClient(["127.0.0.1"], HttpPolicy(attempts=3, backoff=0.5), sleep=slept.append)
    with pytest.raises(TransportError) as e:
        http.post_json(rx.url(), {})
    assert slept == [0.5, 1.0] and len(rx.received) == 3  # no sleep after the last try
    assert e.value.message == "127.0.0.1 answered 500: down" and e.value.status == 500 and not e.value.permanent
    with pytest.raises(TransportError):
        HttpClient(["127.0.0.1"], HttpPolicy(attempts=0), sleep=slept.append).post_json(rx.url(), {})
    assert len(rx.received) == 4


def test_a_long_retry_after_is_left_to_the_outbox_and_a_body_can_say_it(rx: Receiver) -> None:
    slept: list[float] = []
    http = HttpClient(["127.0.0.1"], HttpPolicy(attempts=3, backoff=0.01, max_retry_after=10.0), sleep=slept.append)
    rx.script = [Answer(429, "slow down", headers={"Retry-After": "11"})]
    with pytest.raises(TransportError) as e:
        http.post_json(rx.url(), {})
    assert not e.value.permanent and len(rx.received) == 1 and slept == []
    rx.script = [Answer(429, "slow down", headers={"Retry-After": "10"})]
    http.post_json(rx.url(), {})
    assert slept == [10.0]
    rx.script = [Answer(429, "wait 3")]
    http.post_json(rx.url(), {}, read_retry_after=lambda r: float(r.text.split()[1]))
    assert slept == [10.0, 3.0]
    rx.script = [Answer(503, "busy", headers={"Retry-After": "-5"})]
    http.post_json(rx.url(), {}, read_retry_after=lambda r: 99.0)  # the header wins; below zero is now
    assert slept == [10.0, 3.0, 0.0]
    rx.script = [Answer(503, "busy", headers={"Retry-After": "soon"})]
    http.post_json(rx.url(), {})  # not a number: the backoff
    assert slept == [10.0, 3.0, 0.0, 0.01]


@pytest.mark.parametrize("status,permanent", [(401, True), (403, True), (404, True), (410, True),
                                              (400, False), (409, False), (422, False)])
def test_status_meanings(rx: Receiver, status: int, permanent: bool) -> None:
    rx.default = Answer(status, "nope")
    with pytest.raises(TransportError) as e:
        client().post_json(rx.url(), {})
    assert e.value.permanent is permanent and e.value.status == status and len(rx.received) == 1
    assert e.value.message == f"127.0.0.1 answered {status}: nope" and e.value.body == "nope"


@pytest.mark.parametrize("status", [300, 301, 307, 308, 399])
def test_a_redirect_says_so_and_disables(rx: Receiver, status: int) -> None:
    rx.default = Answer(status, "moved", headers={"Location": rx.url("/elsewhere")})
    with pytest.raises(TransportError) as e:
        client().post_json(rx.url(), {})
    assert e.value.permanent and e.value.status == status and len(rx.received) == 1
    assert e.value.message == f"127.0.0.1 answered {status}, a redirect (redirects are not followed)"


def test_the_response_text_is_cut_to_200_printable_characters(rx: Receiver) -> None:
    rx.default = Answer(400, " bad\x07 " + "y" * 300)
    with pytest.raises(TransportError) as e:
        client().post_json(rx.url(), {})
    assert e.value.body == "bad " + "y" * 194 and e.value.message.endswith(": bad " + "y" * 194)
    rx.default = Answer(400, "")
    with pytest.raises(TransportError) as e:
        client().post_json(rx.url(), {})
    assert e.value.message == "127.0.0.1 answered 400" and e.value.body == ""


def test_a_name_that_does_not_resolve_says_so() -> None:
    with pytest.raises(TransportError) as e:
        HttpClient(["nowhere.invalid"], HttpPolicy(attempts=1)).post_json("https://nowhere.invalid/x", {})
    assert e.value.message == "cannot connect to nowhere.invalid (name not resolved)" and not e.value.permanent


def test_a_refused_address_is_permanent_and_never_retried(rx: Receiver) -> None:
    # "localtest.internal" is not a loopback name: pointing it at 127.0.0.1 is what a rebinding DNS would do.
    http = HttpClient(["localtest.internal"], HttpPolicy(attempts=3, backoff=0.01))
    real = socket.getaddrinfo

    def resolve(host: str, *args: object, **kw: object) -> object:
        return real("127.0.0.1" if host == "localtest.internal" else host, *args, **kw)  # type: ignore[arg-type]

    socket.getaddrinfo = resolve  # type: ignore[assignment]
    try:
        with pytest.raises(TransportError) as e:
            http.post_json(f"https://localtest.internal:{rx.port}/x", {})
    finally:
        socket.getaddrinfo = real
    assert e.value.permanent and len(rx.received) == 0
    assert e.value.message == ("localtest.internal: the webhook host resolved to loopback, through a DNS name; "
                               "refused")


def test_private_addresses_only_for_hosts_the_admin_named() -> None:
    http = HttpClient(["ntfy.lan", "hooks.slack.com"])
    assert http.private_ok("ntfy.lan") is True
    assert http.private_ok("other.lan") is False
    assert http.private_ok("hooks.slack.com", ["hooks.slack.com"]) is False  # a hosted service's own host
    assert refusal("10.1.2.3", "ntfy.lan", private_ok=True) is None
    assert refusal("169.254.1.1", "ntfy.lan", private_ok=True) == "a link-local address"
    assert refusal("::1", "[::1]") is None and refusal("127.0.0.1", "LOCALHOST") is None
    assert refusal("fe80::1%eth0", "hooks.example") == "a link-local address"
    assert refusal("127.0.0.1", "10.0.0.1") == "loopback, through a DNS name"  # a non-loopback literal


def test_urllib3_logs_no_request_line_while_posting(rx: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        client().post_json(rx.url(), {})
    assert "XXXXSECRET" not in caplog.text
    import requests

    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        requests.post(rx.url("/after"), json={}, timeout=2)  # outside post_json: urllib3 logs as usual
        other = threading.Thread(target=lambda: requests.post(rx.url("/thread"), json={}, timeout=2))
        other.start()  # a thread that never posted through the helper logs as usual too
        other.join()
    assert "/after" in caplog.text and "/thread" in caplog.text


def test_nan_is_never_posted(rx: Receiver) -> None:
    with pytest.raises(ValueError):
        client().post_json(rx.url(), {"value": float("nan")})
    assert rx.received == []


def test_no_proxy_from_the_environment(rx: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    client(attempts=1).post_json(rx.url(), {})
    assert len(rx.received) == 1


def test_the_tls_context_is_the_given_one_or_the_systems() -> None:
    import ssl

    mine = ssl.create_default_context()
    assert HttpClient([], tls=mine).ssl_context() is mine
    system = HttpClient([]).ssl_context()
    assert system.verify_mode == ssl.CERT_REQUIRED and system.check_hostname


# -- the helper's own network behaviour, through the real stack (each pins a line a mutation run left unchecked) ---

class RawServer:
    """A TCP listener that answers every connection with fixed bytes (or none) and records what it received."""

    def __init__(self, answer: bytes = b"", host: str = "127.0.0.1") -> None:
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1.0)
                try:
                    self.received.append(conn.recv(65536))
                    if self.answer:
                        conn.sendall(self.answer)
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self.sock.close()


def resolving(name: str, address: str) -> object:
    """Point one name at an address through the resolver urllib3 uses (socket.getaddrinfo), counting lookups."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host: str, *args: object, **kw: object) -> object:
        lookups.append(host)
        return real(address if host == name else host, *args, **kw)  # type: ignore[arg-type]

    resolve.lookups = lookups  # type: ignore[attr-defined]
    resolve.real = real  # type: ignore[attr-defined]
    return resolve


def local_private_address() -> str:
    """This machine's own non-loopback address (the route's source address; no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = str(probe.getsockname()[0])
    except OSError:
        address = ""
    finally:
        probe.close()
    import ipaddress

    if not address or ipaddress.ip_address(address).is_loopback or ipaddress.ip_address(address).is_global:
        pytest.fail("this machine needs a non-loopback, non-global IPv4 address for the private-address test")
    return address


def assert_refused_unsent(server: RawServer, host: str, post: Callable[[], object]) -> None:
    """The connect-time guard's refusal: permanent, naming the host, and not one byte sent to the peer."""
    with pytest.raises(TransportError) as e:
        post()
    assert e.value.permanent
    assert e.value.message == f"{host}: the webhook host resolved to a private address; refused"
    time.sleep(0.1)
    assert server.received in ([], [b""])  # connected, closed before one byte went out


def test_a_named_lan_host_may_be_private_and_a_hosted_service_s_own_host_may_not(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    address = local_private_address()
    server = RawServer(host=address)  # speaks no TLS: a handshake that starts proves the guard let it through
    resolve = resolving("ntfy.lan", address)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    http = HttpClient(["ntfy.lan"], HttpPolicy(attempts=1, connect_timeout=2.0, read_timeout=2.0))
    try:
        with pytest.raises(TransportError) as named:
            http.post_json(f"https://ntfy.lan:{server.port}/alerts", {})
        assert not named.value.permanent and "refused" not in named.value.message
        assert named.value.message == "cannot connect to ntfy.lan (SSLEOFError)"
        deadline = time.monotonic() + 2
        while not server.received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.received and server.received[0][:1] == b"\x16"  # a TLS ClientHello reached it
        server.received.clear()
        # The same name as a channel's built-in host.
        assert_refused_unsent(server, "ntfy.lan",
                              lambda: http.post_json(f"https://ntfy.lan:{server.port}/alerts", {}, hosts=["ntfy.lan"]))
    finally:
        server.close()


def test_urllib3_never_retries_a_connection_behind_the_helper_s_back(monkeypatch: pytest.MonkeyPatch) -> None:
    idle = socket.create_server(("127.0.0.1", 0))
    port = idle.getsockname()[1]
    idle.close()  # nothing listens there now: every connect is refused
    resolve = resolving("refused.internal", "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(TransportError) as e:
        HttpClient(["refused.internal"], HttpPolicy(attempts=2, backoff=0.0)).post_json(
            f"https://refused.internal:{port}/x", {})
    assert e.value.message == "cannot connect to refused.internal (connection refused)"
    assert resolve.lookups.count("refused.internal") == 2  # type: ignore[attr-defined]  # one per attempt


def test_a_broken_response_is_named_by_its_kind_and_retried() -> None:
    server = RawServer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n")  # not a chunk length
    try:
        with pytest.raises(TransportError) as e:
            client(attempts=2).post_json(f"http://127.0.0.1:{server.port}/x", {})
        assert e.value.message == "request to 127.0.0.1 failed (ChunkedEncodingError)"
        assert not e.value.permanent and len(server.received) == 2
    finally:
        server.close()


def test_a_new_helper_quiets_urllib3_even_in_a_process_that_never_had_one(
    rx: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    from statusmon.notify import http as helper

    urllib3_log = logging.getLogger("urllib3.connectionpool")
    urllib3_log.removeFilter(helper._QUIET)  # as in a fresh process: the filter is the constructor's to add
    client()
    assert urllib3_log.filters.count(helper._QUIET) == 1
    client()
    assert urllib3_log.filters.count(helper._QUIET) == 1  # once, however many helpers
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        client().post_json(rx.url(), {})
    assert "XXXXSECRET" not in caplog.text


def test_plain_http_goes_through_the_connect_time_guard_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # http:// is allowed only to a loopback name; "localhost" resolving elsewhere is what a poisoned hosts file does
    address = local_private_address()
    server = RawServer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", host=address)
    monkeypatch.setattr(socket, "getaddrinfo", resolving("localhost", address))
    try:
        assert_refused_unsent(server, "localhost", lambda: HttpClient([], HttpPolicy(attempts=1)).post_json(
            f"http://localhost:{server.port}/x", {}, hosts=["localhost"]))
    finally:
        server.close()


class _Opened:
    """Stands in for urllib3's connection below the guard: the socket it opened (one a guard cannot read)."""

    host = "hooks.example"

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def _new_conn(self) -> socket.socket:
        return self.sock


class _GuardedOpened(http_helper._Guard, _Opened):
    pass


def test_a_peer_address_that_cannot_be_read_is_refused_and_the_socket_closed(tmp_path: object) -> None:
    import pathlib

    path = str(pathlib.Path(str(tmp_path)) / "peer.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.connect(path)  # its peer "address" is a path: not an IP address (ValueError)
    never_connected = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # no peer at all (OSError)
    try:
        for sock in (unix, never_connected):
            with pytest.raises(http_helper.AddressRefused) as e:
                _GuardedOpened(sock)._new_conn()
            assert str(e.value) == "the webhook host resolved to an address that cannot be checked; refused"
            assert sock.fileno() == -1  # closed, nothing sent
    finally:
        listener.close()
