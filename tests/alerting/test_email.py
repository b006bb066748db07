"""The email transport against a real SMTP server on loopback (aiosmtpd): STARTTLS and implicit TLS with a
self-signed certificate made for the test, AUTH, one message with a plain-text and an HTML part, and what
the server's refusals mean."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from statusmon.notify import HttpClient, TransportError, build
from statusmon.notify.events import group_event
from statusmon.notify.http import HttpPolicy
from tests.alerting.smtp import PASSWORD, USER, client_context, make_cert, smtp_server
from tests.alerting.test_transports import FIRING

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("tls"))


def config(port: int, **over: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "security": "starttls", "username": USER, "password": PASSWORD,
            "sender": "Status Monitor <statusmon@example.org>", "recipients": "ops@example.org, oncall@example.org",
            **over}


def http(cert: Path | None, **policy: float) -> HttpClient:
    p = {"read_timeout": 2.0, "attempts": 2, "backoff": 0.01, **policy}
    return HttpClient(["127.0.0.1"], HttpPolicy(**p),  # type: ignore[arg-type]
                      tls=client_context(cert) if cert else None)


def test_it_sends_one_message_over_starttls_with_login(cert: tuple[Path, Path]) -> None:
    with smtp_server(*cert, mode="starttls") as (box, port):
        build("email", config(port), http(cert[0])).notify(FIRING)
    assert box.tls_seen == [True] and box.logins and box.logins[0] in ("PLAIN", "LOGIN")
    assert box.envelopes == [("statusmon@example.org", ["ops@example.org", "oncall@example.org"])]
    (msg,) = box.messages
    assert msg["Subject"] == "[Status Monitor] FIRING: web-1: CPU is above 95.0 % for 10 min (now 97.2 %)"
    assert msg["From"] == "Status Monitor <statusmon@example.org>"
    assert msg["To"] == "ops@example.org, oncall@example.org"
    assert msg["Date"] == "Tue, 14 Nov 2023 22:23:20 -0000" and msg["Message-ID"].endswith("@statusmon>")
    assert msg.get_content_type() == "multipart/alternative"
    # The wire format ends lines with CRLF.
    plain = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert plain == ("web-1: CPU is above 95.0 % for 10 min (now 97.2 %)\n\n"
                     "Open in Status Monitor: https://mon.example/client/c0ffee\n")
    assert html == ("<html><body><h2>FIRING</h2><p>web-1: CPU is above 95.0 % for 10 min (now 97.2 %)</p>"
                    '<p><a href="https://mon.example/client/c0ffee">Open in Status Monitor</a></p></body></html>\n')


def test_it_sends_over_implicit_tls(cert: tuple[Path, Path]) -> None:
    with smtp_server(*cert, mode="tls") as (box, port):
        build("email", config(port, security="tls"), http(cert[0])).notify(FIRING)
    assert box.tls_seen == [True] and len(box.messages) == 1 and box.logins


def test_a_group_lists_the_first_alerts_in_both_parts(cert: tuple[Path, Path]) -> None:
    events = [{**FIRING, "hostname": f"gpu-{i:02d}"} for i in range(12)]
    with smtp_server(*cert) as (box, port):
        build("email", config(port), http(cert[0])).notify(group_event(events, FIRING["at"]))
    (msg,) = box.messages
    assert msg["Subject"] == "[Status Monitor] 12 ALERTS: 12 alerts changed state at once (12 firing)"
    plain = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert plain.count("\n- FIRING: gpu-") == 5 and "- … and 7 more" in plain
    assert msg.get_body(("html",)).get_content().count("<li>") == 6  # type: ignore[union-attr]


def test_a_wrong_password_disables_the_channel(cert: tuple[Path, Path]) -> None:
    with smtp_server(*cert) as (box, port):
        with pytest.raises(TransportError) as e:
            build("email", config(port, password="wrong"), http(cert[0])).notify(FIRING)
    assert e.value.permanent and box.messages == []
    assert e.value.message == f"127.0.0.1:{port} refused the login (535): check the user and password"
    assert "wrong" not in e.value.message and PASSWORD not in e.value.message


def test_a_server_without_starttls_is_refused(cert: tuple[Path, Path]) -> None:
    with smtp_server(*cert, mode="plain") as (box, port):
        with pytest.raises(TransportError) as e:
            build("email", config(port), http(cert[0])).notify(FIRING)
    assert e.value.permanent and "STARTTLS" in e.value.message and box.messages == [] and box.logins == []


def test_a_certificate_that_does_not_verify_is_refused(cert: tuple[Path, Path]) -> None:
    with smtp_server(*cert) as (box, port):
        with pytest.raises(TransportError) as e:
            build("email", config(port), http(None)).notify(FIRING)  # the system store: self-signed fails
    assert e.value.permanent and "certificate does not verify" in e.value.message and box.logins == []


@pytest.mark.parametrize("answer,permanent,tries", [("550 5.1.1 No such user", True, 1),
                                                    ("451 4.3.0 Try again later", False, 2)])
def test_refused_recipients(cert: tuple[Path, Path], answer: str, permanent: bool, tries: int) -> None:
    with smtp_server(*cert) as (box, port):
        box.rcpt_answer = answer
        with pytest.raises(TransportError) as e:
            build("email", config(port), http(cert[0])).notify(FIRING)
    assert e.value.permanent is permanent and box.messages == [] and len(box.logins) == tries


def test_it_times_out_on_a_silent_server() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    t = threading.Thread(target=lambda: [accepted.append(listener.accept()[0]) for _ in range(2)], daemon=True)
    t.start()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(TransportError) as e:
            build("email", config(port), http(None, read_timeout=0.3)).notify(FIRING)
        assert not e.value.permanent and e.value.message == f"127.0.0.1:{port} did not answer within 0.3 s"
        t.join(2)
        assert len(accepted) == 2  # tried twice (HttpPolicy.attempts)
    finally:
        for s in accepted:
            s.close()
        listener.close()


@pytest.mark.parametrize("over,why", [
    ({"host": "smtp.example.org"}, "SMTP host refused: smtp.example.org is not an allowed host"),
    ({"security": "none", "host": "mail.lan"}, "SMTP host refused"),
])
def test_the_smtp_host_must_be_named_by_the_admin(over: dict[str, Any], why: str) -> None:
    with pytest.raises(TransportError) as e:
        build("email", config(25, **over), HttpClient(["127.0.0.1"])).notify(FIRING)
    assert e.value.permanent and e.value.message.startswith(why)


def test_plain_smtp_only_to_a_loopback_relay() -> None:
    with pytest.raises(TransportError) as e:
        build("email", config(25, security="none", host="mail.lan"), HttpClient(["mail.lan"])).notify(FIRING)
    assert e.value.permanent and e.value.message == "unencrypted SMTP is only allowed to a loopback relay"

