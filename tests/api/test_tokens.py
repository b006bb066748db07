"""Token scope case by case: the token format, read-only API tokens (names, scope, revocation, last use) on a
real metadata DB, and the bearer header and response headers the access layer adds."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from statusmon.meta import tokens
from statusmon.meta.api_tokens import TOKEN_PREFIX, ApiTokens
from statusmon.meta.db import MetaDB
from tests.api.conftest import Api


@pytest.fixture
def api_tokens(tmp_path: Path) -> ApiTokens:
    return ApiTokens(MetaDB(tmp_path / "meta.db"))


def test_a_token_is_id_dot_secret_and_the_secret_is_checked_by_its_hash() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", tokens.new_id())
    secret = tokens.new_secret()
    assert len(secret) == 43 and secret != tokens.new_secret()  # 32 random bytes, base64url
    assert tokens.secret_matches(secret, tokens.hash_secret(secret))
    assert not tokens.secret_matches(secret + "x", tokens.hash_secret(secret))
    assert tokens.make_token("abc", "def") == "abc.def"
    assert tokens.split_token("abc.def.ghi") == ("abc", "def.ghi")


@pytest.mark.parametrize("token", ["abc", "abc.", ".def", "", "a." + "x" * 199])
def test_split_token_refuses_anything_but_id_dot_secret_up_to_200_characters(token: str) -> None:
    assert tokens.split_token(token) is None


def test_split_token_takes_200_characters() -> None:
    assert tokens.split_token("a." + "x" * 198) == ("a", "x" * 198)


def test_a_created_token_reads_only_and_authenticates_until_revoked(api_tokens: ApiTokens) -> None:
    before = int(time.time())
    token, secret = api_tokens.create("grafana")
    assert token.id.startswith(TOKEN_PREFIX) and secret.startswith(token.id + ".")
    assert (token.name, token.scope, token.last_used_at, token.revoked_at) == ("grafana", "read", None, None)
    assert before <= token.created_at <= time.time()
    assert api_tokens.authenticate(secret) == token
    assert api_tokens.authenticate(secret + "x") is None
    assert api_tokens.authenticate(token.id + ".wrong") is None
    assert api_tokens.revoke("grafana") is True
    assert api_tokens.revoke("grafana") is False  # already revoked: nothing to do
    assert api_tokens.authenticate(secret) is None
    got = api_tokens.get(token.id)
    assert got is not None and got.revoked_at is not None and before <= got.revoked_at <= time.time()


def test_a_token_is_revoked_by_id_too_and_listed_oldest_first(api_tokens: ApiTokens) -> None:
    a, _ = api_tokens.create("a")
    b, secret_b = api_tokens.create("b", scope="read")
    assert [t.name for t in api_tokens.list()] == ["a", "b"]
    assert api_tokens.revoke(b.id) is True
    assert api_tokens.authenticate(secret_b) is None
    assert api_tokens.get("smr_nope") is None
    assert api_tokens.get(a.id) == a


def test_an_agent_shaped_token_never_reaches_the_api_token_table(api_tokens: ApiTokens) -> None:
    token, secret = api_tokens.create("grafana")
    # The same secret under an id without the prefix (the shape of an agent token) is refused before any lookup.
    assert api_tokens.authenticate(token.id[len(TOKEN_PREFIX):] + secret[len(token.id):]) is None


@pytest.mark.parametrize("token", ["", "smr_nodot", "smr_abc.", "Bearer", "x" * 300])
def test_a_token_not_shaped_id_dot_secret_is_refused_without_error(api_tokens: ApiTokens, token: str) -> None:
    api_tokens.create("grafana")
    assert api_tokens.authenticate(token) is None


@pytest.mark.parametrize("name", ["", " lead", "-x", "a" * 65, "semi;colon", "new\nline"])
def test_bad_token_names_are_refused(api_tokens: ApiTokens, name: str) -> None:
    with pytest.raises(ValueError) as e:
        api_tokens.create(name)
    assert str(e.value) == "a token name is 1-64 letters, digits, spaces, '.', '_' or '-'"  # shown as is
    assert api_tokens.list() == []


def test_good_token_names_up_to_64_and_each_name_once(api_tokens: ApiTokens) -> None:
    for name in ("g", "Grafana 2.prod_x-y", "a" * 64):
        api_tokens.create(name)
    with pytest.raises(ValueError, match="exists already"):
        api_tokens.create("g")
    assert len(api_tokens.list()) == 3


def test_last_use_is_written_at_most_once_a_minute(api_tokens: ApiTokens) -> None:
    token, secret = api_tokens.create("grafana")
    api_tokens.authenticate(secret)
    first = api_tokens.get(token.id)
    assert first is not None and first.last_used_at is not None and abs(first.last_used_at - time.time()) <= 2
    # 59 s ago: not rewritten yet; 60 s ago: rewritten.
    api_tokens.db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (int(time.time()) - 59, token.id))
    api_tokens.authenticate(secret)
    got = api_tokens.get(token.id)
    assert got is not None and got.last_used_at is not None and time.time() - got.last_used_at >= 58
    api_tokens.db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (int(time.time()) - 60, token.id))
    api_tokens.authenticate(secret)
    got = api_tokens.get(token.id)
    assert got is not None and got.last_used_at is not None and abs(got.last_used_at - time.time()) <= 2


@pytest.mark.parametrize("header", ["bearer {t}", "BEARER {t}", "Bearer   {t}  "])
def test_the_bearer_scheme_is_case_insensitive_and_the_token_trimmed(sqlite_api: Api, header: str) -> None:
    _, secret = sqlite_api.state.api_tokens.create("grafana")
    r = sqlite_api.http.get("/api/clients", headers={"Authorization": header.format(t=secret)})
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("header", ["Token {t}", "Bearer{t}", "Basic {t}"])
def test_other_schemes_are_not_a_bearer_token(sqlite_api: Api, header: str) -> None:
    _, secret = sqlite_api.state.api_tokens.create("grafana")
    r = sqlite_api.http.get("/api/clients", headers={"Authorization": header.format(t=secret)})
    assert r.status_code == 401


def test_401_says_what_is_missing(sqlite_api: Api) -> None:
    r = sqlite_api.http.post("/api/report", json={})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="statusmon"'
    assert r.json["error"]["message"] == "missing or invalid agent token"
    assert sqlite_api.http.get("/api/settings").json["error"]["message"] == "log in first"
    assert sqlite_api.http.get("/api/clients").json["error"]["message"] == \
        "log in or send a read-only API token"


def test_every_response_carries_the_safety_headers_and_api_answers_are_not_cached(sqlite_api: Api) -> None:
    for path in ("/api/clients", "/healthz", "/"):
        r = sqlite_api.http.get(path)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "same-origin", path
        assert r.headers["X-Frame-Options"] == "DENY", path
    assert sqlite_api.http.get("/api/clients").headers["Cache-Control"] == "no-store"
    assert sqlite_api.http.get("/").headers.get("Cache-Control") != "no-store"
