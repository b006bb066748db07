"""The HTTP fetcher python-tuf downloads through: bound to the repository's host, no redirects, bounded time.

python-tuf's own fetcher follows redirects and bounds only the gap between bytes; a server trickling one byte
per few seconds could hold the updater forever. This one refuses any redirect (a repository that moved is an
operator's change to ``update_url``, never the server's), refuses URLs off the repository's scheme/host/port, and
gives every download a total deadline on top of the connect and read timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import urllib3
from tuf.api import exceptions
from tuf.ngclient.fetcher import FetcherInterface


class BoundFetcher(FetcherInterface):
    def __init__(self, base_url: str, timeout: float = 10.0, deadline: float = 120.0,
                 chunk_size: int = 64 * 1024, user_agent: str = "statusmon-agent-updater") -> None:
        base = urlsplit(base_url)
        self.origin = (base.scheme, base.hostname, base.port)
        self.timeout = timeout
        self.deadline = deadline
        self.chunk_size = chunk_size
        self.pool = urllib3.PoolManager(headers={"User-Agent": user_agent})

    def _fetch(self, url: str) -> Iterator[bytes]:
        u = urlsplit(url)
        if (u.scheme, u.hostname, u.port) != self.origin:
            raise exceptions.DownloadError(f"refusing {url}: not on the repository's host")
        started = time.monotonic()
        try:
            response = self.pool.request("GET", url, preload_content=False, redirect=False, retries=False,
                                         timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout))
        except urllib3.exceptions.TimeoutError as exc:
            raise exceptions.SlowRetrievalError(f"{url}: {exc}") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise exceptions.DownloadError(f"{url}: {exc}") from exc
        if response.status != 200:
            where = response.headers.get("Location")
            _discard(response)
            hint = f" (a redirect to {where}: refused)" if 300 <= response.status < 400 else ""
            raise exceptions.DownloadHTTPError(f"{url}: HTTP {response.status}{hint}", response.status)
        return self._chunks(response, url, started)

    def _chunks(self, response: urllib3.BaseHTTPResponse, url: str, started: float) -> Iterator[bytes]:
        complete = False
        try:
            # decode_content=False: the signed length and hash are of the bytes as published; a server that
            # labels a .tar.gz `Content-Encoding: gzip` (werkzeug's send_file, nginx's gzip_static) must not
            # make us verify the decompressed tar instead.
            for chunk in response.stream(self.chunk_size, decode_content=False):
                if time.monotonic() - started > self.deadline:
                    raise exceptions.SlowRetrievalError(f"{url}: not done after {self.deadline:.0f} s")
                yield chunk
            complete = True
        except urllib3.exceptions.TimeoutError as exc:
            raise exceptions.SlowRetrievalError(f"{url}: {exc}") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise exceptions.DownloadError(f"{url}: {exc}") from exc
        finally:
            if complete:
                response.release_conn()
            else:
                _discard(response)


def _discard(response: urllib3.BaseHTTPResponse) -> None:
    """Drop a connection whose body was not read to the end: back in the pool, the unread bytes would be read as
    the next response's status line (an error page before the next metadata file: BadStatusLine)."""
    response.close()
    response.release_conn()
