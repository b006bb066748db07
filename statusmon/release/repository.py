"""The TUF repository the agents update from: a directory any static web server (or the API at ``/updates/``)
serves read-only.

Layout (TUF with consistent snapshots, so a client reading while a release is published never mixes two
states): ``metadata/N.root.json`` (every root version, for rotation), ``metadata/root.json`` (the newest root: what
``install.sh`` pins), ``metadata/N.targets.json``, ``metadata/N.snapshot.json``, ``metadata/timestamp.json``, and
``targets/<sha256>.agent/<version>/<file>``. Every artifact is a TUF target whose ``custom`` field says which
release, Python and machine it is for; the agent (agent/update) picks its own.

The roles and their keys: root (offline) signs which keys hold each role; targets (offline) signs the list of
releases; snapshot and timestamp (may be online) sign the repository's current state and its freshness.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from statusmon.release import keys

TARGET_PREFIX = "agent"


@dataclass(frozen=True)
class Expiry:
    """How long each role's signature stays valid. The timestamp is short so a frozen mirror is noticed."""

    root: timedelta = timedelta(days=365)
    targets: timedelta = timedelta(days=365)
    snapshot: timedelta = timedelta(days=7)
    timestamp: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class Artifact:
    """One wheelhouse archive: the files it installs, for one release, Python and machine."""

    path: Path
    version: str
    python: str  # "cp311"
    machine: str  # "x86_64", "aarch64"

    @property
    def target_path(self) -> str:
        return target_path(self.version, self.python, self.machine)


def target_path(version: str, python: str, machine: str) -> str:
    """The TUF target name of a release's archive: the one contract between ``publish`` and the updater."""
    return f"{TARGET_PREFIX}/{version}/statusmon-agent-{version}-{python}-{machine}.tar.gz"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class Repository:
    """A TUF repository directory, signed with the keys in ``keydir``."""

    def __init__(self, root_dir: Path, keydir: Path, expiry: Expiry | None = None) -> None:
        self.dir = root_dir
        self.meta_dir = root_dir / "metadata"
        self.targets_dir = root_dir / "targets"
        self.keydir = keydir
        self.expiry = expiry or Expiry()

    # -- reading --------------------------------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.meta_dir / "timestamp.json").exists()

    def _load(self, name: str) -> Metadata:
        return Metadata.from_file(str(self.meta_dir / name))

    def timestamp(self) -> Metadata[Timestamp]:
        return self._load("timestamp.json")

    def snapshot(self) -> Metadata[Snapshot]:
        return self._load(f"{self.timestamp().signed.snapshot_meta.version}.snapshot.json")

    def targets(self) -> Metadata[Targets]:
        return self._load(f"{self.snapshot().signed.meta['targets.json'].version}.targets.json")

    def root(self) -> Metadata[Root]:
        return self._load("root.json")

    def releases(self) -> dict[str, list[str]]:
        """Release version -> its target names (the catalogue the API shows)."""
        out: dict[str, list[str]] = {}
        for name, info in self.targets().signed.targets.items():
            version = str(info.custom.get("version", "")) if isinstance(info.custom, dict) else ""
            if version:
                out.setdefault(version, []).append(name)
        return out

    # -- writing --------------------------------------------------------------------------------------------
    def _write(self, md: Metadata, name: str) -> None:
        tmp = self.meta_dir / f".{name}.tmp"
        md.to_file(str(tmp), JSONSerializer(compact=False))
        tmp.replace(self.meta_dir / name)  # a reader sees the old file or the new one, never half

    def init(self) -> None:
        """Create root v1 (every role held by the one key of that role in ``keydir``) and empty targets."""
        if self.exists():
            raise ValueError(f"{self.dir} already holds a TUF repository")
        self.meta_dir.mkdir(parents=True, exist_ok=True)
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        now = _now()
        root = Metadata(Root(expires=now + self.expiry.root, consistent_snapshot=True))
        for role in keys.ROLES:
            root.signed.add_key(keys.public_key(self.keydir, role), role)
        root.sign(keys.signer(self.keydir, "root"))
        self._write(root, "1.root.json")
        self._write(root, "root.json")
        targets = Metadata(Targets(expires=now + self.expiry.targets))
        self._sign_targets(targets)

    def _sign_targets(self, targets: Metadata[Targets]) -> None:
        targets.signatures.clear()
        targets.sign(keys.signer(self.keydir, "targets"))
        self._write(targets, f"{targets.signed.version}.targets.json")
        self._sign_snapshot(targets.signed.version)

    def _sign_snapshot(self, targets_version: int) -> None:
        now = _now()
        version = self.snapshot().signed.version + 1 if self.exists() else 1
        snapshot = Metadata(Snapshot(version=version, expires=now + self.expiry.snapshot,
                                     meta={"targets.json": MetaFile(targets_version)}))
        snapshot.sign(keys.signer(self.keydir, "snapshot"))
        self._write(snapshot, f"{version}.snapshot.json")
        self.sign_timestamp(snapshot_version=version)

    def sign_timestamp(self, snapshot_version: int | None = None) -> int:
        """Sign a new timestamp (the only role that must be re-signed often: run daily where its key is)."""
        if snapshot_version is None:
            snapshot_version = self.snapshot().signed.version
        version = self.timestamp().signed.version + 1 if self.exists() else 1
        ts = Metadata(Timestamp(version=version, expires=_now() + self.expiry.timestamp,
                                snapshot_meta=MetaFile(snapshot_version)))
        ts.sign(keys.signer(self.keydir, "timestamp"))
        self._write(ts, "timestamp.json")
        return version

    def resign_online(self) -> int:
        """New snapshot and timestamp for the same targets (their expiry renewed). Returns the timestamp version."""
        self._sign_snapshot(self.snapshot().signed.meta["targets.json"].version)
        return self.timestamp().signed.version

    def rotate(self, role: str) -> int:
        """Replace ``role``'s key with a fresh one: a new root version, signed by the root key (for root itself,
        by the old and the new root key), then the role's metadata re-signed with the new key. Agents follow the
        chain of root versions on their next refresh. The old key files are kept as ``<role>.pem.<root version>``.
        Returns the new root version."""
        if role not in keys.ROLES:
            raise ValueError(f"unknown role {role!r}; known: {', '.join(keys.ROLES)}")
        root = self.root()
        old_signer = keys.signer(self.keydir, "root") if role == "root" else None
        old_id = keys.public_key(self.keydir, role).keyid
        version = root.signed.version
        for suffix in (".pem", ".pub.json"):
            (self.keydir / f"{role}{suffix}").rename(self.keydir / f"{role}{suffix}.{version}")
        keys.keygen(self.keydir, (role,))
        root.signed.revoke_key(old_id, role)
        root.signed.add_key(keys.public_key(self.keydir, role), role)
        root.signed.version = version + 1
        root.signed.expires = _now() + self.expiry.root
        root.signatures.clear()
        if old_signer is not None:
            root.sign(old_signer, append=True)  # the client checks a new root against the old one's keys too
        root.sign(keys.signer(self.keydir, "root"), append=True)
        self._write(root, f"{version + 1}.root.json")
        self._write(root, "root.json")
        if role in ("root", "targets"):
            targets = self.targets()
            targets.signed.version += 1
            self._sign_targets(targets)
        else:
            self.resign_online()
        return version + 1

    def publish(self, artifacts: list[Artifact]) -> int:
        """Add ``artifacts`` as targets and sign targets, snapshot and timestamp. Returns the targets version.

        A release version already published is refused: what agents verified once never changes under them."""
        if not self.exists():
            self.init()
        targets = self.targets()
        for a in artifacts:
            if a.target_path in targets.signed.targets:
                raise ValueError(f"{a.target_path} is already published; publish a new version instead")
        for a in artifacts:
            info = TargetFile.from_file(a.target_path, str(a.path), ["sha256"])
            info.unrecognized_fields["custom"] = {"version": a.version, "python": a.python, "machine": a.machine}
            digest = info.hashes["sha256"]
            dest = self.targets_dir / TARGET_PREFIX / a.version / f"{digest}.{Path(a.target_path).name}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(a.path, dest)
            targets.signed.targets[a.target_path] = info
        targets.signed.version += 1
        targets.signed.expires = _now() + self.expiry.targets
        self._sign_targets(targets)
        return targets.signed.version
