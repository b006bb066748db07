"""Check a request against InfluxDB 2.x's own OpenAPI contract (shared/specs/influxdb2/oss.yml).

No InfluxDB 2.x runs here, so every request our code sends to a 2.x-only route is held to the spec instead:
the path and method exist, every query parameter is one the operation declares (and the required ones are
there), and the JSON body validates against the operation's request schema.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

SPEC = Path(__file__).resolve().parents[3] / "shared" / "specs" / "influxdb2" / "oss.yml"


@functools.cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text())


def _resolve(node: Any, depth: int = 0) -> Any:
    """Inline every ``$ref`` (the spec's schemas are not recursive along the paths we use)."""
    if depth > 40:
        return {}
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec()
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target, depth + 1)
        return {k: _resolve(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, depth + 1) for v in node]
    return node


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's path template matching ``path`` (without the server's /api/v2 prefix) and its operation."""
    for template, ops in spec()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in ops:
            return template, ops[method.lower()]
    raise AssertionError(f"{method} {path} is not in InfluxDB 2.x's API")


def check_request(method: str, full_path: str, params: dict[str, Any], body: Any) -> str:
    """Raise AssertionError naming what breaks the contract; return the matched path template."""
    server = spec()["servers"][0]["url"]  # "/api/v2"
    assert full_path.startswith(server + "/"), f"{full_path} is not under {server}"
    template, op = operation(method, full_path[len(server):])
    declared = {p["name"]: p for p in (_resolve(x) for x in op.get("parameters", [])) if p["in"] == "query"}
    unknown = set(params) - set(declared)
    assert not unknown, f"{method} {template}: undeclared query parameters {sorted(unknown)}"
    missing = [n for n, p in declared.items() if p.get("required") and n not in params]
    assert not missing, f"{method} {template}: missing required parameters {missing}"
    request_body = op.get("requestBody")
    if request_body is not None:
        schema = _resolve(request_body["content"]["application/json"]["schema"])
        errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
        assert not errors, f"{method} {template}: body {body!r} breaks the schema: {errors}"
    else:
        assert body is None, f"{method} {template} takes no body"
    return template
