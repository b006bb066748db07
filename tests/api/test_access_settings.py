"""The access settings reach what they govern: STATUSMON_SESSION_HOURS (cookie and server-side expiry),
STATUSMON_ALLOWED_ORIGINS (a browser's Origin on changes) and STATUSMON_TRUST_PROXY (whose address the login
limit counts: a spoofed X-Forwarded-For must not dodge it unless the proxy is trusted)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from statusmon.config import Settings
from tests.api.conftest import PASSWORD, make_api


def test_session_hours_set_the_cookie_lifetime_and_the_server_side_expiry(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    api = make_api(tmp_path, request, session_hours=3)
    before = time.time()
    r = api.http.post("/api/login", json={"password": PASSWORD})
    assert r.status_code == 200
    assert "Max-Age=10800" in r.headers["Set-Cookie"]
    assert before + 10800 - 5 <= r.json["expires_at"] <= time.time() + 10800 + 5


def test_session_hours_come_from_the_environment(tmp_path: Path) -> None:
    env = {"STATUSMON_DATA_DIR": str(tmp_path), "STATUSMON_SESSION_HOURS": "5",
           "STATUSMON_ALLOWED_ORIGINS": "https://mon.example, https://ops.example",
           "STATUSMON_TRUST_PROXY": "true"}
    s = Settings.from_env(env)
    assert (s.session_hours, s.allowed_origins, s.trust_proxy) == (
        5, ("https://mon.example", "https://ops.example"), True)


def test_allowed_origins_admit_those_origins_for_changes_and_no_others(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    api = make_api(tmp_path / "a", request, allowed_origins=("https://mon.example",)).login()
    ok = api.admin("POST", "/api/clients", json={"hostname": "a"}, headers={"Origin": "https://mon.example"})
    assert ok.status_code == 201
    bad = api.admin("POST", "/api/clients", json={"hostname": "b"}, headers={"Origin": "https://evil.example"})
    assert bad.status_code == 403
    plain = make_api(tmp_path / "b", request).login()  # without the setting the same origin is foreign
    r = plain.admin("POST", "/api/clients", json={"hostname": "a"}, headers={"Origin": "https://mon.example"})
    assert r.status_code == 403


def login_codes(api: object, forwarded: list[str]) -> list[int]:
    return [api.http.post("/api/login", json={"password": "wrong-one"},  # type: ignore[attr-defined]
                          headers={"X-Forwarded-For": f}).status_code for f in forwarded]


def test_an_untrusted_x_forwarded_for_does_not_dodge_the_login_limit(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    api = make_api(tmp_path, request, login_rate_per_minute=3)  # trust_proxy off (the default)
    codes = login_codes(api, [f"203.0.113.{i}" for i in range(8)])  # a new "address" each time
    assert codes[:3] == [401, 401, 401] and codes[-1] == 429


def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_address(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    api = make_api(tmp_path, request, login_rate_per_minute=3, trust_proxy=True)
    assert login_codes(api, [f"203.0.113.{i}" for i in range(8)]) == [401] * 8  # eight clients, one try each
    codes = login_codes(api, ["198.51.100.7, 10.0.0.1"] * 8)  # one client, the first address of the chain
    assert codes[:3] == [401, 401, 401] and codes[-1] == 429
