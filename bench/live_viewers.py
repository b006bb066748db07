"""N overview viewers in a process of their own, for `bench.live`'s throughput runs: the viewers' reading then
never shares an event loop with the writers whose rate is measured (on two cores they still share the CPU, and
the bench reports each process's CPU apart).

    python -m bench.live_viewers URL COOKIE N

Prints ``ready`` once all N are upgraded, reads until its standard input closes, then prints the bytes received.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.live import drain_viewer  # noqa: E402


async def main(url: str, cookie: str, n: int) -> int:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    received = [0]
    transports = [await drain_viewer(host, port, cookie, received) for _ in range(n)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for t in transports:
        t.close()
    print(received[0], flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
