"""Signed agent updates, end to end: releases built by `statusmon release` code from copies of this checkout,
published into a TUF repository, served by a real HTTP server on loopback, installed by the real
`statusmon agent update --once` of the installed release into real venvs under a temporary install root.

Nothing is faked: the restart goes to a real supervisor process (tests/agent/updates.py) standing in for systemd.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agent.config import load
from agent.update import updater as updater_module
from agent.update.layout import Layout
from agent.update.updater import Updater
from statusmon.release import keys
from statusmon.release.repository import Artifact, Expiry, Repository, target_path
from tests.agent.updates import Supervisor, UpdateServer, build_release, run_update, wait_until, write_config

pytestmark = pytest.mark.integration

A, B, C, OLD = "1.0.0", "1.1.0", "1.2.0", "0.9.0"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("releases")


@pytest.fixture(scope="module")
def releases(work: Path) -> dict[str, Artifact]:
    cache = work / "deps"
    return {v: build_release(work, v, cache) for v in (OLD, A, B, C)}


@pytest.fixture(scope="module")
def keydir(work: Path) -> Path:
    keys.keygen(work / "keys")
    return work / "keys"


@pytest.fixture(scope="module")
def pristine(work: Path, keydir: Path, releases: dict[str, Artifact]) -> Path:
    """A repository holding OLD, A and B (one publish each: three targets versions)."""
    repo = Repository(work / "pristine", keydir)
    for v in (OLD, A, B):
        repo.publish([releases[v]])
    return repo.dir


@pytest.fixture
def server(tmp_path: Path, pristine: Path) -> Iterator[UpdateServer]:
    repo = tmp_path / "repo"
    shutil.copytree(pristine, repo)
    srv = UpdateServer(repo).start()
    yield srv
    srv.stop()


def install_first(root: Path, config: Path, artifact: Artifact, root_json: Path) -> None:
    """What install.sh does on a fresh host: the first release's venv, `current`, and the pinned root."""
    layout = Layout(root)
    layout.pinned_root.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(root_json, layout.pinned_root)
    Updater(load(str(config)))._install(artifact.version, artifact.path)
    layout.switch(artifact.version)


def releases_on_disk(root: Path) -> set[str]:
    return {p.name for p in (root / "releases").iterdir()}


def test_the_agent_and_the_updater_agree_on_target_names() -> None:
    assert updater_module.target_name("2.0.1") == target_path("2.0.1", updater_module.python_tag(),
                                                              updater_module.machine())


def test_the_agent_process_never_imports_the_updater() -> None:
    code = ("import sys; import agent.main, agent.runtime, agent.config, agent.health; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tuf', 'securesystemslib', 'urllib3')"
            " or m.startswith('agent.update')); print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_host_updates_from_a_to_b_to_c_and_keeps_only_the_previous_release(
        tmp_path: Path, server: UpdateServer, releases: dict[str, Artifact], keydir: Path) -> None:
    root = tmp_path / "host"
    config = write_config(tmp_path / "agent.conf", root, server.url)
    install_first(root, config, releases[A], server.repo / "metadata" / "root.json")
    sup = Supervisor(root, config).start()
    try:
        config = write_config(tmp_path / "agent.conf", root, server.url, restart_command=sup.restart_command)
        wait_until(lambda: A in server.reports, 30, "the first agent's report")

        server.target = B
        started = time.monotonic()
        proc = run_update(root, config)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert time.monotonic() - started < 60
        assert Layout(root).current_version() == B
        assert server.results[-1]["result"] == "installed" and server.results[-1]["previous"] == A
        wait_until(lambda: server.reports[-1] == B, 10, "reports from B")
        assert releases_on_disk(root) == {A, B}

        # a later release: the host refreshes its metadata (new targets, snapshot, timestamp) and goes on
        repo = Repository(server.repo, keydir)
        ts_before = json.loads((root / "state" / "tuf" / "timestamp.json").read_text())["signed"]["version"]
        repo.publish([releases[C]])
        server.target = C
        proc = run_update(root, config)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert Layout(root).current_version() == C
        ts_after = json.loads((root / "state" / "tuf" / "timestamp.json").read_text())["signed"]["version"]
        assert ts_after > ts_before
        assert releases_on_disk(root) == {B, C}  # the previous kept, older pruned
        wait_until(lambda: server.reports[-1] == C, 10, "reports from C")

        proc = run_update(root, config)  # nothing newer: nothing happens
        assert proc.returncode == 0 and proc.stdout.startswith("current")
    finally:
        sup.stop()


# -- refusals: each leaves nothing installed and the running release untouched ---------------------------------

@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory, releases: dict[str, Artifact], pristine: Path) -> Path:
    """One host with A installed (no agent running: these runs stop before any restart)."""
    root = tmp_path_factory.mktemp("host")
    config = write_config(root / "agent.conf", root, "http://127.0.0.1:9", restart_command="false")
    install_first(root, config, releases[A], pristine / "metadata" / "root.json")
    return root


def refused(host: Path, server: UpdateServer, target: str = B, timeout: float = 60) -> str:
    shutil.rmtree(host / "state", ignore_errors=True)
    config = write_config(host / "agent.conf", host, server.url, restart_command="false")
    server.target = target
    proc = run_update(host, config, timeout=timeout)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("refused"), proc.stdout + proc.stderr
    assert Layout(host).current_version() == A
    assert releases_on_disk(host) == {A}
    assert not (host / "state" / "downloads").exists()
    assert server.results and server.results[-1]["result"] == "refused"
    return proc.stdout


def target_file(server: UpdateServer, version: str) -> Path:
    (path,) = (server.repo / "targets" / "agent" / version).iterdir()
    return path


def test_a_tampered_wheelhouse_is_refused(host: Path, server: UpdateServer) -> None:
    path = target_file(server, B)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert "LengthOrHashMismatch" in refused(host, server)


def test_a_target_larger_than_its_metadata_says_is_refused(host: Path, server: UpdateServer) -> None:
    path = target_file(server, B)
    path.write_bytes(path.read_bytes() + b"\0" * 4096)
    assert "DownloadLengthMismatch" in refused(host, server)


def test_tampered_metadata_is_refused(host: Path, server: UpdateServer) -> None:
    meta = server.repo / "metadata"
    latest = max(meta.glob("*.targets.json"), key=lambda p: int(p.name.split(".")[0]))
    doc = json.loads(latest.read_text())
    info = doc["signed"]["targets"][target_path(B, updater_module.python_tag(), updater_module.machine())]
    info["length"] += 1  # what an attacker who cannot sign would have to do to serve another file
    latest.write_text(json.dumps(doc))
    assert "UnsignedMetadata" in refused(host, server)


def test_metadata_signed_by_an_unknown_key_is_refused(host: Path, server: UpdateServer, work: Path,
                                                      releases: dict[str, Artifact]) -> None:
    rogue = work / "rogue-keys"
    if not rogue.exists():
        keys.keygen(rogue)
    # the rogue repository keeps the real root (what the host trusts) but signs everything else itself
    fake = Repository(server.repo.parent / "rogue", rogue)
    fake.publish([releases[B]])
    shutil.copy(server.repo / "metadata" / "root.json", fake.meta_dir / "1.root.json")
    shutil.copy(server.repo / "metadata" / "root.json", fake.meta_dir / "root.json")
    server.repo = fake.dir
    assert "UnsignedMetadata" in refused(host, server)


def test_an_expired_timestamp_is_refused_as_a_freeze_attack(host: Path, server: UpdateServer,
                                                             keydir: Path) -> None:
    Repository(server.repo, keydir, Expiry(timestamp=timedelta(seconds=-60))).sign_timestamp()
    assert "ExpiredMetadata" in refused(host, server)


def test_an_older_version_than_the_running_one_is_refused(host: Path, server: UpdateServer) -> None:
    assert "downgrades are refused" in refused(host, server, target=OLD)


def test_metadata_older_than_what_the_host_has_seen_is_refused(host: Path, server: UpdateServer,
                                                               keydir: Path) -> None:
    old_ts = (server.repo / "metadata" / "timestamp.json").read_bytes()
    Repository(server.repo, keydir).sign_timestamp()
    shutil.rmtree(host / "state", ignore_errors=True)
    tuf = Updater(load(str(write_config(host / "agent.conf", host, server.url))))._tuf()
    tuf.refresh()  # the host has now seen the newer timestamp
    (server.repo / "metadata" / "timestamp.json").write_bytes(old_ts)
    config = write_config(host / "agent.conf", host, server.url, restart_command="false")
    server.target = B
    proc = run_update(host, config)
    assert proc.returncode == 1 and "BadVersionNumber" in proc.stdout, proc.stdout + proc.stderr
    assert Layout(host).current_version() == A and releases_on_disk(host) == {A}


def test_targets_from_another_snapshot_are_refused(host: Path, server: UpdateServer, keydir: Path,
                                                   releases: dict[str, Artifact]) -> None:
    repo = Repository(server.repo, keydir)
    repo.publish([releases[C]])
    meta = server.repo / "metadata"
    newest = max(int(p.name.split(".")[0]) for p in meta.glob("*.targets.json"))
    # mix and match: the newest snapshot names targets version N; the server hands out version N-1's file
    shutil.copy(meta / f"{newest - 1}.targets.json", meta / f"{newest}.targets.json")
    assert "BadVersionNumber" in refused(host, server)


def test_a_stalling_server_times_out(host: Path, server: UpdateServer) -> None:
    server.stall.add(".tar.gz")
    started = time.monotonic()
    assert "SlowRetrieval" in refused(host, server)
    assert time.monotonic() - started < 20  # http_timeout = 2 s, not the stall's 30 s


def test_a_redirect_off_the_repository_host_is_refused(host: Path, server: UpdateServer) -> None:
    server.redirect["timestamp.json"] = "http://127.0.0.2:8"
    assert "redirect" in refused(host, server)
    server.redirect.clear()
    server.redirect[".tar.gz"] = "http://127.0.0.2:8"
    assert "redirect" in refused(host, server)


def test_with_updates_off_nothing_is_asked(host: Path, server: UpdateServer) -> None:
    config = write_config(host / "agent.conf", host, server.url, update="0")
    server.target = B
    proc = run_update(host, config)
    assert proc.returncode == 0 and proc.stdout.startswith("off")
    assert server.fetched == [] and Layout(host).current_version() == A


# -- health window, disk full, concurrency --------------------------------------------------------------------

def crash_at_start(src: Path) -> None:
    main = src / "agent" / "main.py"
    text = main.read_text()
    anchor = '    parser = argparse.ArgumentParser(prog="statusmon agent", '
    assert anchor in text
    main.write_text(text.replace(anchor, '    raise SystemExit("this release crashes at start")\n' + anchor))


def never_reports_health(src: Path) -> None:
    mod = src / "agent" / "health.py"
    text = mod.read_text()
    anchor = '    tmp = f"{path}.{os.getpid()}.tmp"'
    assert anchor in text
    silenced = "    return  # this release runs and sends, but never says it is healthy\n"
    mod.write_text(text.replace(anchor, silenced + anchor))


def test_a_release_that_crashes_or_never_reports_is_rolled_back_and_never_retried(
        tmp_path: Path, server: UpdateServer, releases: dict[str, Artifact], keydir: Path, work: Path) -> None:
    crash = build_release(work, "1.3.0", work / "deps", crash_at_start)
    silent = build_release(work, "1.4.0", work / "deps", never_reports_health)
    Repository(server.repo, keydir).publish([crash, silent])
    root = tmp_path / "host"
    window = 5
    config = write_config(tmp_path / "agent.conf", root, server.url)
    install_first(root, config, releases[A], server.repo / "metadata" / "root.json")
    sup = Supervisor(root, config).start()
    try:
        config = write_config(tmp_path / "agent.conf", root, server.url, restart_command=sup.restart_command,
                              health_window=str(window))
        wait_until(lambda: A in server.reports, 30, "the first agent's report")
        for bad in ("1.3.0", "1.4.0"):
            server.target = bad
            started = time.monotonic()
            proc = run_update(root, config)
            took = time.monotonic() - started
            assert proc.returncode == 1 and proc.stdout.startswith("rolled_back"), proc.stdout + proc.stderr
            assert took < window + 30 + 15, took  # window + 30 s, plus the install itself
            assert Layout(root).current_version() == A
            assert releases_on_disk(root) == {A}
            assert server.results[-1]["result"] == "rolled_back" and server.results[-1]["version"] == bad
            assert "back on 1.0.0" in server.results[-1]["detail"]
            assert bad in json.loads((root / "state" / "failed.json").read_text())
            n = len(server.reports)
            wait_until(lambda: len(server.reports) > n + 1 and server.reports[-1] == A, 20, "A reporting again")
            if bad == "1.4.0":
                assert "1.4.0" in server.reports  # it did run and send; it never wrote its health mark

            fetched, results = len(server.fetched), len(server.results)
            proc = run_update(root, config)  # asked again: never retried on this host
            assert proc.returncode == 0 and proc.stdout.startswith("skipped"), proc.stdout + proc.stderr
            assert len(server.fetched) == fetched and len(server.results) == results
            assert Layout(root).current_version() == A
    finally:
        sup.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_disk_filling_up_during_the_install_leaves_the_running_release(
        tmp_path: Path, server: UpdateServer, releases: dict[str, Artifact]) -> None:
    # A real full filesystem: a tmpfs of its own (root only), filled with ballast until 3 MiB are left, so the
    # download fits and the new venv does not.
    root = tmp_path / "host"
    root.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", str(root)], check=True)
    try:
        config = write_config(tmp_path / "agent.conf", root, server.url, restart_command="false")
        install_first(root, config, releases[A], server.repo / "metadata" / "root.json")
        st = os.statvfs(root)
        free = st.f_bavail * st.f_frsize
        with open(root / "ballast", "wb") as f:
            f.truncate(0)
            left = free - 3 * 1024 * 1024
            chunk = b"\0" * (1 << 20)
            while left > 0:
                left -= f.write(chunk[: min(len(chunk), left)])
        server.target = B
        proc = run_update(root, config)
        assert proc.returncode == 1 and proc.stdout.startswith("failed"), proc.stdout + proc.stderr
        assert "No space left" in proc.stdout or "Errno 28" in proc.stdout, proc.stdout
        assert Layout(root).current_version() == A and releases_on_disk(root) == {A}
        assert server.results[-1]["result"] == "failed"
        assert B not in Layout(root).failed()  # the disk's fault, not the release's: tried again next time
        (root / "ballast").unlink()
    finally:
        subprocess.run(["umount", str(root)], check=True)


def test_two_updates_at_once_the_second_waits_its_turn(host: Path, server: UpdateServer) -> None:
    from agent.update.updater import _Lock

    shutil.rmtree(host / "state", ignore_errors=True)
    (host / "state").mkdir()
    config = write_config(host / "agent.conf", host, server.url, restart_command="false")
    server.target = B
    with _Lock(Layout(host).lock_path):  # the first update is in progress (the same flock it takes)
        proc = run_update(host, config)
    assert proc.returncode == 3 and "another update holds" in proc.stderr, proc.stdout + proc.stderr
    assert server.fetched == [] and Layout(host).current_version() == A and releases_on_disk(host) == {A}


def test_through_the_real_api_the_dashboard_sees_the_update_and_the_catalogue(
        tmp_path: Path, pristine: Path, releases: dict[str, Artifact]) -> None:
    """The updater against the real API process (gunicorn): policy, /updates/ and the result, end to end."""
    from tests.support.server import start_server

    repo = tmp_path / "repo"
    shutil.copytree(pristine, repo)
    with start_server(tmp_path / "server", updates_dir=str(repo)) as api:
        cid, token = api.add_client("web-1")
        admin = api.admin()
        r = admin.get(api.url + "/api/updates/policy", timeout=10)
        assert [rel["version"] for rel in r.json()["releases"]] == [B, A, OLD]
        r = admin.put(api.url + "/api/updates/policy", json={"channels": {"stable": {"version": B}}}, timeout=10)
        assert r.status_code == 200, r.text
        root = tmp_path / "host"
        config = write_config(tmp_path / "agent.conf", root, api.url, token=token)
        install_first(root, config, releases[A], repo / "metadata" / "root.json")
        sup = Supervisor(root, config).start()
        try:
            config = write_config(tmp_path / "agent.conf", root, api.url, token=token,
                                  restart_command=sup.restart_command)
            client = lambda: admin.get(f"{api.url}/api/clients/{cid}", timeout=10).json()  # noqa: E731
            wait_until(lambda: client()["agent_version"] == A, 30, "A's first report")
            proc = run_update(root, config)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            wait_until(lambda: client()["agent_version"] == B, 30, "B's reports")
            update = client()["update"]
            assert update["target"] == B
            assert update["last_attempt"]["version"] == B and update["last_attempt"]["result"] == "installed"
        finally:
            sup.stop()


def test_after_every_key_is_rotated_a_host_pinned_to_the_first_root_still_verifies_new_releases(
        tmp_path: Path, server: UpdateServer, host: Path, keydir: Path, work: Path,
        releases: dict[str, Artifact]) -> None:
    """`statusmon release rotate` for each role: the host walks the chain of root versions from its pinned v1."""
    rotated = work / "rotated-keys"
    shutil.rmtree(rotated, ignore_errors=True)
    shutil.copytree(keydir, rotated)
    cli = [sys.executable, "-m", "statusmon.cli", "release", "rotate", "--repo", str(server.repo), "--keys",
           str(rotated)]
    for role in ("targets", "snapshot", "timestamp", "root"):
        done = subprocess.run([*cli, role], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    Repository(server.repo, rotated).publish([releases[C]])
    assert json.loads((server.repo / "metadata" / "root.json").read_text())["signed"]["version"] == 5
    shutil.rmtree(host / "state", ignore_errors=True)
    config = load(str(write_config(host / "agent.conf", host, server.url)))
    assert json.loads(Layout(host).pinned_root.read_text())["signed"]["version"] == 1
    path = Updater(config)._download(C)  # refresh from root v1 through v5, then the target, all verified
    assert path.exists() and path.read_bytes() == releases[C].path.read_bytes()
    # and what the old (revoked) targets key signs is refused now
    old = Repository(server.repo, keydir)
    stale = old.targets()
    stale.signed.version += 1
    stale.signatures.clear()
    stale.sign(keys.signer(keydir, "targets"))
    old._write(stale, f"{stale.signed.version}.targets.json")
    Repository(server.repo, rotated)._sign_snapshot(stale.signed.version)
    shutil.rmtree(host / "state", ignore_errors=True)
    with pytest.raises(updater_module.Refused, match="UnsignedMetadata"):
        Updater(config)._download(C)
