"""The images install from the lock: every pip step in both Dockerfiles installs hash-checked requirements/ files
or statusmon itself with --no-deps, and those steps, run here in place of the image's pip (same commands, the
image's paths mapped to a temp dir), build the wheels and install them with no index at all.

No Docker engine runs here (see tests/deploy/test_compose.py): the base image's own pip and Python are not the ones
used, this host's are."""

from __future__ import annotations

import glob
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose import dockerfile_stages, instruction
from tests.install.lockfiles import ROOT

IMAGES = {  # Dockerfile -> the lock files its runtime installs
    "Dockerfile": ["requirements/server.txt", "requirements/alerting.txt"],
    "Dockerfile.agent": ["requirements/agent.txt"],
}


def pip_steps(stage: dict[str, Any]) -> list[list[str]]:
    return [argv for run in instruction(stage, "RUN") for part in run.split("&&")
            if (argv := shlex.split(part))[:1] == ["pip"]]


def copied(stage: dict[str, Any]) -> set[str]:
    return {source for rest in instruction(stage, "COPY") if "--from=" not in rest for source in rest.split()[:-1]}


@pytest.mark.parametrize("dockerfile", IMAGES)
def test_every_pip_step_installs_the_hashed_lock_or_statusmon_without_dependencies(dockerfile: str) -> None:
    stages = dockerfile_stages(ROOT / "infra" / "docker" / dockerfile)
    runtime = stages[-1]
    for stage in stages:
        for argv in pip_steps(stage):
            files = [argv[i + 1] for i, a in enumerate(argv) if a == "-r"]
            assert not any("[" in a for a in argv), f"an unlocked extra: {argv}"
            if files:
                assert "--require-hashes" in argv, argv
                assert all(Path(f).name in {"build.txt", *(Path(x).name for x in IMAGES[dockerfile])}
                           for f in files), argv
                assert all(any(Path(f).name == Path(c).name for c in copied(stage)) for f in files), argv
            else:
                assert "--no-deps" in argv, f"installs dependencies outside the lock: {argv}"
    runtime_files = [a for argv in pip_steps(runtime) for a in argv if a.endswith(".txt")]
    assert sorted(Path(f).name for f in runtime_files) == sorted(Path(f).name for f in IMAGES[dockerfile])


def mapped(arg: str, tmp: Path) -> str:
    for image_path in ("/tmp/wheels", "/wheels"):
        if arg == image_path or arg.startswith(image_path + "/"):
            arg = str(tmp / "wheels") + arg[len(image_path):]
    if arg.startswith("/tmp/requirements/"):
        arg = str(tmp / "src" / "requirements" / arg.rsplit("/", 1)[1])
    if "*" in arg:
        (arg,) = glob.glob(arg)
    return arg


@pytest.mark.integration
@pytest.mark.parametrize("dockerfile", IMAGES)
def test_the_images_pip_steps_build_and_install_from_the_lock_without_an_index(
    dockerfile: str, tmp_path: Path
) -> None:
    stages = dockerfile_stages(ROOT / "infra" / "docker" / dockerfile)
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.cfg", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("requirements", "statusmon", "api", "agent", "alerting"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "static"))
    for stage in stages:
        steps = pip_steps(stage)
        if not steps:
            continue  # the Node stage
        venv = tmp_path / f"venv-{stage['name'] or 'runtime'}"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        for argv in steps:
            # --no-cache-dir keeps the image small; here the pip cache keeps a rerun fast
            cmd = [str(venv / "bin" / "python"), "-m", "pip",
                   *(mapped(a, tmp_path) for a in argv[1:] if a != "--no-cache-dir")]
            done = subprocess.run(cmd, cwd=src, capture_output=True, text=True, timeout=600, check=False)
            assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    check = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    version = subprocess.run([str(venv / "bin" / "statusmon"), "--version"], capture_output=True, text=True,
                             check=True, cwd=tmp_path)
    assert version.stdout.startswith("statusmon ")
