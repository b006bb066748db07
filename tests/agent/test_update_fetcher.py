"""The updater's HTTP fetcher on a kept-alive connection: an error page it did not read must not become the
next response (python-tuf asks for the next root version, gets a 404 with a body, then asks for timestamp.json)."""

from __future__ import annotations

import socket
import threading

import pytest
from tuf.api import exceptions

from agent.update.fetcher import BoundFetcher


class KeepAliveServer:
    """Answers requests in order on whatever connection they come, never closing one: a 404 with a body, then
    200s. Counts the connections it accepted."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.answers = [b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
                        b'{"error": "no such version"}']
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buf = b""
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    _, buf = buf.split(b"\r\n\r\n", 1)
                    answer = self.answers.pop(0) if self.answers else (
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                    conn.sendall(answer)


def test_an_unread_error_page_never_becomes_the_next_response() -> None:
    server = KeepAliveServer()
    base = f"http://127.0.0.1:{server.port}"
    fetcher = BoundFetcher(base, timeout=5.0)
    with pytest.raises(exceptions.DownloadHTTPError) as e:
        b"".join(fetcher._fetch(base + "/metadata/2.root.json"))
    assert e.value.status_code == 404
    assert b"".join(fetcher._fetch(base + "/metadata/timestamp.json")) == b"{}"
    assert server.connections == 2  # the connection holding the unread page was dropped, not reused
    server.sock.close()
