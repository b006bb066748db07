"""Reading the deployment files as Docker would: compose's environment interpolation and the Dockerfile's
ENV, ENTRYPOINT, CMD and HEALTHCHECK (JSON form only, which is all our Dockerfile uses)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "infra" / "docker" / "Dockerfile"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def read_env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


class MissingValue(ValueError):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error} and ${VAR?error}, recursively."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        have = name in env and (env[name] != "" or not op.startswith(":"))
        if have:
            return env[name]
        if op.endswith("?"):
            raise MissingValue(arg or f"{name} is required")
        if op.endswith("-"):
            return arg
        return ""

    return _VAR.sub(one, value)


def compose_model(env: dict[str, str]) -> dict[str, Any]:
    """docker-compose.yml with `<<` merges resolved (by PyYAML) and variables interpolated from ``env``."""
    return interpolate(yaml.safe_load(COMPOSE.read_text()), env)


def docker_compose() -> str | None:
    return shutil.which("docker-compose")


def compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    """``docker-compose --env-file F config`` with no other environment leaking into the interpolation."""
    exe = docker_compose()
    assert exe
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run(
        [exe, "--env-file", str(env_file), "-f", str(COMPOSE), "config"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def dockerfile_stages(path: Path = DOCKERFILE) -> list[dict[str, Any]]:
    """Per stage: base image, name, and the instructions (line continuations joined)."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    stages: list[dict[str, Any]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            assert m
            stages.append({"from": m.group(1), "name": m.group(2), "lines": []})
        elif stages:
            stages[-1]["lines"].append((word, rest))
    return stages


def instruction(stage: dict[str, Any], word: str) -> list[str]:
    return [rest for w, rest in stage["lines"] if w == word]


def exec_form(text: str) -> list[str]:
    value = json.loads(text)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), text
    return value


def env_of(stage: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rest in instruction(stage, "ENV"):
        for key, value in re.findall(r"(\w+)=(\S+)", rest):
            out[key] = value
    return out
