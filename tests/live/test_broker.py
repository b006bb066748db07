"""The live feed's pure parts: bounded queues, fan-out, watchers, presence diff and message parsing."""

from __future__ import annotations

import pytest

from api.live import frames, presence
from api.live.broker import LocalBroker, Subscription, Watchers
from statusmon.meta.clients import Client


def test_it_queues_frames_in_order_and_hands_them_all_out_at_once() -> None:
    sub = Subscription(max_frames=10)
    assert sub.offer(b"a") and sub.offer(b"b")
    assert sub.take(0) == [b"a", b"b"]
    assert sub.take(0) == []


def test_it_closes_a_subscription_that_overflows_by_count_and_calls_its_hook() -> None:
    calls: list[int] = []
    sub = Subscription(max_frames=2)
    sub.on_overflow = lambda: calls.append(1)
    assert sub.offer(b"a") and sub.offer(b"b")
    assert not sub.offer(b"c")
    assert sub.closed and sub.overflowed and calls == [1]
    assert sub.take(0) == []  # what was queued is dropped with it
    assert not sub.offer(b"d")
    assert calls == [1]


def test_it_closes_a_subscription_that_overflows_by_bytes() -> None:
    sub = Subscription(max_frames=100, max_bytes=10)
    assert sub.offer(b"12345")
    assert not sub.offer(b"123456")
    assert sub.overflowed


def test_the_broker_drops_only_the_slow_subscriber_and_counts_it() -> None:
    broker = LocalBroker()
    fast, slow = Subscription(max_frames=3), Subscription(max_frames=3)
    broker.subscribe(fast)
    broker.subscribe(slow)
    for i in range(10):
        broker.publish("c1", f"f{i}".encode())
        broker.flush()
        if i % 2 == 0:
            fast.take(0)
    assert broker.dropped_total == 1
    assert broker.subscriptions() == [fast]


def test_a_narrowed_subscription_gets_its_clients_and_client_less_frames_only() -> None:
    broker = LocalBroker()
    sub = Subscription()
    sub.clients = frozenset({"a"})
    broker.subscribe(sub)
    broker.publish("a", b'"for-a"')
    broker.publish("b", b'"for-b"')
    broker.publish(None, b'"for-all"')
    broker.flush()
    assert sub.take(0) == [frames.wire(b'{"type":"batch","frames":["for-a","for-all"]}')]


def test_publishing_only_queues_and_a_flush_sends_one_message_per_viewer_for_the_whole_window() -> None:
    broker = LocalBroker()
    overview, other_overview, detail, nobody = Subscription(), Subscription(), Subscription(), Subscription()
    detail.clients = frozenset({"a"})
    nobody.clients = frozenset({"z"})
    for sub in (overview, other_overview, detail, nobody):
        broker.subscribe(sub)
    broker.publish("a", b'{"n":1}', b'{"s":1}')
    broker.publish("b", b'{"n":2}', b'{"s":2}')
    assert len(overview) == len(detail) == 0  # nothing is delivered from the publisher's call
    broker.flush()
    (msg,) = overview.take(0)
    assert msg == frames.wire(b'{"type":"batch","frames":[{"s":1},{"s":2}]}')
    assert other_overview.take(0)[0] is msg  # encoded once, shared
    assert detail.take(0) == [frames.wire(b'{"n":1}')]  # a lone frame goes out as is
    assert nobody.take(0) == []
    broker.flush()
    assert overview.take(0) == []


def test_publishing_without_viewers_keeps_nothing() -> None:
    broker = LocalBroker()
    broker.publish("a", b"{}")
    sub = Subscription()
    broker.subscribe(sub)
    broker.flush()
    assert sub.take(0) == []


def test_an_idle_viewer_is_written_directly_and_only_the_rest_is_queued() -> None:
    written: list[bytes] = []
    sub = Subscription()
    sub.direct = lambda data: written.append(data[:3]) or 3
    assert sub.offer(b"abcdef")
    assert written == [b"abc"] and sub.take(0) == [b"def"]  # the writer sends the rest...
    assert sub.offer(b"ghi")  # ...and until it is done, frames queue behind it
    assert written == [b"abc"]
    sub.sent()
    assert sub.take(0) == [b"ghi"]
    sub.sent()
    assert sub.offer(b"xyz") and written == [b"abc", b"xyz"] and len(sub) == 0


def test_watchers_count_each_page_and_forget_at_zero() -> None:
    w = Watchers()
    w.add(["a"])
    w.add(["a", "b"])
    w.remove(["a"])
    assert w.watched("a") and w.watched("b")
    w.remove(["a", "b"])
    assert not w.watched("a") and w.snapshot() == {}


def _client(cid: str, last_seen: int | None) -> Client:
    return Client(cid, f"host-{cid}", 0, None, last_seen, None, 0)


def test_presence_reports_transitions_new_clients_and_removals_only() -> None:
    state, changes = presence.diff({}, [_client("a", 100), _client("b", 10)], now=110, timeout=60)
    assert state == {"a": True, "b": False} and len(changes) == 2
    state, changes = presence.diff(state, [_client("a", 100), _client("b", 10)], now=150, timeout=60)
    assert changes == []
    state, changes = presence.diff(state, [_client("a", 100)], now=200, timeout=60)
    assert changes == [presence.Change("a", "host-a", False, 100), presence.Change("b", "", None, None)]


@pytest.mark.parametrize("text, expected", [
    ('{"subscribe": ["a", "b"]}', frozenset({"a", "b"})),
    ('{"subscribe": null}', None),
    ('{"subscribe": []}', frozenset()),
])
def test_it_parses_subscribe_messages(text: str, expected: frozenset[str] | None) -> None:
    assert frames.parse_subscribe(text) == expected


@pytest.mark.parametrize("text", ["nope", "[]", '{"subscribe": "a"}', '{"subscribe": [1]}',
                                  '{"subscribe": [], "x": 1}', '{"subscribe": ["%s"]}' % ("x" * 65)])
def test_it_refuses_anything_else(text: str) -> None:
    with pytest.raises(frames.BadMessage):
        frames.parse_subscribe(text)


@pytest.mark.parametrize("size, header", [(5, b"\x81\x05"), (300, b"\x81\x7e\x01\x2c"),
                                          (70_000, b"\x81\x7f" + (70_000).to_bytes(8, "big"))])
def test_frames_are_encoded_once_as_unmasked_text_messages(size: int, header: bytes) -> None:
    from wsproto.frame_protocol import FrameProtocol

    text = "x" * size
    data = frames.wire(text)
    assert data.startswith(header) and data.endswith(text.encode())
    # A real WebSocket client parser reads it back as one complete text message.
    proto = FrameProtocol(client=True, extensions=[])
    proto.receive_bytes(data)
    (frame,) = list(proto.received_frames())
    assert frame.payload == text and frame.frame_finished and frame.message_finished


def test_overview_subscribers_get_the_slim_frame_and_detail_pages_the_full_one() -> None:
    broker = LocalBroker()
    overview, detail = Subscription(), Subscription()
    detail.clients = frozenset({"a"})
    broker.subscribe(overview)
    broker.subscribe(detail)
    broker.publish("a", b"full", b"slim")
    broker.flush()
    assert overview.take(0) == [frames.wire(b"slim")] and detail.take(0) == [frames.wire(b"full")]


def test_a_local_broker_is_listened_to_only_while_it_has_a_subscriber() -> None:
    """The live feed builds no frame for a report while ``listened()`` is False (nobody would get it)."""
    broker = LocalBroker()
    assert broker.listened() is False
    sub = Subscription(max_frames=10)
    broker.subscribe(sub)
    assert broker.listened() is True
    broker.unsubscribe(sub)
    assert broker.listened() is False
