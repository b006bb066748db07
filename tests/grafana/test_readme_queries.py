"""The README's ad-hoc queries: InfluxQL runs on a real influxd holding the test fleet; Flux passes Flux's own
parser and semantic checker (nothing runs Flux here, and the README says so)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.grafana.conftest import GrafanaEnv
from tests.support.require import require

ROOT = Path(__file__).resolve().parents[2]
FLUX_DIR = Path(__file__).resolve().parent / "flux"


def grafana_section() -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- section:grafana -->(.*?)<!-- /section:grafana -->", text, re.S)
    assert m, "the README has no grafana section"
    return m.group(1)


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", grafana_section(), re.S)


@pytest.mark.influx
def test_every_influxql_example_runs_and_returns_series(influx_env: GrafanaEnv) -> None:
    store = influx_env.app.extensions["statusmon"].store
    queries = [line for block in blocks("sql") for line in block.splitlines() if line.strip()]
    assert len(queries) >= 3
    for q in queries:
        resp = requests.get(store.url + "/query", params={"db": store.db, "q": q}, timeout=30)
        assert resp.status_code == 200, resp.text
        result = resp.json()["results"][0]
        assert "error" not in result and result.get("series"), (q, result)
        assert all(v is not None for s in result["series"] for row in s["values"] for v in row), q


def test_every_flux_example_passes_the_flux_parser_and_semantic_check() -> None:
    scripts = blocks("flux")
    assert len(scripts) >= 3
    node = shutil.which("node")
    require(node is not None, "node (Debian package nodejs)")
    require(
        (FLUX_DIR / "node_modules" / "@influxdata" / "flux-lsp-browser").is_dir(),
        "the Flux parser (npm --prefix tests/grafana/flux ci)",
    )
    assert node
    out = subprocess.run(
        [node, str(FLUX_DIR / "check.mjs")],
        input=json.dumps(scripts + ["from(bucket: )"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results[-1] == {"syntax": False, "semantic": False}  # the checker does refuse bad Flux
    for script, r in zip(scripts, results, strict=False):
        assert r == {"syntax": True, "semantic": True}, script
