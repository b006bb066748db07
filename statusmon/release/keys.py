"""One Ed25519 key per TUF role, kept as files in a key directory.

``<role>.pem`` is the private key (PKCS#8 PEM, mode 0600, as securesystemslib's CryptoSigner writes and reads it);
``<role>.pub.json`` is its public half in TUF's key format (with its key id). Root and targets keys belong offline;
snapshot and timestamp keys may sit on the server that re-signs the timestamp (README, "Agent updates").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from securesystemslib.signer import CryptoSigner, Key, SSlibKey

ROLES = ("root", "targets", "snapshot", "timestamp")


class KeyError_(ValueError):
    """A key file is missing or malformed; the message names it."""


def keygen(keydir: Path, roles: tuple[str, ...] = ROLES) -> dict[str, str]:
    """Create a fresh key for each of ``roles`` in ``keydir``; return role -> key id. Never overwrites a key."""
    keydir.mkdir(parents=True, exist_ok=True)
    for role in roles:
        if (keydir / f"{role}.pem").exists():
            raise KeyError_(f"{keydir / (role + '.pem')} exists: refusing to overwrite a key")
    ids: dict[str, str] = {}
    for role in roles:
        signer = CryptoSigner.generate_ed25519()
        key = signer.public_key
        fd = os.open(keydir / f"{role}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(signer.private_bytes)
        (keydir / f"{role}.pub.json").write_text(json.dumps({"keyid": key.keyid, **key.to_dict()}, indent=2))
        ids[role] = key.keyid
    return ids


def public_key(keydir: Path, role: str) -> Key:
    path = keydir / f"{role}.pub.json"
    try:
        data = json.loads(path.read_text())
        keyid = data.pop("keyid")
        return SSlibKey.from_dict(keyid, data)
    except (OSError, ValueError, KeyError) as exc:
        raise KeyError_(f"cannot read the {role} public key {path}: {exc}") from None


def signer(keydir: Path, role: str) -> CryptoSigner:
    """The signer for ``role`` (its private key must be in ``keydir``)."""
    key = public_key(keydir, role)
    path = (keydir / f"{role}.pem").resolve()
    if not path.exists():
        raise KeyError_(f"no private {role} key at {path} (the {role} role signs this step)")
    return CryptoSigner.from_priv_key_uri(f"file2:{path}", key)
