"""The container health check of the Status Monitor image (standard library only; no curl in a slim image;
psycopg, which the image has, only when the metadata is on PostgreSQL: STATUSMON_DATABASE_URL).

    python healthcheck.py            # server: GET /healthz on the bound port answers 200 (store included)
    python healthcheck.py alerting   # alerting worker: its heartbeat in the metadata database is recent

Exit 0 when healthy, 1 otherwise, with one line saying why.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path


def check_server() -> str | None:
    bind = os.environ.get("STATUSMON_BIND", "127.0.0.1:8080")
    port = bind.rsplit(":", 1)[-1]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as resp:  # noqa: S310
            return None if resp.status == 200 else f"/healthz answered {resp.status}"
    except OSError as e:  # URLError and HTTPError (503: store down) are OSErrors
        return f"/healthz: {e}"


def _heartbeat_pg(url: str) -> tuple[object, ...] | None:
    import psycopg

    with psycopg.connect(url, connect_timeout=3) as conn:
        return conn.execute("SELECT last_cycle_at, last_error FROM alert_worker WHERE id = 1").fetchone()


def check_alerting() -> str | None:
    db = Path(os.environ.get("STATUSMON_DATA_DIR", "/data")) / "meta.db"
    url = os.environ.get("STATUSMON_DATABASE_URL", "")
    interval = float(os.environ.get("STATUSMON_ALERT_INTERVAL", "10"))
    if url:
        try:
            row = _heartbeat_pg(url)
        except Exception as e:  # noqa: BLE001 - psycopg.Error, or no psycopg: unhealthy either way
            return f"no alerting heartbeat in PostgreSQL: {type(e).__name__}: {e}"
    else:
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
            try:
                row = conn.execute("SELECT last_cycle_at, last_error FROM alert_worker WHERE id = 1").fetchone()
            finally:
                conn.close()
        except sqlite3.Error as e:
            return f"no alerting heartbeat in {db}: {e}"
    if not row or row[0] is None:
        return "the alerting worker has not finished a cycle yet"
    age = time.time() - float(row[0])
    # A cycle may take a while after an outage (catch-up); three intervals plus a minute is "stuck".
    if age > 3 * interval + 60:
        return f"the last alerting cycle ended {age:.0f} s ago"
    if row[1]:
        # Alive but failing (the store is down, say): not healthy, and the reason is in the health log.
        return f"the last alerting cycle failed: {row[1]}"
    return None


def main(argv: list[str]) -> int:
    role = argv[1] if len(argv) > 1 else "server"
    problem = check_alerting() if role == "alerting" else check_server()
    print(problem or "healthy")
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
