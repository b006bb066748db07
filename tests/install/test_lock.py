"""The lock (requirements/*.txt) is what setup.cfg asks for today: offline, fast, part of every CI run.

When setup.cfg's dependencies change and the lock does not, these fail with what to run (infra/lock.sh)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.install.lockfiles import EXTRAS, LOCK_DIR, LOCK_FILES, ROOT, Pin, lockstamp, read_lock

STAMP = lockstamp()
LOCKS = {name: read_lock(LOCK_DIR / f"{name}.txt") for name in LOCK_FILES}
SERVER_ONLY = {"flask", "gunicorn", "gevent", "werkzeug", "flask-sock", "marshmallow", "greenlet"}


def pins_of(name: str, lock: list[Pin]) -> list[Pin]:
    return [p for p in lock if p.name == canonicalize_name(name)]


@pytest.mark.parametrize("lock", LOCK_FILES)
def test_every_lock_file_was_generated_from_this_setup_cfg(lock: str) -> None:
    carried = STAMP.stamp_of((LOCK_DIR / f"{lock}.txt").read_text())
    assert carried == STAMP.stamp(), (
        f"requirements/{lock}.txt was generated from other dependencies than setup.cfg (or pyproject.toml's "
        "build requirements) now lists: setup.cfg changed, run infra/lock.sh and commit requirements/"
    )


def requirements_of(lock: str) -> list[Requirement]:
    extras = STAMP.extras()
    if lock == "dev":
        wanted = [r for extra in (*EXTRAS, "dev") for r in extras[extra]]
    elif lock == "build":
        wanted = STAMP.build_requires()
    else:
        wanted = extras[lock]
    return [Requirement(r) for r in wanted + STAMP.install_requires()]


@pytest.mark.parametrize("lock", LOCK_FILES)
def test_every_direct_requirement_is_pinned_in_its_lock_at_an_allowed_version(lock: str) -> None:
    for req in requirements_of(lock):
        pins = pins_of(req.name, LOCKS[lock])
        assert pins, f"{req} is not in requirements/{lock}.txt: run infra/lock.sh"
        for pin in pins:  # one per environment marker when the resolution forks (e.g. per Python version)
            assert req.specifier.contains(pin.version, prereleases=True), (
                f"requirements/{lock}.txt pins {pin.name}=={pin.version}, outside {req}: run infra/lock.sh"
            )


@pytest.mark.parametrize("extra", EXTRAS)
def test_each_extra_lock_shares_the_dev_locks_versions_so_they_install_together(extra: str) -> None:
    dev = {(p.name, p.version): p for p in LOCKS["dev"]}
    for pin in LOCKS[extra]:  # the markers may differ (dev pulls greenlet everywhere, the server on CPython)
        same = dev.get((pin.name, pin.version))
        assert same is not None, f"{extra}.txt pins {pin.name}=={pin.version}, dev.txt does not: run infra/lock.sh"
        assert set(same.hashes) == set(pin.hashes), pin.name


def test_the_server_lock_holds_what_the_gevent_worker_imports() -> None:
    # gunicorn 27 imports `packaging` for its gevent worker and declares it only under its `gevent` extra: the
    # server once died at start ("class uri 'gevent' invalid or not found") when setup.cfg asked for gunicorn.
    assert any(Requirement(r).name == "gunicorn" and "gevent" in Requirement(r).extras
               for r in STAMP.extras()["server"])
    for name in ("gunicorn", "gevent", "greenlet", "packaging", "flask-sock", "simple-websocket", "werkzeug"):
        assert pins_of(name, LOCKS["server"]), name


def test_the_agent_lock_pulls_no_web_server() -> None:
    assert not {p.name for p in LOCKS["agent"]} & SERVER_ONLY


def test_lock_sh_resolves_for_the_oldest_python_setup_cfg_allows() -> None:
    floor = re.search(r"^PYTHON_FLOOR=(\S+)", (ROOT / "infra" / "lock.sh").read_text(), re.M)
    assert floor is not None
    assert STAMP.python_requires() == f">={floor.group(1)}"


def test_the_stamp_changes_with_the_dependencies_and_not_with_comments(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    text = (ROOT / "setup.cfg").read_text()
    (tmp_path / "setup.cfg").write_text(text)
    before = STAMP.stamp(tmp_path)
    assert before == STAMP.stamp()
    (tmp_path / "setup.cfg").write_text(text.replace("[options.extras_require]\n",
                                                     "[options.extras_require]\n# a new comment\n"))
    assert STAMP.stamp(tmp_path) == before
    (tmp_path / "setup.cfg").write_text(text.replace("schedule>=1.2", "schedule>=1.3"))
    assert STAMP.stamp(tmp_path) != before
    (tmp_path / "setup.cfg").write_text(text.replace("python_requires = >=3.10", "python_requires = >=3.11"))
    assert STAMP.stamp(tmp_path) != before
    (tmp_path / "setup.cfg").write_text(text)
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text().replace("\"wheel\"", ""))
    assert STAMP.stamp(tmp_path) != before
