"""Email over SMTP (the standard library's smtplib): one message per notification, a plain-text and an HTML part.

Security: ``starttls`` (connect in clear, then STARTTLS before anything else is said; a server that does not
offer it is refused), ``tls`` (implicit TLS, port 465) or ``none`` (only to a loopback relay). Certificates are
verified against the system's trust store (``HttpClient.tls`` in tests). Authentication (AUTH PLAIN/LOGIN)
when a user name is set, only ever over TLS.

The allowlist: the SMTP host is always self-named, so it must be in STATUSMON_WEBHOOK_ALLOW_HOSTS; the address
reached is checked before the first byte is exchanged (never link-local; loopback only for a loopback name).

What the server says (RFC 5321 reply codes): 535 (login refused), 5xx to MAIL FROM or to every RCPT TO, a
server without STARTTLS or AUTH, a certificate that does not verify: the configuration is wrong, so the channel
is disabled. 4xx replies, dropped connections and timeouts are retried (``HttpPolicy.attempts``, then the
outbox). The password is never in an error message or a log.
"""

from __future__ import annotations

import html
import smtplib
import socket
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from typing import Any

from statusmon.notify.base import Config, TransportError
from statusmon.notify.events import headline, lines, title
from statusmon.notify.http import HttpClient, refusal
from statusmon.webhooks import WebhookNotAllowed, check_host


class _Guarded(smtplib.SMTP):
    """Checks the address reached before the server's greeting is read."""

    # smtplib's _get_socket is private, but it is where SMTP_SSL itself hooks in: the one seam to check the
    # address before any byte is exchanged.
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        try:
            why = refusal(sock.getpeername()[0], host, private_ok=True)
        except (OSError, ValueError):
            why = "an address that cannot be checked"
        if why:
            sock.close()
            raise TransportError(f"{host}: the SMTP host resolved to {why}; refused", permanent=True)
        return sock


class _GuardedSSL(smtplib.SMTP_SSL, _Guarded):
    pass


def message(config: Config, event: dict[str, Any]) -> EmailMessage:
    # RFC 5322's line limit (998) rather than the 78 of policy.default, so that the subject is not folded
    # after "Subject:" (which some readers show as a leading space).
    msg = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    subject = f"[Status Monitor] {title(event)}: {headline(event)}"
    msg["Subject"] = subject if len(subject) <= 200 else subject[:199] + "…"
    msg["From"] = config["sender"]
    msg["To"] = ", ".join(recipients(config))
    msg["Date"] = formatdate(event["at"], localtime=False)
    msg["Message-ID"] = make_msgid(domain="statusmon")
    listed = lines(event)
    plain = "\n".join([headline(event), "", *(f"- {line}" for line in listed)]).rstrip()
    if event.get("link"):
        plain += f"\n\nOpen in Status Monitor: {event['link']}"
    msg.set_content(plain + "\n")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in listed)
    link = (f'<p><a href="{html.escape(event["link"])}">Open in Status Monitor</a></p>'
            if event.get("link") else "")
    msg.add_alternative(f"<html><body><h2>{html.escape(title(event))}</h2><p>{html.escape(headline(event))}</p>"
                        f"{f'<ul>{items}</ul>' if items else ''}{link}</body></html>\n", subtype="html")
    return msg


def recipients(config: Config) -> list[str]:
    return [addr for _, addr in getaddresses([str(config["recipients"])]) if addr]


class EmailTransport:
    name = "email"

    def __init__(self, config: Config, http: HttpClient):
        self.config = config
        self.http = http

    def notify(self, event: dict[str, Any]) -> None:
        c, p = self.config, self.http.policy
        try:
            host = check_host(str(c["host"]), self.http.allow_hosts)
        except WebhookNotAllowed as e:
            raise TransportError(f"SMTP host refused: {e}", permanent=True) from None
        if c.get("security") == "none" and refusal("127.0.0.1", host) is not None:
            raise TransportError("unencrypted SMTP is only allowed to a loopback relay", permanent=True)
        if not recipients(c):
            raise TransportError("no recipient address", permanent=True)
        msg = message(c, event)
        delay = p.backoff
        error = TransportError("not attempted")
        for attempt in range(1, max(1, p.attempts) + 1):
            try:
                self._send(host, msg)
                return
            except TransportError as e:
                if e.permanent:
                    raise
                error = e
            if attempt < p.attempts:
                self.http.sleep(delay)
                delay *= 2
        raise error

    def _send(self, host: str, msg: EmailMessage) -> None:
        c, p = self.config, self.http.policy
        port, security = int(c.get("port") or 587), c.get("security") or "starttls"
        where = f"{host}:{port}"
        context = self.http.ssl_context()
        try:
            smtp: smtplib.SMTP
            if security == "tls":
                smtp = _GuardedSSL(host, port, timeout=p.read_timeout, context=context)
            else:
                smtp = _Guarded(host, port, timeout=p.read_timeout)
            with smtp:
                if security == "starttls":
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if c.get("username"):
                    smtp.login(str(c["username"]), str(c.get("password") or ""))
                smtp.send_message(msg)  # some recipients refused, others not: sent (retrying would repeat it)
        except TransportError:
            raise
        except smtplib.SMTPAuthenticationError as e:
            raise TransportError(f"{where} refused the login ({e.smtp_code}): check the user and password",
                                 permanent=True) from None
        except smtplib.SMTPNotSupportedError as e:
            raise TransportError(f"{where}: {_words(e)}", permanent=True) from None
        except smtplib.SMTPRecipientsRefused as e:
            codes = sorted({code for code, _ in e.recipients.values()})
            raise TransportError(f"{where} refused every recipient ({', '.join(map(str, codes))})",
                                 permanent=all(code >= 500 for code in codes)) from None
        except smtplib.SMTPSenderRefused as e:
            raise TransportError(f"{where} refused the sender ({e.smtp_code}: {_words(e)})",
                                 permanent=e.smtp_code >= 500) from None
        except smtplib.SMTPResponseException as e:
            raise TransportError(f"{where} answered {e.smtp_code}: {_words(e)}") from None
        except ssl.SSLCertVerificationError as e:
            raise TransportError(f"{where}: the server's certificate does not verify ({e.verify_message})",
                                 permanent=True) from None
        except TimeoutError:
            raise TransportError(f"{where} did not answer within {p.read_timeout:g} s") from None
        except ConnectionRefusedError:
            raise TransportError(f"cannot connect to {where} (connection refused)") from None
        except smtplib.SMTPServerDisconnected as e:
            if isinstance(e.__context__, TimeoutError):  # smtplib wraps a read timeout in this
                raise TransportError(f"{where} did not answer within {p.read_timeout:g} s") from None
            raise TransportError(f"{where} closed the connection") from None
        except (OSError, smtplib.SMTPException) as e:
            raise TransportError(f"{where}: {type(e).__name__}") from None


def _words(e: BaseException) -> str:
    said = getattr(e, "smtp_error", None)
    text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said or e)
    return "".join(ch for ch in text[:200] if ch.isprintable()).strip()
