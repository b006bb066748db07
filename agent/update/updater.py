"""One update: ask, verify, install side by side, switch, restart, wait for health, or roll back.

Every step that can fail before the switch leaves the running release untouched (``current`` is changed only
after the new venv is complete). After the switch the health mark decides: the new agent's first accepted report
within ``health_window`` seconds, or the old release comes back and the version is never tried again here.
"""

from __future__ import annotations

import fcntl
import logging
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tuf.api import exceptions as tuf_errors
from tuf.ngclient import Updater as TufUpdater
from tuf.ngclient import UpdaterConfig

from agent import health
from agent.config import Config
from agent.update.fetcher import BoundFetcher
from agent.update.layout import Layout
from agent.update.policy import PolicyClient, PolicyError

log = logging.getLogger("agent.update")

COMPLETE = ".statusmon-release-complete"  # written last into a release venv: a venv without it is half-done


class Busy(RuntimeError):
    """Another update holds the lock."""


class Refused(RuntimeError):
    """The release was not installed: it failed verification, or it is not newer than what runs."""


class InstallFailed(RuntimeError):
    """Verified, but installing it failed (disk full, pip failed); the running release is untouched."""


@dataclass(frozen=True)
class Outcome:
    result: str  # "current", "off", "installed", "rolled_back", "refused", "failed", "skipped"
    version: str | None
    detail: str = ""


def version_key(version: str) -> tuple[int, ...]:
    """``"1.2.10"`` -> (1, 2, 10). Release versions are plain dotted numbers; anything else is refused."""
    parts = version.split(".")
    if not version or not all(p.isdigit() for p in parts):
        raise Refused(f"{version!r} is not a release version (dotted numbers)")
    return tuple(int(p) for p in parts)


def python_tag() -> str:
    return f"cp{sys.version_info.major}{sys.version_info.minor}"


def machine() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


def target_name(version: str) -> str:
    # The contract with statusmon/release/repository.py's target_path (a test checks they agree).
    return f"agent/{version}/statusmon-agent-{version}-{python_tag()}-{machine()}.tar.gz"


class Updater:
    def __init__(self, config: Config, *, policy: PolicyClient | None = None,
                 restart: Callable[[], None] | None = None, clock: Callable[[], float] = time.time,
                 download_deadline: float = 120.0, poll: float = 0.5) -> None:
        self.config = config
        self.layout = Layout(config.install_root)
        self.policy = policy or PolicyClient(config.server, config.token, config.http_timeout)
        self.restart = restart or self._restart_service
        self.clock = clock
        self.download_deadline = download_deadline
        self.poll = poll

    # -- the whole run ----------------------------------------------------------------------------------------
    def run_once(self) -> Outcome:
        if not self.config.update:
            log.info("updates are off (update = 0 in the agent's config)")
            return Outcome("off", None)
        self.layout.state.mkdir(parents=True, exist_ok=True)
        with self._lock():
            return self._run_locked()

    def _lock(self) -> _Lock:
        return _Lock(self.layout.lock_path)

    def _run_locked(self) -> Outcome:
        installed = self.layout.current_version()
        try:
            decision = self.policy.decision(installed)
        except PolicyError as exc:
            log.warning("cannot ask the API which version to run: %s", exc)
            return Outcome("skipped", None, str(exc))
        target = decision.version
        if target is None or target == installed:
            log.info("running %s; nothing to do", installed)
            return Outcome("current", installed)
        if target in self.layout.failed():
            log.warning("%s failed its health check here before: not trying it again", target)
            return Outcome("skipped", target, "failed here before")
        try:
            self._check_newer(target, installed)
            archive = self._download(target)
            self._install(target, archive)
        except Refused as exc:
            return self._finish(Outcome("refused", target, str(exc)), installed)
        except InstallFailed as exc:
            return self._finish(Outcome("failed", target, str(exc)), installed)
        return self._finish(self._switch_and_watch(target, installed), installed)

    def _finish(self, outcome: Outcome, installed: str | None) -> Outcome:
        level = logging.INFO if outcome.result == "installed" else logging.ERROR
        log.log(level, "update to %s: %s %s", outcome.version, outcome.result, outcome.detail)
        if outcome.version is not None:
            try:
                self.policy.report(outcome.version, installed, outcome.result, outcome.detail)
            except PolicyError as exc:
                log.warning("cannot report the update result to the API: %s", exc)
        return outcome

    # -- verify -----------------------------------------------------------------------------------------------
    def _check_newer(self, target: str, installed: str | None) -> None:
        if installed is not None and version_key(target) <= version_key(installed):
            raise Refused(f"{target} is not newer than the running {installed}: downgrades are refused")
        version_key(target)

    def _tuf(self) -> TufUpdater:
        meta = self.layout.metadata
        meta.mkdir(parents=True, exist_ok=True)
        # Trust starts at the root pinned at install; once a newer root was verified, the cache holds it.
        bootstrap = None if (meta / "root.json").exists() else self.layout.pinned_root.read_bytes()
        base = self.config.updates_base
        fetcher = BoundFetcher(base, timeout=self.config.http_timeout, deadline=self.download_deadline)
        return TufUpdater(str(meta), base + "metadata/", str(self.layout.downloads), base + "targets/",
                          fetcher=fetcher, config=UpdaterConfig(app_user_agent="statusmon-agent"),
                          bootstrap=bootstrap)

    def _download(self, target: str) -> Path:
        """Refresh the metadata and download the target; raises Refused on any verification failure."""
        name = target_name(target)
        try:
            updater = self._tuf()
            updater.refresh()
            info = updater.get_targetinfo(name)
            if info is None:
                raise Refused(f"{name} is not among the signed targets")
            custom = info.custom if isinstance(info.custom, dict) else {}
            if custom.get("version") != target:
                raise Refused(f"{name}: the signed version is {custom.get('version')!r}, not {target!r}")
            self.layout.downloads.mkdir(parents=True, exist_ok=True)
            path = self.layout.downloads / Path(name).name
            updater.download_target(info, str(path))
            return path
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError) as exc:
            shutil.rmtree(self.layout.downloads, ignore_errors=True)
            raise Refused(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:
            shutil.rmtree(self.layout.downloads, ignore_errors=True)
            if isinstance(exc, FileNotFoundError) and not self.layout.pinned_root.exists():
                raise Refused(f"no pinned root at {self.layout.pinned_root}") from None
            raise InstallFailed(f"cannot store the download: {exc}") from None

    # -- install ----------------------------------------------------------------------------------------------
    def _install(self, version: str, archive: Path) -> None:
        dest = self.layout.release_dir(version)
        if (dest / COMPLETE).exists():
            return
        unpacked = self.layout.downloads / f"{version}.d"
        try:
            shutil.rmtree(dest, ignore_errors=True)
            shutil.rmtree(unpacked, ignore_errors=True)
            with tarfile.open(archive) as tar:  # verified by TUF before it is opened
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(unpacked, filter="data")
                else:  # Python < 3.10.12: every member is a plain file under wheels/ (checked)
                    for m in tar.getmembers():
                        if not m.isfile() or m.name.startswith("/") or ".." in m.name.split("/"):
                            raise InstallFailed(f"unexpected archive member {m.name!r}")
                    tar.extractall(unpacked)  # noqa: S202 - every member checked just above
            dest.parent.mkdir(parents=True, exist_ok=True)
            self._pip(["-m", "venv", str(dest)], sys.executable)
            self._pip(["-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--require-hashes",
                       "--no-cache-dir", "--disable-pip-version-check", "-q", "--find-links",
                       str(unpacked / "wheels"), "-r", str(unpacked / "requirements.txt")],
                      str(dest / "bin" / "python"))
            self._pip(["-c", "import agent.main, statusmon; print(statusmon.__version__)"],
                      str(dest / "bin" / "python"), expect=version)
            (dest / COMPLETE).write_text(version)
        except (InstallFailed, OSError, tarfile.TarError) as exc:
            shutil.rmtree(dest, ignore_errors=True)
            raise InstallFailed(str(exc)) from None
        finally:
            shutil.rmtree(self.layout.downloads, ignore_errors=True)

    @staticmethod
    def _pip(args: list[str], python: str, expect: str | None = None) -> None:
        # cwd "/": `python -c` puts the working directory first on sys.path, where a checkout could shadow the
        # release being checked.
        proc = subprocess.run([python, *args], capture_output=True, text=True, timeout=600, cwd="/",
                              env={**os.environ, "PIP_CONFIG_FILE": os.devnull, "PYTHONNOUSERSITE": "1"})
        if proc.returncode != 0:
            raise InstallFailed(f"{' '.join(args[:3])} failed: {(proc.stderr or proc.stdout)[-600:]}")
        if expect is not None and proc.stdout.strip() != expect:
            raise InstallFailed(f"the installed release says it is {proc.stdout.strip()!r}, not {expect!r}")

    # -- switch, restart, health ------------------------------------------------------------------------------
    def _restart_service(self) -> None:
        cmd = shlex.split(self.config.restart_command)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log.error("%s failed (%d): %s", self.config.restart_command, proc.returncode, proc.stderr[-300:])

    def wait_healthy(self, version: str, since: float, window: float) -> bool:
        deadline = time.monotonic() + window
        while True:
            mark = health.read(self.config.health_path)
            if mark is not None and mark.version == version and mark.time >= since:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.poll)

    def _switch_and_watch(self, target: str, previous: str | None) -> Outcome:
        self.layout.switch(target)
        started = self.clock()
        self.restart()
        if self.wait_healthy(target, started, self.config.health_window):
            keep = {target} | ({previous} if previous else set())
            pruned = self.layout.prune(keep)
            return Outcome("installed", target, f"healthy; pruned {', '.join(pruned)}" if pruned else "healthy")
        self.layout.add_failed(target)
        detail = f"no health mark within {self.config.health_window} s"
        if previous is None:
            return Outcome("rolled_back", target, detail + "; no previous release to go back to")
        self.layout.switch(previous)
        back = self.clock()
        self.restart()
        again = self.wait_healthy(previous, back, self.config.health_window)
        shutil.rmtree(self.layout.release_dir(target), ignore_errors=True)
        return Outcome("rolled_back", target,
                       f"{detail}; back on {previous}" + ("" if again else " (which has not reported yet)"))


class _Lock:
    """An exclusive, non-blocking flock on the state directory's lock file: one update at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> _Lock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise Busy(f"another update holds {self.path}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
