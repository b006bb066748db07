"""GET /ws/live: the WebSocket (admin session by cookie, checked by api.auth; Origin checked here first)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from api.auth import origin_allowed
from api.errors import Forbidden
from api.live import frames
from api.live.feed import LiveFeed
from api.state import current_state

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__)
sock = Sock()
# How long the writer waits for frames before it looks at the connection again.
IDLE_WAKE_SECONDS = 15.0


def feed() -> LiveFeed:
    return current_app.extensions["statusmon.live"]


@bp.before_request
def _check_origin() -> None:
    # Runs after api.auth's hook (the session cookie) and before flask-sock answers the upgrade: a page on
    # another origin must not ride the admin's cookie into the feed (cross-site WebSocket hijacking).
    if not origin_allowed(request.headers.get("Origin"), current_state().settings.allowed_origins):
        raise Forbidden("cross-origin WebSocket refused")


@sock.route("/ws/live", bp=bp)
def live(ws: Any) -> None:
    live_feed = feed()
    sub = live_feed.open()

    def stop_socket() -> None:
        # Called by the publisher when this viewer's queue overflows: unblock a send stuck on a full socket.
        try:
            ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    sub.on_overflow = stop_socket

    def reader() -> None:
        try:
            while not sub.closed:
                msg = ws.receive()
                if msg is None:
                    break
                try:
                    clients = frames.parse_subscribe(msg)
                except frames.BadMessage as e:
                    sub.offer(frames.wire(frames.dumps({"type": "error", "message": str(e)})))
                    continue
                live_feed.narrow(sub, clients)
                ack = sorted(clients) if clients is not None else None
                sub.offer(frames.wire(frames.dumps({"type": "subscribed", "clients": ack})))
        except (ConnectionClosed, OSError):
            log.debug("live feed: viewer went away")
        finally:
            sub.close()

    threading.Thread(target=reader, name="live-reader", daemon=True).start()
    try:
        # Writes to the socket happen here, in this one greenlet, or (while it idles with nothing queued) as
        # the broker's non-blocking direct write: frames arrive already encoded, and a viewer that fell behind
        # gets its backlog in one write. Pings too (flask-sock's own ping thread would interleave with these
        # writes), which also find browsers that vanished without a close.
        ws.sock.sendall(frames.wire(live_feed.hello()))
        # From now on the fan-out may write straight to the socket while this greenlet idles (never waits).
        sub.direct = nonblocking_send(ws.sock)
        while not sub.closed and ws.connected:
            pending = sub.take(IDLE_WAKE_SECONDS)
            try:
                if sub.overflowed:
                    break
                ws.sock.sendall(b"".join(pending) if pending else frames.PING)
            finally:
                sub.sent()
        if sub.overflowed:
            log.info("live feed: dropped a viewer that fell %d frames behind", sub.max_frames)
    finally:
        live_feed.close(sub)


def nonblocking_send(sock: Any) -> Callable[[bytes], int] | None:
    """A write that takes what the socket's buffer has room for and never waits (a gevent socket with a
    zero timeout); None for other sockets (the writer greenlet then does every write)."""
    try:
        from gevent.socket import socket as gevent_socket
    except ImportError:
        return None
    if not isinstance(sock, gevent_socket):
        return None

    def send(data: bytes) -> int:
        try:
            return int(sock.send(data, 0, 0.0))
        except BlockingIOError:
            return 0

    return send


@bp.get("/api/live")
def live_stats() -> ResponseReturnValue:
    """Viewers connected, viewers dropped for being too slow, and the clients watched by a detail page."""
    return jsonify(feed().stats())
