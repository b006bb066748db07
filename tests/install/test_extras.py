"""Each extra alone, in a fresh venv, runs its component: what a user installs is enough, and nothing else leaks in.

By default each venv is installed from the lock (``pip install --require-hashes -r requirements/<extra>.txt``, then
statusmon's wheel with ``--no-deps``): exactly what CI tested and users get. With STATUSMON_SMOKE_UNLOCKED=1
(``infra/check-upstream.sh``) each venv is ``pip install '<checkout>[<extra>]'`` instead: the newest releases
setup.cfg allows, the way a plain pip install resolves today, and the versions that differ from the lock are
written to test-artifacts/upstream/versions.txt.

These run pip for real (the pip cache makes a rerun take seconds per venv).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.install.lockfiles import LOCK_DIR, ROOT, read_lock

UNLOCKED = os.environ.get("STATUSMON_SMOKE_UNLOCKED", "") not in ("", "0")
REPORT = ROOT / "test-artifacts" / "upstream" / "versions.txt"
SERVER_ONLY = {"flask", "gunicorn", "gevent", "werkzeug", "flask-sock", "marshmallow", "greenlet"}
# Every module of these packages imports in the extra's venv (module-level imports; lazy ones are run below).
IMPORTS = {"server": ["api", "alerting", "statusmon"], "alerting": ["alerting", "statusmon"],
           "agent": ["agent", "statusmon.cli"], "release": ["statusmon.release", "statusmon.cli"]}
# Kernel packages that another extra brings the dependencies of: `statusmon release` (tuf's signing side, the
# release extra) is never imported by the server or the worker.
OTHER_EXTRAS = {"server": ("statusmon.release",), "alerting": ("statusmon.release",)}
# The modules each component imports lazily, inside functions (so importing its packages does not reach them).
LAZY = {"server": ["gevent.monkey", "gunicorn.app.base", "gunicorn.workers.ggevent"], "alerting": [],
        "agent": ["pynvml", "requests"], "release": ["cryptography.hazmat.primitives.asymmetric.ed25519"]}

pytestmark = pytest.mark.integration


def run(argv: list[str | Path], timeout: float = 600, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          check=False, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done


def base_env(**extra: str) -> dict[str, str]:
    """A user's environment, not the suite's: no PYTHONPATH, no CI variables, nothing from this checkout."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "HOME") if k in os.environ}
    return {**env, **extra}


@pytest.fixture(scope="session")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a release ships (the packages, setup.cfg, pyproject.toml, README), copied so builds leave no trace."""
    src = tmp_path_factory.mktemp("source")
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("statusmon", "api", "agent", "alerting"):
        shutil.copytree(ROOT / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules"))
    return src


@pytest.fixture(scope="session")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """statusmon's wheel, built once with the lock's setuptools and wheel (no build isolation: nothing unpinned)."""
    out = tmp_path_factory.mktemp("wheel")
    builder = tmp_path_factory.mktemp("builder") / "venv"
    run([sys.executable, "-m", "venv", builder])
    run([builder / "bin" / "pip", "install", "-q", "--require-hashes", "-r", LOCK_DIR / "build.txt"])
    run([builder / "bin" / "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", out, source])
    (found,) = out.glob("statusmon-*.whl")
    return found


def venv_with(extra: str, tmp_path: Path, source: Path, wheel_of: pytest.FixtureRequest) -> Path:
    venv = tmp_path / f"venv-{extra}"
    run([sys.executable, "-m", "venv", venv])
    pip = venv / "bin" / "pip"
    if UNLOCKED:
        run([pip, "install", "-q", "--upgrade", "pip"])
        run([pip, "install", "-q", f"{source}[{extra}]"])
        report_versions(extra, venv)
    else:
        run([pip, "install", "-q", "--require-hashes", "-r", LOCK_DIR / f"{extra}.txt"])
        run([pip, "install", "-q", "--no-deps", wheel_of.getfixturevalue("wheel")])
    run([pip, "check"])
    return venv


def installed(venv: Path) -> dict[str, str]:
    listed = run([venv / "bin" / "pip", "list", "--format", "json"]).stdout
    return {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed)}


def report_versions(extra: str, venv: Path) -> None:
    locked = {p.name: p.version for p in read_lock(LOCK_DIR / f"{extra}.txt")}
    newer = [f"{extra}: {name} {locked.get(name, '(not in the lock)')} -> {version}"
             for name, version in sorted(installed(venv).items())
             if (name in locked and locked[name] != version)
             or (name not in locked and name not in ("pip", "setuptools", "statusmon"))]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as f:
        f.write("\n".join(newer or [f"{extra}: every version is the locked one"]) + "\n")


def imports_everything(venv: Path, extra: str) -> None:
    """Every module of the component's packages, and what it imports lazily, imports from this venv alone
    (except the kernel packages that belong to another extra: ``OTHER_EXTRAS``)."""
    code = (
        "import importlib, pkgutil, sys\n"
        "skip = tuple(sys.argv[1].split(',')) if sys.argv[1] else ()\n"
        "for name in sys.argv[2:]:\n"
        "    module = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        "        if not info.name.endswith('__main__') and not info.name.startswith(skip):\n"
        "            importlib.import_module(info.name)\n"
    )
    skip = ",".join(OTHER_EXTRAS.get(extra, ()))
    run([venv / "bin" / "python", "-c", code, skip, *IMPORTS[extra], *LAZY[extra]], cwd=venv, env=base_env())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_venv(tmp_path_factory: pytest.TempPathFactory, source: Path, request: pytest.FixtureRequest) -> Path:
    return venv_with("server", tmp_path_factory.mktemp("server"), source, request)


@pytest.fixture
def server(server_venv: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    env = base_env(STATUSMON_DATA_DIR=str(tmp_path / "data"), STATUSMON_ADMIN_PASSWORD="correct-horse-battery")
    with log.open("wb") as out:
        proc = subprocess.Popen([server_venv / "bin" / "statusmon", "server", "--bind", f"127.0.0.1:{port}"],
                                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the server died at start:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no /healthz in 60 s:\n{log.read_text()}"
            time.sleep(0.2)
        yield url, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
    assert proc.returncode == 0, log.read_text()


def test_the_server_extra_alone_serves_healthz_under_gunicorn_with_the_gevent_worker(
    server_venv: Path, server: tuple[str, Path]
) -> None:
    url, log = server
    with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
        assert json.loads(resp.read()) == {"status": "ok", "store": "sqlite", "metadata": "ok"}
    text = log.read_text()
    assert "Using worker: gevent" in text and "Booting worker" in text, text
    assert "Traceback" not in text, text
    names = installed(server_venv)
    # packaging: gunicorn 27 imports it for the gevent worker, declared only under gunicorn's `gevent` extra
    assert {"gunicorn", "gevent", "greenlet", "packaging", "flask", "flask-sock", "werkzeug", "psycopg"} <= set(names)
    imports_everything(server_venv, "server")


def test_the_agent_extra_alone_prints_a_sample_and_pulls_no_web_server(
    tmp_path_factory: pytest.TempPathFactory, source: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    venv = venv_with("agent", tmp_path_factory.mktemp("agent"), source, request)
    names = installed(venv)
    assert {"psutil", "nvidia-ml-py", "requests", "schedule"} <= set(names)
    assert not set(names) & SERVER_ONLY, set(names) & SERVER_ONLY
    # the updater verifies Ed25519 with securesystemslib's vendored pure-Python code: no compiled crypto needed
    assert {"tuf", "securesystemslib"} <= set(names) and "cryptography" not in names
    once = run([venv / "bin" / "statusmon", "agent", "--once"], timeout=120, cwd=tmp_path,
               env=base_env(STATUSMON_AGENT_SPOOL_DIR=str(tmp_path / "spool")))
    sample = json.loads(once.stdout)
    assert isinstance(sample["cpu_percent"], float) and sample["ts"] > 1_600_000_000
    assert "ram_percent" in sample and sample["disks"], sample
    imports_everything(venv, "agent")


def test_the_alerting_extra_alone_completes_a_cycle_and_records_its_heartbeat(
    tmp_path_factory: pytest.TempPathFactory, source: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    venv = venv_with("alerting", tmp_path_factory.mktemp("alerting"), source, request)
    assert not set(installed(venv)) & SERVER_ONLY
    data = tmp_path / "data"
    run([venv / "bin" / "statusmon", "alerting", "--once"], timeout=120, cwd=tmp_path,
        env=base_env(STATUSMON_DATA_DIR=str(data)))
    conn = sqlite3.connect(data / "meta.db")
    try:
        last_cycle_at, last_error = conn.execute(
            "SELECT last_cycle_at, last_error FROM alert_worker WHERE id = 1").fetchone()
    finally:
        conn.close()
    assert last_cycle_at is not None and abs(time.time() - last_cycle_at) < 120 and last_error is None
    imports_everything(venv, "alerting")


def test_the_release_extra_alone_makes_keys_and_publishes_a_signed_release(
    tmp_path_factory: pytest.TempPathFactory, source: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import io
    import tarfile

    venv = venv_with("release", tmp_path_factory.mktemp("release"), source, request)
    assert not set(installed(venv)) & SERVER_ONLY
    statusmon = venv / "bin" / "statusmon"
    run([statusmon, "release", "keygen", tmp_path / "keys"], cwd=tmp_path, env=base_env())
    archive = tmp_path / "statusmon-agent-9.9.9-cp311-x86_64.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = json.dumps({"version": "9.9.9", "python": "cp311", "machine": "x86_64"}).encode()
        info = tarfile.TarInfo("release.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    run([statusmon, "release", "publish", "--repo", tmp_path / "repo", "--keys", tmp_path / "keys", archive],
        cwd=tmp_path, env=base_env())
    run([statusmon, "release", "timestamp", "--repo", tmp_path / "repo", "--keys", tmp_path / "keys"],
        cwd=tmp_path, env=base_env())
    ts = json.loads((tmp_path / "repo" / "metadata" / "timestamp.json").read_text())
    assert ts["signed"]["version"] == 3 and ts["signatures"]
    targets = json.loads((tmp_path / "repo" / "metadata" / "2.targets.json").read_text())
    assert "agent/9.9.9/statusmon-agent-9.9.9-cp311-x86_64.tar.gz" in targets["signed"]["targets"]
    imports_everything(venv, "release")
