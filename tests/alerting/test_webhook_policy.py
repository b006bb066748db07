"""The webhook and SMTP host policy (statusmon.webhooks), case by case: no network, no receiver."""

from __future__ import annotations

import pytest

from statusmon.webhooks import WebhookNotAllowed, check_host, check_webhook_url, host_allowed, is_link_local

SLACK = ["hooks.slack.com"]
LOCAL = ["127.0.0.1", "localhost", "::1", "hooks.slack.com"]


def refused(url: object, allow: list[str], says: str) -> None:
    with pytest.raises(WebhookNotAllowed) as e:
        check_webhook_url(url, allow)  # type: ignore[arg-type]
    assert says in str(e.value)


def test_an_allowlisted_https_url_is_accepted_without_its_surrounding_blanks() -> None:
    assert check_webhook_url("  https://hooks.slack.com/services/T/B/x \n", SLACK) == "https://hooks.slack.com/services/T/B/x"
    assert check_webhook_url("https://HOOKS.example/x", ["Hooks.Example"]) == "https://HOOKS.example/x"


def test_the_length_limit_is_2048_characters() -> None:
    head = "https://hooks.slack.com/services/"
    assert check_webhook_url(head + "x" * (2048 - len(head)), SLACK)
    refused(head + "x" * (2049 - len(head)), SLACK, "a webhook URL is a string of at most 2048 characters")
    refused(None, SLACK, "a webhook URL is a string of at most 2048 characters")


@pytest.mark.parametrize("url", ["ftp://hooks.slack.com/x", "hooks.slack.com/x", "https:///x", "javascript:alert(1)"])
def test_only_http_urls_with_a_host_are_considered(url: str) -> None:
    refused(url, SLACK, "a webhook URL must be an https:// URL")


@pytest.mark.parametrize("url", ["https://user@hooks.slack.com/x", "https://:secret@hooks.slack.com/x",
                                 "https://user:secret@hooks.slack.com/x"])
def test_credentials_in_the_url_are_refused(url: str) -> None:
    refused(url, SLACK, "a webhook URL must not carry credentials")


@pytest.mark.parametrize("host", ["169.254.169.254", "[fe80::1]", "[::ffff:169.254.1.1]"])
def test_link_local_addresses_are_refused_even_when_allowlisted(host: str) -> None:
    refused(f"https://{host}/latest", [host.strip("[]")], "link-local addresses are never allowed")


def test_a_host_outside_the_allowlist_is_refused_naming_the_allowed_ones() -> None:
    refused("https://evil.example/x", ["hooks.slack.com", "A.example"],
            "evil.example is not an allowed webhook host (allowed: a.example, hooks.slack.com; "
            "extend with STATUSMON_WEBHOOK_ALLOW_HOSTS)")


def test_plain_http_only_to_a_loopback_host() -> None:
    refused("http://hooks.slack.com/services/x", LOCAL, "plain http is only allowed to a loopback host")
    refused("HTTP://hooks.slack.com/services/x", LOCAL, "plain http is only allowed to a loopback host")
    for url in ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]:9/hook"]:
        assert check_webhook_url(url, LOCAL) == url


def test_suffix_entries_match_strict_subdomains_only() -> None:
    azure = [".logic.azure.com"]
    assert host_allowed("prod-1.westeurope.logic.azure.com", azure)
    assert not host_allowed("logic.azure.com", azure)
    assert not host_allowed("evil.example", azure)
    assert not host_allowed("evillogic.azure.com", azure)


def test_a_trailing_dot_names_the_same_host() -> None:
    assert host_allowed("Hooks.Slack.Com.", SLACK)
    assert check_webhook_url("https://hooks.slack.com./services/x", SLACK)


def test_link_local_covers_ipv4_ipv6_and_ipv4_mapped_addresses_only() -> None:
    assert [is_link_local(h) for h in ["169.254.0.1", "fe80::1", "::ffff:169.254.1.1"]] == [True] * 3
    assert [is_link_local(h) for h in ["10.0.0.1", "::ffff:10.0.0.1", "::1", "hooks.slack.com"]] == [False] * 4


# -- check_host: the SMTP server's host name ----------------------------------------------------------------


def test_an_allowlisted_smtp_host_is_returned_trimmed_and_lowercased() -> None:
    assert check_host("\tSMTP.Example\n", ["smtp.example"]) == "smtp.example"
    assert check_host("MX.EXAMPLE", ["mx.example"]) == "mx.example"
    name = "a" * 253
    assert check_host(name, [name]) == name


@pytest.mark.parametrize("bad", [None, "", "   ", "a" * 254, "smtp.example:25", "smtp://smtp.example",
                                 "user@smtp.example", "smtp.example/x", "smtp example"])
def test_a_host_is_a_bare_name_or_address(bad: object) -> None:
    with pytest.raises(WebhookNotAllowed, match="a host is a name or an address, without scheme, port or path"):
        check_host(bad, ["smtp.example", "a" * 254, "smtp example"])  # type: ignore[arg-type]


def test_smtp_hosts_follow_the_same_allowlist_and_link_local_rules() -> None:
    with pytest.raises(WebhookNotAllowed, match="link-local addresses are never allowed"):
        check_host("169.254.169.254", ["169.254.169.254"])
    with pytest.raises(WebhookNotAllowed) as e:
        check_host("smtp.evil", ["smtp.example"])
    assert str(e.value) == "smtp.evil is not an allowed host (name it in STATUSMON_WEBHOOK_ALLOW_HOSTS)"
