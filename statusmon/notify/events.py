"""Notification events: what the outbox stores and every transport receives, plus their human wording.

An event is a plain JSON-able dict (it is stored in the outbox and posted as is by the generic webhook):

    {"kind": "firing" | "resolved" | "reminder" | "unsilenced" | "test", "alert": "metric" | "offline",
     "client_id", "hostname", "metric_type", "mount", "gpu", "value", "threshold", "direction",
     "duration_sec", "unit", "since", "at", "link", "rule"}

``unsilenced``: the silence that muted a firing alert ended (expired or ended early) and it still fires; ``at``
is then the wall-clock time at which the worker saw the silence end.

A grouped event (``group_event``: many alerts changed state in one cycle, one message per channel) is

    {"kind": "group", "alert": "group", "count", "counts": {"offline": n, "firing": n...}, "hostnames": [every host],
     "events": [the first GROUP_LISTED events], "at", "link"}
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from statusmon.alerts.machine import Transition
from statusmon.alerts.rules import Rule
from statusmon.metrics import ALERT_HEADLINES, ALERT_METRIC_TYPES, metric

# The subject of a metric alert's headline, per metric_type: the catalogue's wording.
LABELS = ALERT_HEADLINES


def unit_of(metric_type: str) -> str:
    family, field = ALERT_METRIC_TYPES[metric_type]
    return metric(field, family).unit


def client_link(public_url: str, client_id: str) -> str | None:
    return f"{public_url.rstrip('/')}/client/{client_id}" if public_url else None


def metric_event(transition: Transition, rule: Rule, client_id: str, hostname: str, series_key: str,
                 public_url: str) -> dict[str, Any]:
    family = rule.family
    return {
        "kind": transition.kind, "alert": "metric", "client_id": client_id, "hostname": hostname,
        "metric_type": rule.metric_type,
        "mount": series_key if family == "disk" else None,
        "gpu": int(series_key) if family == "gpu" and series_key.isdigit() else None,
        "value": transition.value, "threshold": rule.threshold, "direction": rule.direction,
        "duration_sec": rule.duration_sec, "unit": unit_of(rule.metric_type),
        "since": transition.since, "at": transition.at, "link": client_link(public_url, client_id),
        "rule": rule.key,
    }


def offline_event(transition: Transition, client_id: str, hostname: str, timeout: float,
                  public_url: str) -> dict[str, Any]:
    return {
        "kind": transition.kind, "alert": "offline", "client_id": client_id, "hostname": hostname,
        "metric_type": "offline", "mount": None, "gpu": None, "value": None, "threshold": None,
        "direction": None, "duration_sec": int(timeout), "unit": "seconds", "since": transition.since,
        "at": transition.at, "link": client_link(public_url, client_id), "rule": "offline",
    }


def test_event(public_url: str, now: float | None = None) -> dict[str, Any]:
    return {"kind": "test", "alert": "test", "client_id": None, "hostname": None, "metric_type": None,
            "mount": None, "gpu": None, "value": None, "threshold": None, "direction": None,
            "duration_sec": None, "unit": None, "since": None, "at": now if now is not None else time.time(),
            "link": public_url or None, "rule": None}


GROUP_LISTED = 5  # the alerts a grouped message names; the rest are counted


def group_event(events: Sequence[dict[str, Any]], at: float, public_url: str = "") -> dict[str, Any]:
    """One event standing for ``events`` (all of one cycle, for one channel), in their order."""
    counts = Counter(title(e).lower() for e in events)  # {"offline": 300, "back online": 2}
    return {"kind": "group", "alert": "group", "count": len(events), "counts": dict(counts),
            "hostnames": sorted({e["hostname"] for e in events if e.get("hostname")}),
            "events": list(events[:GROUP_LISTED]), "at": at, "link": public_url or None,
            "client_id": None, "hostname": None, "rule": None}


def update_event(result: str, client_id: str, hostname: str, version: str, previous: str | None, detail: str,
                 public_url: str, now: float | None = None) -> dict[str, Any]:
    """A failed agent update (rolled back, refused, or failed to install): always a one-off "firing" event."""
    return {"kind": "firing", "alert": "update", "client_id": client_id, "hostname": hostname,
            "metric_type": "update", "mount": None, "gpu": None, "value": None, "threshold": None,
            "direction": None, "duration_sec": None, "unit": None, "since": None,
            "at": now if now is not None else time.time(), "link": client_link(public_url, client_id),
            "rule": "update", "result": result, "version": version, "previous": previous, "detail": detail}


UPDATE_WORDS = {"rolled_back": "was rolled back", "refused": "was refused", "failed": "failed to install"}


# -- wording -----------------------------------------------------------------------------------------------

def label(event: dict[str, Any]) -> str:
    key = event.get("mount") if event.get("mount") is not None else event.get("gpu")
    return LABELS.get(event["metric_type"], event["metric_type"]).format(key=key)


def format_value(value: float | None, unit: str | None) -> str:
    if value is None:
        return "?"
    if unit == "percent":
        return f"{value:.1f} %"
    if unit == "celsius":
        return f"{value:.0f} °C"
    if unit == "bytes_per_second":
        return format_value(value, "bytes") + "/s"
    if unit == "load":
        return f"{value:.2f}"
    if unit == "bytes":
        size = float(value)
        for suffix in ("B", "KB", "MB", "GB", "TB"):
            if abs(size) < 1000 or suffix == "TB":
                return f"{size:.0f} {suffix}" if suffix == "B" else f"{size:.1f} {suffix}"
            size /= 1000
    return f"{value:g}"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, rest = divmod(s, 60)
        return f"{m} min" + (f" {rest} s" if rest else "")
    if s < 86400:
        h, rest = divmod(s, 3600)
        return f"{h} h" + (f" {rest // 60} min" if rest // 60 else "")
    d, rest = divmod(s, 86400)
    return f"{d} d" + (f" {rest // 3600} h" if rest // 3600 else "")


def headline(event: dict[str, Any]) -> str:
    """One plain-text line saying what happened (transports add their own markup)."""
    kind, host = event["kind"], event.get("hostname")
    if kind == "group":
        parts = ", ".join(f"{n} {k}" for k, n in event["counts"].items())
        return f"{event['count']} alerts changed state at once ({parts})"
    if kind == "test":
        return "Test message from Status Monitor: notifications reach this channel."
    elapsed = (event["at"] - event["since"]) if event.get("since") is not None else None
    if event["alert"] == "update":
        what = UPDATE_WORDS.get(event["result"], event["result"])
        back = f"; still on {event['previous']}" if event.get("previous") else ""
        return f"{host}: the agent update to {event['version']} {what}{back} ({event['detail']})"
    if event["alert"] == "offline":
        if kind == "resolved":
            return f"{host} is back online after {format_duration(elapsed)} without reports"
        if kind == "unsilenced":
            return f"{host} is still offline ({format_duration(elapsed)} without reports); its silence ended"
        return (f"{host} is offline: no report for {format_duration(elapsed)} "
                f"(timeout {format_duration(event['duration_sec'])})")
    what, unit = label(event), event.get("unit")
    value, threshold = format_value(event["value"], unit), format_value(event["threshold"], unit)
    if kind == "resolved":
        return f"{host}: {what} is back to {value} (threshold {threshold}) after {format_duration(elapsed)}"
    held = f"for {format_duration(elapsed)}"
    prefix = "still " if kind in ("reminder", "unsilenced") else ""
    ended = "; its silence ended" if kind == "unsilenced" else ""
    return f"{host}: {what} is {prefix}{event['direction']} {threshold} {held} (now {value}){ended}"


def title(event: dict[str, Any]) -> str:
    """A short upper-case title: FIRING, OFFLINE, BACK ONLINE, 300 ALERTS..."""
    kind = event["kind"]
    if kind == "group":
        return f"{event['count']} ALERTS"
    if event.get("alert") == "update":
        return "UPDATE FAILED"
    if event.get("alert") == "offline":
        return {"firing": "OFFLINE", "reminder": "STILL OFFLINE", "resolved": "BACK ONLINE",
                "unsilenced": "SILENCE ENDED"}[kind]
    return {"firing": "FIRING", "reminder": "STILL FIRING", "resolved": "RESOLVED", "test": "TEST",
            "unsilenced": "SILENCE ENDED"}[kind]


def severity(event: dict[str, Any]) -> str:
    """"bad" (something fires), "warn" (still firing), "good" (resolved, a test) for colours and priorities."""
    kind = event["kind"]
    if kind == "group":
        counts = event["counts"]
        if counts.get("firing") or counts.get("offline") or counts.get("silence ended"):
            return "bad"
        return "warn" if any(k.startswith("still") for k in counts) else "good"
    return {"firing": "bad", "reminder": "warn", "unsilenced": "bad"}.get(kind, "good")


def lines(event: dict[str, Any]) -> list[str]:
    """The message's lines after its headline: a grouped event names its first alerts and counts the rest."""
    if event["kind"] != "group":
        return []
    out = [f"{title(e)}: {headline(e)}" for e in event["events"]]
    rest = event["count"] - len(event["events"])
    if rest > 0:
        out.append(f"… and {rest} more")
    return out


def text(event: dict[str, Any]) -> str:
    """The whole message as plain text: the headline, then the listed alerts one per line."""
    return "\n".join([headline(event), *lines(event)])
