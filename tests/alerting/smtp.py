"""A real SMTP server on loopback (aiosmtpd) with STARTTLS or implicit TLS and AUTH, for the email transport.

The certificate is a self-signed one made by ``openssl`` for each test session (SAN 127.0.0.1 and localhost);
the client trusts it through ``HttpClient(tls=...)``, the one seam the transport offers for its trust store.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "alerts@example.org", "s3cret-Passw0rd"


def make_cert(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def client_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    rcpt_answer: str = "250 OK"  # what RCPT TO is answered
    tls_seen: list[bool] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.rcpt_answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        # STARTTLS sets session.ssl; implicit TLS shows on the transport.
        self.tls_seen.append(session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None)
        return "250 Message accepted for delivery"

    def authenticator(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (USER, PASSWORD)
        if ok:
            self.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(cert: Path, key: Path, mode: str = "starttls") -> Iterator[tuple[Mailbox, int]]:
    """mode: "starttls" (STARTTLS required, AUTH only after it), "tls" (implicit TLS), "plain" (no TLS
    offered at all)."""
    box = Mailbox()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(cert), str(key))
    port = free_port()
    kwargs: dict[str, Any] = {"authenticator": box.authenticator, "auth_require_tls": True}
    if mode == "starttls":
        kwargs.update(tls_context=server_ctx, require_starttls=True)
    elif mode == "tls":
        # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; this whole connection is TLS already.
        kwargs.update(ssl_context=server_ctx, auth_require_tls=False)
    else:
        kwargs.update(auth_require_tls=False)
    controller = Controller(box, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
