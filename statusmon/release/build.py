"""``statusmon release build``: the agent as self-contained wheelhouse archives, one per (Python, machine).

Each archive holds the project's wheel and every wheel of the ``agent`` extra's lock (requirements/agent.txt:
exact versions, and pip checks each download against the lock's sha256), a ``requirements.txt`` naming every
wheel with its hash (what the updater installs with ``pip install --no-index --require-hashes``) and
``release.json``. Downloading for other platforms uses ``pip download --only-binary=:all: --platform ...
--python-version ...``, so one machine builds for all.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from statusmon.release.repository import Artifact, target_path

MACHINES = ("x86_64", "aarch64")
# manylinux2014 (glibc 2.17) first: the oldest hosts we support; pip also accepts the PEP 600 spelling.
PLATFORM_TAGS = ("manylinux2014_{m}", "manylinux_2_17_{m}")
_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-")


class BuildError(RuntimeError):
    """A build step failed; the message holds the command's output."""


def python_versions(setup_cfg: Path, newest: int = 13) -> list[str]:
    """Every CPython ``3.N`` that setup.cfg's ``python_requires = >=3.M`` allows, up to 3.``newest``."""
    m = re.search(r"python_requires\s*=\s*>=\s*3\.(\d+)", setup_cfg.read_text())
    floor = int(m.group(1)) if m else 10
    return [f"3.{n}" for n in range(floor, newest + 1)]


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")


def project_wheel(source: Path, dest: Path) -> Path:
    """Build the project's own wheel from ``source`` (a checkout) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dest),
          str(source)])
    wheels = sorted(dest.glob("statusmon-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise BuildError(f"pip wheel left no statusmon wheel in {dest}")
    return wheels[-1]


def dependencies(lock: Path, python: str, machine: str, dest: Path) -> list[Path]:
    """Download every wheel of ``lock`` for CPython ``python`` ("3.11") on manylinux ``machine`` into ``dest``.

    Kept per (python, machine) with a marker file, so several builds reuse one download."""
    done = dest / ".complete"
    if not done.exists():
        dest.mkdir(parents=True, exist_ok=True)
        platforms = [a for t in PLATFORM_TAGS for a in ("--platform", t.format(m=machine))]
        _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--require-hashes",
              "--implementation", "cp", "--python-version", python, *platforms, "-d", str(dest), "-r", str(lock)])
        done.write_text("")
    return sorted(dest.glob("*.whl"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def requirements_txt(wheels: list[Path]) -> str:
    """One ``name==version --hash=sha256:...`` line per wheel: pip then installs exactly these files."""
    lines = []
    for w in sorted(wheels, key=lambda p: p.name.lower()):
        m = _WHEEL.match(w.name)
        if not m:
            raise BuildError(f"not a wheel file name: {w.name}")
        lines.append(f"{m['name']}=={m['version']} --hash=sha256:{_sha256(w)}")
    return "\n".join(lines) + "\n"


def archive(wheel: Path, deps: list[Path], version: str, python: str, machine: str, dest: Path) -> Artifact:
    """Pack one wheelhouse archive (deterministic member order, no owner names)."""
    tag = "cp" + python.replace(".", "")
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / Path(target_path(version, tag, machine)).name
    wheels = [wheel, *deps]

    def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(out, "w:gz") as tar:
        add_bytes(tar, "release.json", json.dumps({"version": version, "python": tag, "machine": machine}).encode())
        add_bytes(tar, "requirements.txt", requirements_txt(wheels).encode())
        for w in sorted(wheels, key=lambda p: p.name):
            info = tar.gettarinfo(str(w), arcname=f"wheels/{w.name}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(w, "rb") as f:
                tar.addfile(info, f)
    return Artifact(out, version, tag, machine)


def read_release(archive_path: Path) -> dict[str, str]:
    """The ``release.json`` of an archive (version, python tag, machine)."""
    with tarfile.open(archive_path) as tar:
        member = tar.extractfile("release.json")
        if member is None:
            raise BuildError(f"{archive_path} has no release.json")
        data = json.loads(member.read())
    return {k: str(data[k]) for k in ("version", "python", "machine")}


def build(source: Path, out: Path, pythons: list[str], machines: list[str], lock: Path | None = None,
          cache: Path | None = None) -> list[Artifact]:
    """Build the wheelhouse archives of the checkout ``source`` into ``out``, one per (python, machine)."""
    lock = lock or source / "requirements" / "agent.txt"
    with tempfile.TemporaryDirectory(prefix="statusmon-build-") as tmp:
        wheel = project_wheel(source, Path(tmp) / "project")
        m = _WHEEL.match(wheel.name)
        assert m is not None
        version = m["version"]
        cache_dir = cache or Path(tmp) / "deps"
        artifacts = []
        for python in pythons:
            for machine in machines:
                deps = dependencies(lock, python, machine, cache_dir / f"{python}-{machine}")
                artifacts.append(archive(wheel, deps, version, python, machine, out))
        shutil.rmtree(Path(tmp) / "project", ignore_errors=True)
    return artifacts
