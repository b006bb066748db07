"""The channel registry: each channel said once, and what is derived from it (settings, masking, the API list)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.schemas_settings import SettingsSchema
from statusmon.meta.settings import BY_KEY, SECRET_KEYS, URL_KEYS, public_view
from statusmon.notify import CHANNELS, HttpClient, build, channel, configured
from tests.api.conftest import META_PARAMS, Api, make_api

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"


@pytest.fixture(params=META_PARAMS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request, request.param)
    yield a.login()
    a.state.store.close()


def test_each_channel_has_one_name_its_settings_and_its_transport() -> None:
    assert [(c.name, c.setting) for c in CHANNELS] == [
        ("slack", "slack_webhook_url"), ("discord", "discord_webhook_url"), ("teams", "teams_webhook_url"),
        ("telegram", "telegram_bot_token"), ("email", "email_smtp_host"), ("ntfy", "ntfy_topic"),
        ("gotify", "gotify_server"), ("pagerduty", "pagerduty_routing_key"), ("webhook", "webhook_url")]
    for c in CHANNELS:
        assert c.transport.__module__ == f"statusmon.notify.{c.name}"  # one file per transport, named for it
    settings = [f.setting for c in CHANNELS for f in c.fields]
    assert len(set(settings)) == len(settings) and len({c.name for c in CHANNELS}) == len(CHANNELS)
    assert all(c.title for c in CHANNELS)
    # Hosted services bring their fixed hosts; self-hosted ones (SMTP, Gotify) need the admin to name them.
    assert channel("email").hosts == channel("gotify").hosts == channel("webhook").hosts == ()
    assert channel("telegram").hosts == ("api.telegram.org",) and channel("pagerduty").groups is False
    assert channel("webhook").title == "Webhook"
    with pytest.raises(KeyError):
        channel("carrier-pigeon")


def test_build_gives_the_channels_transport() -> None:
    http = HttpClient(["hooks.slack.com"])
    for c in CHANNELS:
        t = build(c.name, {f.name: f.default or "x" for f in c.fields}, http)
        assert isinstance(t, c.transport) and t.name == c.name  # type: ignore[arg-type]
    http.close()


def test_a_channel_is_configured_when_its_required_settings_are_set() -> None:
    assert configured({"slack_webhook_url": SLACK, "webhook_url": None}) == {"slack": {"url": SLACK}}
    assert configured({"slack_webhook_url": "", "webhook_url": "https://x.example/h"}) == {
        "webhook": {"url": "https://x.example/h"}}
    assert configured({"telegram_bot_token": "1:A"}) == {}  # no chat id yet
    assert configured({"telegram_bot_token": "1:A", "telegram_chat_id": "42"}) == {
        "telegram": {"bot_token": "1:A", "chat_id": "42", "api_url": "https://api.telegram.org"}}


def test_every_channel_setting_is_in_the_settings_table_masked_when_secret() -> None:
    for c in CHANNELS:
        for f in c.fields:
            s = BY_KEY[f.setting]
            assert (s.kind, s.default, s.description, s.hosts) == (f.kind, f.default, f.description, c.hosts)
            assert (f.setting in URL_KEYS) == (f.kind == "url") and (f.setting in SECRET_KEYS) == f.secret
            assert f.setting in SettingsSchema(allow_hosts=()).fields
    view = public_view({"slack_webhook_url": SLACK, "telegram_bot_token": "123:SECRETTOKEN",
                        "email_password": "hunter2", "email_username": "ops"})
    assert view["slack_webhook_url"] == "https://hooks.slack.com/services/T000/****"
    assert view["telegram_bot_token"] == view["email_password"] == "****"
    assert view["telegram_bot_token_set"] and view["email_password_set"] and not view["gotify_token_set"]
    assert view["email_username"] == "ops"  # not a secret


def test_the_api_lists_every_channel_of_the_registry_with_its_title(api: Api) -> None:
    assert api.admin("POST", "/api/settings", json={"slack_webhook_url": SLACK}).status_code == 200
    listed = api.http.get("/api/alerts/channels").json["channels"]
    assert [(c["name"], c["title"], c["setting"], c["configured"], c["state"]) for c in listed] == [
        (c.name, c.title, c.setting, c.name == "slack", "working" if c.name == "slack" else "unconfigured")
        for c in CHANNELS]
    assert "XXXXSECRETXXXX" not in str(listed)
    telegram = next(c for c in listed if c["name"] == "telegram")
    assert [(f["setting"], f["kind"], f["secret"], f["required"]) for f in telegram["fields"]] == [
        ("telegram_bot_token", "text", True, True), ("telegram_chat_id", "text", False, True),
        ("telegram_api_url", "url", False, False)]
    assert api.admin("POST", "/api/alerts/channels/carrier-pigeon/enable").status_code == 404
    r = api.admin("POST", "/api/alerts/test", json={"channel": "carrier-pigeon"})
    assert r.status_code == 422 and r.json["error"]["details"] == {
        "channel": ["one of " + ", ".join(c.name for c in CHANNELS)]}
    r = api.admin("POST", "/api/alerts/test", json={"channel": "webhook"})
    assert r.status_code == 422 and r.json["error"]["message"] == "no webhook_url is set"


def test_alert_channels_names_known_channels_or_null(api: Api) -> None:
    r = api.admin("POST", "/api/settings", json={"alert_channels": ["slack", "carrier-pigeon"]})
    assert r.status_code == 422 and "alert_channels" in r.json["error"]["details"]
    assert api.http.get("/api/settings").json["alert_channels"] is None  # nothing was written
    r = api.admin("POST", "/api/settings", json={"alert_channels": ["slack", "pagerduty"]})
    assert r.status_code == 200 and r.json["alert_channels"] == ["slack", "pagerduty"]
    assert api.admin("POST", "/api/settings", json={"alert_channels": None}).json["alert_channels"] is None


def test_a_self_hosted_smtp_host_must_be_allowlisted(api: Api) -> None:
    r = api.admin("POST", "/api/settings", json={"email_smtp_host": "smtp.example.org", "email_to": "a@b.c"})
    assert r.status_code == 422 and list(r.json["error"]["details"]) == ["email_smtp_host"]
    assert api.http.get("/api/settings").json["email_to"] is None
