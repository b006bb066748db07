"""Who gets in: a walk over the whole route table, sessions, CSRF, Origin, login rate limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.auth import access_of
from tests.api.conftest import PASSWORD, Api, make_api

# The only routes that answer without the admin session; each has its reason.
PUBLIC = {
    "health.healthz",  # the health check
    "session.login", "session.session_info",  # logging in, and asking whether one is
    "static_ui.page", "static_ui.assets",  # the dashboard's static files hold no data
    "updates.repository",  # the signed agent release repository: every file is signed, agents verify it
}
AGENT = {"report.report", "updates.agent_update", "updates.agent_update_result"}  # agent bearer token


def concrete(rule: str) -> str:
    """A URL for the rule: 1 for numeric parts, a word for the others."""
    return re.sub(r"<(?:([^:>]+):)?([^>]+)>",
                  lambda m: "1" if m.group(1) in ("int", "float") else "x" + m.group(2), rule)


def test_every_route_needs_credentials_except_the_public_few(sqlite_api: Api) -> None:
    app = sqlite_api.app
    seen_public, checked = set(), 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        level = access_of(view)
        if level == "public":
            seen_public.add(rule.endpoint)
            continue
        assert level in ("admin", "read", "agent"), rule
        if level == "agent":
            assert rule.endpoint in AGENT
        # A WebSocket route only matches an upgrade request (a plain GET is a 400 before any view runs).
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} if rule.websocket else {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            r = sqlite_api.http.open(concrete(rule.rule), method=method, json={}, headers=upgrade)
            assert r.status_code == 401, (rule.rule, method, r.status_code)
            assert r.json["error"]["code"] == "unauthorized"
            checked += 1
    assert seen_public == PUBLIC
    assert checked >= 10


# Exactly what a read-only API token (Grafana's) may use: reads of data, rules and alerts, and the Grafana
# datasource's query routes (POST, but they change nothing). Everything else answers it 403.
READ_TOKEN_ROUTES = {
    ("GET", "/api/alert-rules"), ("GET", "/api/alert-rules/<int:rule_id>"),
    ("GET", "/api/alerts"), ("GET", "/api/alerts/channels"), ("GET", "/api/silences"), ("GET", "/api/alerts/active"),
    ("GET", "/api/clients/<client_id>/thresholds"),
    ("GET", "/api/clients"), ("GET", "/api/clients/<client_id>"),
    ("GET", "/api/metrics/<client_id>"), ("GET", "/api/stats/<client_id>"),
    ("GET", "/api/grafana/"), ("GET", "/api/grafana/rows/<client_id>"),
    ("POST", "/api/grafana/metric-payload-options"), ("POST", "/api/grafana/metrics"),
    ("POST", "/api/grafana/query"), ("POST", "/api/grafana/tag-keys"), ("POST", "/api/grafana/tag-values"),
    ("POST", "/api/grafana/variable"),
}


def test_a_read_only_token_opens_exactly_the_pinned_routes_and_every_other_answers_403(sqlite_api: Api) -> None:
    app = sqlite_api.app
    _, secret = sqlite_api.state.api_tokens.create("grafana")
    auth = {"Authorization": f"Bearer {secret}"}
    opened, refused = set(), set()
    for rule in app.url_map.iter_rules():
        if access_of(app.view_functions[rule.endpoint]) in ("public",) or rule.endpoint in AGENT:
            continue
        upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} if rule.websocket else {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            r = sqlite_api.http.open(concrete(rule.rule), method=method, json={}, headers={**auth, **upgrade})
            if (method, rule.rule) in READ_TOKEN_ROUTES:
                assert r.status_code not in (401, 403), (method, rule.rule, r.status_code, r.json)
                opened.add((method, rule.rule))
            else:
                assert r.status_code == 403, (method, rule.rule, r.status_code)
                assert r.json["error"]["code"] == "forbidden"
                refused.add((method, rule.rule))
    assert opened == READ_TOKEN_ROUTES  # every pinned route exists and was tried
    assert ("DELETE", "/api/alert-rules/<int:rule_id>") in refused and len(refused) >= 12


def test_session_cookie_is_httponly_and_samesite_strict(sqlite_api: Api) -> None:
    r = sqlite_api.http.post("/api/login", json={"password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert PASSWORD not in cookie


def test_wrong_password_is_401(sqlite_api: Api) -> None:
    r = sqlite_api.http.post("/api/login", json={"password": "nope-nope"})
    assert r.status_code == 401 and "Set-Cookie" not in r.headers
    assert sqlite_api.http.get("/api/clients").status_code == 401


def test_changes_need_the_csrf_token(sqlite_api: Api) -> None:
    sqlite_api.login()
    assert sqlite_api.http.post("/api/clients", json={"hostname": "a"}).status_code == 403
    r = sqlite_api.http.post("/api/clients", json={"hostname": "a"}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert sqlite_api.admin("POST", "/api/clients", json={"hostname": "a"}).status_code == 201
    assert sqlite_api.http.get("/api/clients").status_code == 200  # reads need no token


def test_cross_origin_changes_are_refused(sqlite_api: Api) -> None:
    sqlite_api.login()
    r = sqlite_api.admin("POST", "/api/clients", json={"hostname": "a"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = sqlite_api.admin("POST", "/api/clients", json={"hostname": "b"}, headers={"Origin": "http://localhost"})
    assert r.status_code == 201


def test_logout_ends_the_session_on_the_server(sqlite_api: Api) -> None:
    sqlite_api.login()
    cookie = sqlite_api.http.get_cookie("statusmon_session")
    assert cookie is not None
    assert sqlite_api.admin("POST", "/api/logout").status_code == 200
    sqlite_api.http.set_cookie("statusmon_session", cookie.value)  # replaying the old cookie
    assert sqlite_api.http.get("/api/clients").status_code == 401


def test_a_new_password_ends_every_session(sqlite_api: Api) -> None:
    sqlite_api.login()
    sqlite_api.state.admin.set_password("another-password")
    assert sqlite_api.http.get("/api/clients").status_code == 401


@pytest.mark.parametrize("rate", [3, 7])
def test_login_burst_follows_the_setting(request: pytest.FixtureRequest, tmp_path: Path, rate: int) -> None:
    """STATUSMON_LOGIN_RATE_PER_MINUTE=N lets exactly N attempts through at once, then refuses the next."""
    api = make_api(tmp_path, request, login_rate_per_minute=rate)
    codes = [api.http.post("/api/login", json={"password": "wrong-one"}).status_code for _ in range(rate + 3)]
    assert codes == [401] * rate + [429] * 3
    r = api.http.post("/api/login", json={"password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_agent_tokens_do_not_open_admin_routes(sqlite_api: Api) -> None:
    _, token = sqlite_api.login().add_client()
    sqlite_api.http.delete_cookie("statusmon_session")
    for path in ("/api/clients", "/api/settings"):
        assert sqlite_api.http.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_read_only_tokens_read_but_never_change(sqlite_api: Api) -> None:
    client_id, _ = sqlite_api.login().add_client()
    _, secret = sqlite_api.state.api_tokens.create("grafana")
    sqlite_api.http.delete_cookie("statusmon_session")
    auth = {"Authorization": f"Bearer {secret}"}
    assert sqlite_api.http.get("/api/clients", headers=auth).status_code == 200
    assert sqlite_api.http.get(f"/api/stats/{client_id}", headers=auth).status_code == 200
    assert sqlite_api.http.get("/api/settings", headers=auth).status_code == 403
    assert sqlite_api.http.post("/api/clients", json={"hostname": "x"}, headers=auth).status_code == 403
    sqlite_api.state.api_tokens.revoke("grafana")
    assert sqlite_api.http.get("/api/clients", headers=auth).status_code == 401


def test_tokens_are_stored_only_as_hashes(sqlite_api: Api) -> None:
    _, token = sqlite_api.login().add_client()
    raw = Path(sqlite_api.state.settings.meta_db_path).read_bytes()
    wal = Path(str(sqlite_api.state.settings.meta_db_path) + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert token.split(".")[1].encode() not in raw
    assert PASSWORD.encode() not in raw
