"""The channel registry: each channel said once, and what is derived from it (settings, masking, the API list)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.schemas_settings import SettingsSchema
from statusmon.meta.settings import BY_KEY, SECRET_KEYS, URL_KEYS, public_view
from statusmon.notify import CHANNELS, HttpClient, build, channel, configured_urls
from statusmon.notify.slack import SlackTransport
from statusmon.notify.webhook import WebhookTransport
from tests.api.conftest import Api, make_api

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"


@pytest.fixture
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request)
    yield a.login()
    a.state.store.close()


def test_each_channel_has_one_name_one_setting_and_its_transport() -> None:
    assert [(c.name, c.setting, c.transport) for c in CHANNELS] == [
        ("slack", "slack_webhook_url", SlackTransport), ("webhook", "webhook_url", WebhookTransport)]
    assert len({c.name for c in CHANNELS}) == len({c.setting for c in CHANNELS}) == len(CHANNELS)
    assert all(c.title for c in CHANNELS)
    assert channel("webhook").title == "Webhook"
    with pytest.raises(KeyError):
        channel("carrier-pigeon")


def test_build_gives_the_channels_transport_posting_to_the_url() -> None:
    http = HttpClient(["hooks.slack.com"])
    for c in CHANNELS:
        t = build(c.name, SLACK, http)
        assert isinstance(t, c.transport) and t.name == c.name  # type: ignore[arg-type]
    http.close()


def test_configured_urls_are_read_from_each_channels_setting() -> None:
    assert configured_urls({"slack_webhook_url": SLACK, "webhook_url": None}) == {"slack": SLACK}
    assert configured_urls({"slack_webhook_url": "", "webhook_url": "https://x.example/h"}) == {
        "webhook": "https://x.example/h"}


def test_every_channel_setting_is_a_url_setting_masked_when_secret() -> None:
    for c in CHANNELS:
        s = BY_KEY[c.setting]
        assert s.kind == "url" and s.default is None and s.description == c.description
        assert c.setting in URL_KEYS and (c.setting in SECRET_KEYS) == c.secret
        assert c.setting in SettingsSchema(allow_hosts=()).fields
    view = public_view({**{c.setting: SLACK for c in CHANNELS}})
    for c in CHANNELS:
        assert view[c.setting] == "https://hooks.slack.com/services/T000/****" and view[f"{c.setting}_set"]


def test_the_api_lists_every_channel_of_the_registry_with_its_title(api: Api) -> None:
    assert api.admin("POST", "/api/settings", json={"slack_webhook_url": SLACK}).status_code == 200
    listed = api.http.get("/api/alerts/channels").json["channels"]
    assert [(c["name"], c["title"], c["setting"], c["configured"]) for c in listed] == [
        (c.name, c.title, c.setting, c.name == "slack") for c in CHANNELS]
    assert "XXXXSECRETXXXX" not in str(listed)
    assert api.admin("POST", "/api/alerts/channels/carrier-pigeon/enable").status_code == 404
    r = api.admin("POST", "/api/alerts/test", json={"channel": "carrier-pigeon"})
    assert r.status_code == 422 and r.json["error"]["details"] == {"channel": ["one of slack, webhook"]}
    r = api.admin("POST", "/api/alerts/test", json={"channel": "webhook"})
    assert r.status_code == 422 and r.json["error"]["message"] == "no webhook_url is set"
