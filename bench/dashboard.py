"""The overview with 500 live clients in Debian's Chromium: time to first render and main-thread tasks.

    .venv/bin/python -m bench.dashboard                      # 500 clients, 20 s of live updates
    .venv/bin/python -m bench.dashboard --clients 100 --seconds 10

Needs the built dashboard (npm --prefix dashboards/web run build). A real `statusmon server` gets --clients
clients with one batch each; then simulated agents post a 10-sample batch per client every 10 s (random
phases) while Chromium (1366x860) shows the overview. Measured:
- first render: from navigation start to every card in the DOM with its values (performance.now());
- main-thread tasks during --seconds of live updates, while the page scrolls through the whole grid (cards
  coming into view create their sparklines): the Long Tasks API (every task over 50 ms) and the longest gap
  between animation frames (which also catches shorter tasks).
Prints a table and writes JSON to bench/results/, naming the machine. Targets: first render <= 1 s; no task
over 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_json  # noqa: E402
from bench.live import Run  # noqa: E402
from tests.live.fake import report, sample  # noqa: E402
from tests.support.server import ADMIN_PASSWORD, start_server  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions"]

# Installed before any page script: collects long tasks and the longest gap between animation frames.
PROBE = """
window.__bench = {longtasks: [], maxGap: 0, last: 0, measuring: false};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push({start: e.startTime, ms: e.duration});
}).observe({type: 'longtask', buffered: true});
const tick = (t) => {
  const b = window.__bench;
  if (b.measuring && b.last) b.maxGap = Math.max(b.maxGap, t - b.last);
  b.last = t;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=500)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--runs", type=int, default=3, help="page loads for the first-render figure (median)")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    if not (ROOT / "api" / "static" / "index.html").exists():
        print("build the dashboard first: npm --prefix dashboards/web ci && npm --prefix dashboards/web run build")
        return 2
    with tempfile.TemporaryDirectory() as tmp, start_server(
            Path(tmp), report_rate_per_minute="1000000", login_rate_per_minute="1000") as srv:
        admin = srv.admin()
        clients = []
        now = int(time.time())
        for i in range(args.clients):
            r = admin.post(srv.url + "/api/clients", json={"hostname": f"node-{i:04d}"}, timeout=10)
            r.raise_for_status()
            cid, token = r.json()["client"]["id"], r.json()["token"]
            clients.append((cid, token))
            if i % 25 != 24:  # a few never report: offline cards
                report(srv.url, token, [sample(now - 30 + k * 5, seed=i) for k in range(6)])
        cookie = "; ".join(f"{c.name}={c.value}" for c in admin.cookies)
        run = Run(srv.url, cookie, clients)
        stop_at = time.perf_counter() + 3600

        stopping = threading.Event()

        def agents() -> None:
            try:
                asyncio.run(run.paced(len(clients), max(1.0, stop_at - time.perf_counter())))
            except OSError as e:  # the server stopping under them is expected; anything earlier is not
                if not stopping.is_set():
                    print(f"simulated agents stopped early: {e!r}", file=sys.stderr)
                    raise

        loads: list[dict[str, float]] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1366, "height": 860}, base_url=srv.url)
            context.add_init_script(PROBE)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_selector("#clients .client-card")
            feeder = threading.Thread(target=agents, daemon=True)
            feeder.start()
            time.sleep(2)
            for _ in range(args.runs):
                page.goto("/")
                page.wait_for_function(
                    "(n) => document.querySelectorAll('#clients .client-card').length >= n && "
                    "document.querySelector('#clients .client-card dd').textContent !== '—'",
                    arg=args.clients, polling="raf")
                loads.append(page.evaluate("""() => ({
                    rendered_ms: performance.now(),
                    fcp_ms: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null,
                    longtasks_during_load: window.__bench.longtasks.length,
                    longest_task_during_load_ms: Math.max(0, ...window.__bench.longtasks.map(t => t.ms)),
                })"""))
            # Live updates: watch the main thread while the grid scrolls from top to bottom.
            page.evaluate("window.__bench.longtasks = []; window.__bench.maxGap = 0; window.__bench.measuring = true")
            frames_before = page.evaluate("performance.now()")
            end = time.monotonic() + args.seconds
            height = page.evaluate("document.documentElement.scrollHeight")
            steps = max(1, int(args.seconds * 2))
            for k in range(steps):
                page.evaluate(f"window.scrollTo(0, {int(height * (k + 1) / steps)})")
                time.sleep(max(0.0, min(0.5, end - time.monotonic())))
            live = page.evaluate("""() => ({
                longtasks: window.__bench.longtasks.length,
                longest_task_ms: Math.max(0, ...window.__bench.longtasks.map(t => t.ms)),
                max_frame_gap_ms: window.__bench.maxGap,
                sparklines: document.querySelectorAll('#clients .spark canvas').length,
                online_cards: document.querySelectorAll('#clients .client-card[data-online="true"]').length,
            })""")
            live["window_ms"] = page.evaluate("performance.now()") - frames_before
            browser.close()
        stopping.set()
        srv.stop(signal.SIGINT)
    loads.sort(key=lambda r: r["rendered_ms"])
    median = loads[len(loads) // 2]
    out = {"bench": "dashboard", "machine": machine(), "load_average": os.getloadavg(), "args": vars(args),
           "first_render": {"median": median, "all": loads}, "live": live,
           "targets": {"first_render_ms": 1000, "longest_task_ms": 50}}
    print(f"machine: {out['machine']['host']} ({out['machine']['cpu']}, {out['machine']['cores']} cores), "
          f"load average {out['load_average'][0]:.2f}")
    print(f"{'clients':>8} {'first render ms':>16} {'FCP ms':>8} {'long tasks (live)':>18} "
          f"{'longest ms':>11} {'max frame gap ms':>17} {'sparklines':>11}")
    fcp = median["fcp_ms"]
    print(f"{args.clients:>8} {median['rendered_ms']:>16.0f} {fcp if fcp is None else round(fcp)!s:>8} "
          f"{live['longtasks']:>18} {live['longest_task_ms']:>11.0f} {live['max_frame_gap_ms']:>17.0f} "
          f"{live['sparklines']:>11}")
    print("first render, every run (ms): " + ", ".join(f"{r['rendered_ms']:.0f}" for r in loads))
    path = write_json(f"dashboard-{out['machine']['host']}-{time.strftime('%Y%m%d-%H%M%S')}", out)
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    random.seed(1)
    raise SystemExit(main())
