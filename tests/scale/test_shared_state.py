"""Shared state on a real redis-server, in one test process: the parts that let many processes act as one.

Each "process" here is its own RedisLink (its own connections), as two gunicorn workers would hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from api.live.broker import Subscription
from api.live.redisbroker import RedisBroker, decode, encode
from api.live.watched import SharedWatchers
from api.ratelimit import SharedRateLimiter
from statusmon.lease import RedisLease
from statusmon.shared import RedisLink
from tests.support.redisd import Redisd

pytestmark = pytest.mark.integration


def wait_for(cond: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_events_survive_the_wire_format_with_and_without_ids_and_overviews() -> None:
    events = [("c1", b'{"a":1}', b'{"o":1}'), (None, b"{}", None), ("\u00e9t\u00e9", b"x" * 70000, b"")]
    assert list(decode(encode(events))) == events


def test_a_sample_published_by_one_process_reaches_the_viewers_of_another(redisd: Redisd) -> None:
    a, b = RedisBroker(RedisLink(redisd.url)), RedisBroker(RedisLink(redisd.url))
    viewer_a, viewer_b = Subscription(), Subscription()
    a.subscribe(viewer_a)
    b.subscribe(viewer_b)
    a.start()
    b.start()
    wait_for(lambda: a.subscribed and b.subscribed)
    began = time.monotonic()
    a.publish("c1", b'{"type":"samples","n":1}')
    got_b = viewer_b.take(2.0)
    assert time.monotonic() - began < 1.0
    assert len(got_b) == 1 and b'"n":1' in got_b[0]
    got_a = viewer_a.take(2.0)  # the publisher's own viewers get it through Redis too
    assert len(got_a) == 1 and b'"n":1' in got_a[0]
    assert a.published == 1 and b.received == 1


def test_frames_a_process_derives_itself_stay_with_its_own_viewers(redisd: Redisd) -> None:
    a, b = RedisBroker(RedisLink(redisd.url)), RedisBroker(RedisLink(redisd.url))
    viewer_a, viewer_b = Subscription(), Subscription()
    a.subscribe(viewer_a)
    b.subscribe(viewer_b)
    a.start()
    b.start()
    wait_for(lambda: a.subscribed and b.subscribed)
    a.publish_here("c1", b'{"type":"status"}')
    assert viewer_a.take(2.0)
    assert viewer_b.take(0.3) == []


def test_with_redis_down_a_process_feeds_its_own_viewers_and_both_recover_when_it_returns(
        redisd: Redisd) -> None:
    link_a, link_b = RedisLink(redisd.url, retry_after=0.2), RedisLink(redisd.url, retry_after=0.2)
    changes: list[bool] = []
    link_b.on_change(changes.append)
    a, b = RedisBroker(link_a), RedisBroker(link_b)
    viewer_a, viewer_b = Subscription(), Subscription()
    a.subscribe(viewer_a)
    b.subscribe(viewer_b)
    a.start()
    b.start()
    wait_for(lambda: a.subscribed and b.subscribed)
    def state() -> str:
        return (f"changes={changes} up={link_a.up},{link_b.up} subscribed={a.subscribed},{b.subscribed} "
                f"a={a.stats()} b={b.stats()}")

    redisd.kill()
    # b's subscription saw the connection drop: the link marks itself down, then tells its listeners
    wait_for(lambda: link_b.up is False and changes[-1:] == [False])
    assert changes == [True, False], state()
    a.publish("c1", b'{"n":"during"}')
    got = viewer_a.take(3.0)
    assert got and b"during" in got[0] and link_a.up is False and a.local_only == 1, (got, state())
    assert viewer_b.take(0.3) == []  # missed: the degraded feed says so
    redisd.start()
    wait_for(lambda: a.subscribed and b.subscribed and changes[-1:] == [True], timeout=10)
    assert changes[-1] is True, state()
    a.publish("c1", b'{"n":"after"}')
    got = viewer_b.take(3.0)
    assert got and b"after" in got[0], (got, state())


def test_a_rate_limit_counts_across_processes(redisd: Redisd) -> None:
    a = SharedRateLimiter(RedisLink(redisd.url), "report", 60, burst=4)
    b = SharedRateLimiter(RedisLink(redisd.url), "report", 60, burst=4)
    results = [lim.check("c1")[0] for lim in (a, b, a, b, a, b)]
    assert results == [True, True, True, True, False, False]
    allowed, wait = b.check("c1")
    assert not allowed and wait >= 1
    assert a.check("c2")[0]  # another key has its own bucket


def test_a_rate_limit_falls_back_to_counting_per_process_while_redis_is_down(redisd: Redisd) -> None:
    a = SharedRateLimiter(RedisLink(redisd.url), "login", 60, burst=2)
    redisd.kill()
    assert [a.check("1.2.3.4")[0] for _ in range(3)] == [True, True, False]  # still limited, per process
    assert a.link.up is False


def test_a_host_watched_on_one_process_gets_the_fast_hint_on_the_other(redisd: Redisd) -> None:
    a, b = SharedWatchers(RedisLink(redisd.url)), SharedWatchers(RedisLink(redisd.url))
    assert not b.watched("c1")
    a.add(["c1"])
    b.refresh()
    assert b.watched("c1") and not b.watched("c2")
    assert b.everywhere() == ["c1"]
    a.remove(["c1"])
    assert a.snapshot() == {}  # its own count is gone; the shared entry ages out after TTL_SECONDS


def test_a_shared_watch_expires_when_its_process_stops_refreshing(redisd: Redisd,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SharedWatchers, "TTL_SECONDS", 0.5)
    a, b = SharedWatchers(RedisLink(redisd.url)), SharedWatchers(RedisLink(redisd.url))
    monkeypatch.setattr(a, "_ensure_started", lambda: None)  # a "dies": nobody refreshes its entries
    monkeypatch.setattr(b, "_ensure_started", lambda: None)
    a.add(["c1"])
    b.refresh()
    assert b.watched("c1")
    time.sleep(0.6)
    b.refresh()
    assert not b.watched("c1")


def test_one_of_two_holds_a_lease_and_the_other_takes_over_within_its_period(redisd: Redisd) -> None:
    first = RedisLease(RedisLink(redisd.url), "alerting", seconds=1.0)
    second = RedisLease(RedisLink(redisd.url), "alerting", seconds=1.0)
    assert first.acquire()
    assert not second.acquire()
    assert first.acquire()  # renewing
    assert first.holder() == first.owner
    began = time.monotonic()  # the first "dies": it stops renewing
    while not second.acquire():
        time.sleep(0.05)
    assert time.monotonic() - began < 1.2
    assert not first.acquire()  # it came back: it must not work beside the new holder


def test_a_released_lease_is_taken_at_the_next_try(redisd: Redisd) -> None:
    first = RedisLease(RedisLink(redisd.url), "rollup", seconds=30.0)
    second = RedisLease(RedisLink(redisd.url), "rollup", seconds=30.0)
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    first.release()  # not its lease any more: does nothing
    assert second.holder() == second.owner


def test_the_holder_stops_working_when_redis_is_gone_longer_than_its_lease(redisd: Redisd) -> None:
    lease = RedisLease(RedisLink(redisd.url, retry_after=0.0), "alerting", seconds=1.0)
    assert lease.acquire()
    redisd.kill()
    assert lease.acquire()  # its last renewal still holds
    time.sleep(0.85)
    assert not lease.acquire()  # a standby may have it by now


def test_a_down_redis_is_tried_once_per_retry_period_not_once_per_call(redisd: Redisd) -> None:
    link = RedisLink(redisd.url, retry_after=0.3)
    tries: list[int] = []

    def op(r: object) -> str:
        tries.append(1)
        return str(r.ping())  # type: ignore[attr-defined]

    assert link.run(op, lambda: "fallback") == "True" and link.up is True
    redisd.kill()
    assert link.run(op, lambda: "fallback") == "fallback" and link.up is False
    tried = len(tries)
    assert [link.run(op, lambda: "fallback") for _ in range(50)] == ["fallback"] * 50
    assert len(tries) == tried  # none of those 50 went to Redis
    redisd.start()
    time.sleep(0.35)
    assert link.run(op, lambda: "fallback") == "True" and link.up is True  # back by itself
