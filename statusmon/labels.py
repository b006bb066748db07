"""Host labels (``key=value``, e.g. ``env=prod``, ``role=gpu``): the rules for keys and values, selectors.

One statement of what a label may be, read by the report contract (statusmon.report), the metadata
(statusmon.meta.labels), the API (``PATCH /api/clients/<id>``, ``GET /api/clients?label=k=v``), alert rule
selectors and the agent's config. It imports nothing of the project, so every component (the agent included)
can read it.

A key: 1-63 characters of lower-case letters, digits, ``_``, ``.``, ``-``, starting with a letter. A value:
1-63 characters of letters, digits, ``_``, ``.``, ``-``, ``:``, ``/``, starting with a letter or digit. At most
``MAX_LABELS`` labels per host. The characters are those that need no quoting in a URL, an INI file, a shell
or a Grafana variable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_LABELS = 16
MAX_KEY = 63
MAX_VALUE = 63

KEY_RE = re.compile(r"[a-z][a-z0-9_.-]{0,62}\Z")
VALUE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}\Z")

KEY_RULE = "a label key is 1-63 characters of a-z, 0-9, '_', '.', '-', starting with a letter"
VALUE_RULE = ("a label value is 1-63 characters of A-Z, a-z, 0-9, '_', '.', '-', ':', '/', starting with a letter "
              "or digit")


class InvalidLabels(ValueError):
    """Labels that break a rule; ``details`` maps each offending key (or "labels") to its messages."""

    def __init__(self, message: str, details: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.details = details or {"labels": [message]}


def key_ok(key: object) -> bool:
    return isinstance(key, str) and KEY_RE.match(key) is not None


def value_ok(value: object) -> bool:
    return isinstance(value, str) and VALUE_RE.match(value) is not None


def validate(labels: object, *, allow_null: bool = False, limit: int = MAX_LABELS) -> dict[str, str | None]:
    """``labels`` checked: a JSON object of key -> value (or null where ``allow_null``), at most ``limit``."""
    if not isinstance(labels, dict):
        raise InvalidLabels("labels must be a JSON object of key -> value")
    if len(labels) > limit:
        raise InvalidLabels(f"at most {limit} labels per host, got {len(labels)}")
    details: dict[str, list[str]] = {}
    for key, value in labels.items():
        if not key_ok(key):
            details[str(key)[:80]] = [KEY_RULE]
        elif not (value_ok(value) or (allow_null and value is None)):
            details[key] = [VALUE_RULE + (" (or null to remove it)" if allow_null else "")]
    if details:
        raise InvalidLabels("invalid labels: " + "; ".join(f"{k}: {v[0]}" for k, v in details.items()), details)
    return dict(labels)


def parse_pair(text: str) -> tuple[str, str]:
    """``"env=prod"`` -> ("env", "prod"); InvalidLabels if it is not one valid key=value."""
    key, sep, value = text.partition("=")
    if not sep or not key_ok(key) or not value_ok(value):
        raise InvalidLabels(f"{text[:140]!r} is not key=value ({KEY_RULE}; {VALUE_RULE})",
                            {"label": [f"{text[:140]!r} is not key=value"]})
    return key, value


def parse_selector(pairs: Iterable[str]) -> dict[str, str]:
    """Several ``key=value`` texts as one selector (every one must match); a key given twice is refused."""
    out: dict[str, str] = {}
    for text in pairs:
        key, value = parse_pair(text)
        if key in out and out[key] != value:
            raise InvalidLabels(f"label {key!r} is given twice with different values: nothing can match",
                                {"label": [f"{key} given twice"]})
        out[key] = value
    return out


def parse_list(text: str) -> dict[str, str]:
    """The agent config's form: ``"env=prod, role=gpu"`` (comma-separated pairs; empty means none)."""
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    labels = dict(parse_pair(p) for p in pairs)
    if len(pairs) != len(labels):
        raise InvalidLabels("a label key is given twice")
    if len(labels) > MAX_LABELS:
        raise InvalidLabels(f"at most {MAX_LABELS} labels per host, got {len(labels)}")
    return labels


def matches(labels: Mapping[str, str], selector: Mapping[str, str]) -> bool:
    """Every label of the selector is on the host with that value (an empty selector matches every host)."""
    return all(labels.get(k) == v for k, v in selector.items())


def effective(agent: Mapping[str, str], admin: Mapping[str, str]) -> dict[str, str]:
    """A host's labels: the agent's, with an admin's value winning where both name a key."""
    return {**agent, **admin}


def selector_text(selector: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
