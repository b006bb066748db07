"""A webhook host whose DNS name resolves to loopback, link-local (the cloud metadata service) or, for a hosted
service's own host, a private address is refused at connect time, by the real transport, through real name
resolution; a host the admin named may be private (a self-hosted service on the LAN).

No patching: the test makes a network namespace (``unshare``: a user, network and mount namespace), puts the
addresses on its loopback interface, bind-mounts an /etc/hosts naming them, and runs tests/alerting/netns_probe.py
in it. The names resolve through the C library, exactly as urllib3's ``create_connection`` resolves them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.require import require

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
HOSTS = {
    "loopback.test": "127.0.0.1",
    "metadata.test": "169.254.169.254",
    "private.test": "10.20.30.40",  # a hosted service's own host: private refused
    "lan.test": "10.20.30.41",  # a host the admin named (self-hosted on the LAN): private allowed
    "public.test": "8.8.8.8",  # a global address (only inside the namespace): the control, allowed
}


def probe(tmp_path: Path) -> dict[str, dict[str, object]]:
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    require(unshare is not None and ip is not None, "unshare and ip (util-linux, iproute2)")
    usable = subprocess.run([str(unshare), "-rnm", "true"], capture_output=True).returncode == 0
    require(usable, "unprivileged user and network namespaces (unshare -rnm)")
    hosts = tmp_path / "hosts"
    hosts.write_text("".join(f"{addr} {name}\n" for name, addr in HOSTS.items()))
    setup = " && ".join(
        ["ip link set lo up"]
        + [f"ip addr add {addr}/32 dev lo" for addr in HOSTS.values() if addr != "127.0.0.1"]
        + [f"mount --bind {hosts} /etc/hosts",
           f"exec {sys.executable} -m tests.alerting.netns_probe " + " ".join(HOSTS)])
    proc = subprocess.run([str(unshare), "-rnm", "sh", "-c", setup], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_dns_names_for_loopback_link_local_and_private_addresses_are_refused_at_connect(tmp_path: Path) -> None:
    got = probe(tmp_path)
    for name, why in [("loopback.test", "loopback, through a DNS name"), ("metadata.test", "a link-local address"),
                      ("private.test", "a private address")]:
        assert got[name] == {"error": f"{name}: the webhook host resolved to {why}; refused", "permanent": True,
                             "bytes": [""]}, name  # connected, then closed before a single byte went out
    # The control: a global address passes the check, and the TLS handshake starts (0x16 = a ClientHello);
    # it fails only because the listener speaks no TLS.
    assert got["public.test"]["bytes"] == ["16"]
    assert got["public.test"]["permanent"] is False
    # A private address is what a self-hosted service the admin named lives at: it passes the check too.
    assert got["lan.test"]["bytes"] == ["16"] and got["lan.test"]["permanent"] is False
