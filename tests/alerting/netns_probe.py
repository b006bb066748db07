"""Run inside a network namespace the test made (see test_dns_rebinding.py): post through the real HttpClient
to names that /etc/hosts (bind-mounted in that namespace) resolves to the addresses given, and print what
happened to each as one JSON line.

Each name points at a raw TCP listener on that address (the namespace's loopback carries them all), so a
refusal can only come from the connect-time check: the connection itself succeeds. The listener records the
first bytes it got: nothing when the check closed the socket, a TLS ClientHello (0x16) when the post went on.
"""

from __future__ import annotations

import json
import socket
import sys
import threading

from statusmon.notify import HttpClient, TransportError
from statusmon.notify.http import HttpPolicy
from statusmon.notify.webhook import WebhookTransport

SERVICE_HOST = "private.test"
EVENT = {"kind": "test", "alert": "metric", "client_id": "c", "hostname": "h", "metric_type": "cpu_percent",
         "mount": None, "gpu": None, "value": 1.0, "threshold": 1.0, "direction": "above", "duration_sec": 0,
         "unit": "percent", "since": 0, "at": 0, "link": None, "rule": None}


def main(names: list[str]) -> None:
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    first_bytes: list[bytes] = []

    def accept() -> None:
        while True:
            conn, _ = listener.accept()
            conn.settimeout(2)
            try:
                first_bytes.append(conn.recv(1))
            except OSError:
                first_bytes.append(b"")
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    # private.test plays a hosted service's own host (a channel's fixed hosts, never the admin's): a private
    # address is refused for it. Every other name is one the admin allowed (lan.test: a self-hosted ntfy on the
    # LAN, where a private address is expected).
    http = HttpClient([n for n in names if n != SERVICE_HOST], HttpPolicy(connect_timeout=2, read_timeout=2,
                                                                           attempts=1))
    results = {}
    for name in names:
        before = len(first_bytes)
        reachable = socket.create_connection((name, port), timeout=2)  # the address answers: no network fault
        reachable.close()
        try:
            if name == SERVICE_HOST:
                http.post_json(f"https://{name}:{port}/hook", EVENT, hosts=(name,))
            else:
                WebhookTransport({"url": f"https://{name}:{port}/hook"}, http).notify(EVENT)
            outcome = {"error": None}
        except TransportError as e:
            outcome = {"error": e.message, "permanent": e.permanent}
        deadline = 50
        while len(first_bytes) < before + 2 and deadline:  # the probe connection, then the post's
            threading.Event().wait(0.05)
            deadline -= 1
        outcome["bytes"] = [b.hex() for b in first_bytes[before + 1:]]
        results[name] = outcome
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
