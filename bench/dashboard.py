"""The overview with 500 (or 5,000) live labelled clients in Debian's Chromium, in the cards and the table
view: time to first render and main-thread tasks while scrolling; then the same with alerts firing, and the
Alerts page with many alerts.

    .venv/bin/python -m bench.dashboard                      # 500 clients, 30 s of live updates per view
    .venv/bin/python -m bench.dashboard --clients 5000 --alerting 0
    .venv/bin/python -m bench.dashboard --clients 100 --seconds 10 --views cards
    .venv/bin/python -m bench.dashboard --alerting 0         # the overview only, no alerts phase
    .venv/bin/python -m bench.dashboard --clients 5000 --alerting 0 --workers 2   # as README "Scaling out"

Needs the built dashboard (npm --prefix dashboards/web run build). A real `statusmon server` gets --clients
clients with one batch each carrying its labels (env, role, rack); then simulated agents post a 10-sample batch
per client every 10 s (random phases; over at most 400 shared connections, below gunicorn's connection limit)
while Chromium (1366x860) shows the overview. With --workers N (N > 1) the server runs as README "Scaling out"
has an operator run it for a big fleet: `statusmon server --workers N` on InfluxDB with a redis-server (both
started here, on this machine); otherwise one worker on SQLite. Measured, for each of --views (cards, table):
- first render, with the server idle (before the agents start) and while they post: from navigation start to
  the summary counting every client and the first screen of cards (or rows) in the DOM with its values
  (performance.now()); the list is windowed, so the rest exists as data only;
- main-thread tasks during --seconds of live updates, while the page scrolls through the whole list (cards
  coming into view create their sparklines): the Long Tasks API (every task over 50 ms) and the longest gap
  between animation frames (which also catches shorter tasks); and the agents' posts per second meanwhile.
Then, with --alerting hosts (100) carrying --firing alerts between them (1,000) and --history incidents
(10,000, the firing ones among them) written straight into the metadata DB (alert_state / alert_history, as
the worker writes them), while one alert flips between firing and pending every 2 s (so the live feed sends
``alerts`` frames and every page refetches GET /api/alerts/active):
- overview with alerts: the same live window as above (the first one is its baseline, same run, same page);
- Alerts page render: navigation start to every active row and the first history page in the DOM, median of
  --runs loads; its baseline is the same page before the alerts were written (empty).
Prints a table and writes JSON to bench/results/, naming the machine. Targets: first render <= 1 s; no task
over 50 ms; the Alerts page with 1,000 firing and 10,000 in history <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_json  # noqa: E402
from bench.live import Run  # noqa: E402
from statusmon.metrics import ALERT_METRIC_TYPES  # noqa: E402
from tests.live.fake import sample  # noqa: E402
from tests.support.influxd import start_influxd  # noqa: E402
from tests.support.redisd import start_redis  # noqa: E402
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

# Every active row (or the all-clear) and the first history page (or its "no incident") in the DOM.
ALERTS_RENDERED = """(n) => (n ? document.querySelectorAll('#active-table tbody tr').length >= n
    : !!document.querySelector('#active-alerts .empty'))
  && !!document.querySelector('#history-table tbody tr, #alert-history .empty')"""


def seed_alerts(db_path: Path, client_ids: list[str], firing: int, history: int, now: int) -> list[tuple[str, ...]]:
    """``firing`` firing alerts spread evenly over ``client_ids`` (their alert_state rows and open incidents) and
    ``history - firing`` resolved incidents, written as the worker writes them; returns the firing keys."""
    metrics = list(ALERT_METRIC_TYPES.items())
    keys: list[tuple[str, ...]] = []
    states: list[tuple[Any, ...]] = []
    incidents: list[tuple[Any, ...]] = []
    for n in range(firing):
        cid = client_ids[n % len(client_ids)]
        k = n // len(client_ids)
        metric, (family, _) = metrics[k % len(metrics)]
        series = "" if family == "system" else f"/data{k}" if family == "disk" else str(k)
        fired = now - 60 - n
        keys.append((f"default:{metric}", cid, series))
        states.append((f"default:{metric}", cid, series, metric, "firing", fired, now, 97.0, fired, fired))
        incidents.append((f"default:{metric}", cid, f"node-{cid}", metric, series, 90.0, "above", 0, 97.0, fired,
                          fired, None, None, None))
    for n in range(history - firing):
        cid = client_ids[n % len(client_ids)]
        metric, (family, _) = metrics[n % len(metrics)]
        series = "" if family == "system" else "/" if family == "disk" else "0"
        fired = now - 3600 - n * 30
        incidents.append((f"default:{metric}", cid, f"node-{cid}", metric, series, 90.0, "above", 0, 95.0, fired,
                          fired, fired + 600, 10.0, "resolved"))
    incidents.sort(key=lambda r: r[10])  # ids in firing order, as the worker writes them
    with sqlite3.connect(db_path, timeout=30) as conn:
        names = dict(conn.execute("SELECT id, hostname FROM clients"))
        conn.executemany("INSERT INTO alert_state (rule_key, client_id, series_key, metric_type, status, since,"
                         " last_ts, value, fired_at, notified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", states)
        conn.executemany(
            "INSERT INTO alert_history (rule_key, client_id, hostname, metric_type, series_key, threshold,"
            " direction, duration_sec, value, started_at, fired_at, resolved_at, resolved_value, resolution)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], r[1], names[r[1]], *r[3:]) for r in incidents])
    return keys


def flip_alerts(db_path: Path, key: tuple[str, ...], stop: threading.Event) -> None:
    """One alert between firing and pending every 2 s: the live feed's ``alerts`` frames, as when alerts change."""
    status = "firing"
    with sqlite3.connect(db_path, timeout=30) as conn:
        while not stop.wait(2.0):
            status = "pending" if status == "firing" else "firing"
            with conn:
                conn.execute("UPDATE alert_state SET status = ? WHERE rule_key = ? AND client_id = ?"
                             " AND series_key = ?", (status, *key))


# Per view: its path, what one host is in the DOM, and the element whose text is a value of the first host.
VIEWS = {"cards": ("/", "#clients .client-card", "#clients .client-card dd"),
         "table": ("/?view=table", "#clients .host-row", '#clients .host-row [data-metric="cpu_percent"]')}
# The summary counts every client and the first screen shows with values (the first host reports).
RENDERED = """([sel, val, n]) => {
  const s = document.getElementById('summary');
  const v = document.querySelector(val);
  return !!s && s.textContent.startsWith(n + ' client') && document.querySelectorAll(sel).length >= Math.min(n, 6)
    && !!v && v.textContent !== '—';
}"""
ENVS, ROLES = ("prod", "staging", "dev"), ("gpu", "web", "db", "batch")


def labels_of(i: int) -> dict[str, str]:
    return {"env": ENVS[i % 3], "role": ROLES[(i // 3) % 4], "rack": f"r{i % 40:02d}"}


def add_clients(srv: Any, n: int, now: int) -> list[tuple[str, str]]:
    """n labelled clients, all but every 25th with one report (the rest stay offline), from 8 threads."""
    from concurrent.futures import ThreadPoolExecutor

    def add(chunk: range) -> list[tuple[str, str]]:
        admin, out = srv.admin(), []
        for i in chunk:
            r = admin.post(srv.url + "/api/clients", json={"hostname": f"node-{i:04d}"}, timeout=30)
            r.raise_for_status()
            cid, token = r.json()["client"]["id"], r.json()["token"]
            out.append((cid, token))
            if i % 25 != 24:  # a few never report: offline cards
                body = {"agent_version": "bench", "labels": labels_of(i),
                        "samples": [sample(now - 30 + k * 5, seed=i) for k in range(6)]}
                admin.post(srv.url + "/api/report", json=body, headers={"Authorization": f"Bearer {token}"},
                           timeout=30).raise_for_status()
        return out

    step = -(-n // 8)
    with ThreadPoolExecutor(8) as pool:
        parts = list(pool.map(add, [range(k, min(n, k + step)) for k in range(0, n, step)]))
    return [c for part in parts for c in part]


def logged_in_overview(pw: Any, url: str) -> tuple[Any, Any]:
    """Debian's Chromium at 1366x860 with the probe installed, logged in and showing the overview's cards."""
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1366, "height": 860}, base_url=url)
    context.add_init_script(PROBE)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Admin password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#clients .client-card")
    return browser, page


def first_render(page: Any, path: str, sel: str, val: str, n: int) -> dict[str, Any]:
    page.goto(path)
    page.wait_for_function(RENDERED, arg=[sel, val, n], polling="raf")
    return dict(page.evaluate("""() => ({
        rendered_ms: performance.now(),
        fcp_ms: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null,
        longtasks_during_load: window.__bench.longtasks.length,
        longest_task_during_load_ms: Math.max(0, ...window.__bench.longtasks.map(t => t.ms)),
        steps: (() => {  // where the time went: the page's own HTML and the requests before the first render
          const nav = performance.getEntriesByType('navigation')[0] || {};
          const out = {html_first_byte_ms: nav.responseStart || null, html_end_ms: nav.responseEnd || null};
          const names = {'/api/session': 'session', '/api/clients': 'listing', '/api/alerts/active': 'alerts',
                         '.js': 'script'};
          for (const r of performance.getEntriesByType('resource')) {
            const path = new URL(r.name).pathname;
            const key = Object.keys(names).find((k) => path === k || (k === '.js' && path.endsWith(k)));
            if (!key || out[names[key] + '_start_ms'] !== undefined) continue;
            out[names[key] + '_start_ms'] = r.startTime;
            out[names[key] + '_first_byte_ms'] = r.responseStart || null;
            out[names[key] + '_end_ms'] = r.responseEnd;
          }
          return out;
        })(),
    })"""))


def watch_live(page: Any, seconds: float) -> dict[str, float]:
    """Main-thread tasks while the list scrolls from top to bottom for ``seconds``, live updates flowing."""
    page.evaluate("window.__bench.longtasks = []; window.__bench.maxGap = 0; window.__bench.measuring = true")
    frames_before = page.evaluate("performance.now()")
    end = time.monotonic() + seconds
    height = page.evaluate("document.documentElement.scrollHeight")
    steps = max(1, int(seconds * 2))
    for k in range(steps):
        page.evaluate(f"window.scrollTo(0, {int(height * (k + 1) / steps)})")
        time.sleep(max(0.0, min(0.5, end - time.monotonic())))
    # The parts shown: the grid keeps spare cards and rows hidden in the list for the next hosts a scroll brings.
    live: dict[str, float] = page.evaluate("""() => {
      const shown = [...document.querySelectorAll('#clients > li')].filter(e => e.style.visibility !== 'hidden');
      const count = (sel) => shown.filter(e => e.matches(sel)).length;
      return {
        longtasks: window.__bench.longtasks.length,
        longest_task_ms: Math.max(0, ...window.__bench.longtasks.map(t => t.ms)),
        max_frame_gap_ms: window.__bench.maxGap,
        sparklines: shown.filter(e => e.querySelector('.spark svg path[d^="M"]')).length,
        mounted: shown.length,
        online_cards: count('.client-card[data-online="true"]'),
        alerting_cards: count('.client-card[data-alerting="metric"]'),
        spares: document.querySelectorAll('#clients > li').length - shown.length,
      };
    }""")
    live["window_ms"] = page.evaluate("performance.now()") - frames_before
    return live


def alerts_page_loads(page: Any, rows: int, runs: int) -> list[float]:
    """ms from navigation start to the Alerts page showing ``rows`` active rows and its first history page."""
    out = []
    for _ in range(runs):
        page.goto("/alerts")
        page.wait_for_function(ALERTS_RENDERED, arg=rows, polling="raf")
        out.append(float(page.evaluate("performance.now()")))
    return sorted(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=500)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--views", default="cards,table", help="comma-separated: cards, table")
    p.add_argument("--runs", type=int, default=3, help="page loads for the first-render figure (median)")
    p.add_argument("--alerting", type=int, default=100, help="hosts with firing alerts (0: no alerts phase)")
    p.add_argument("--firing", type=int, default=1000, help="firing alerts, spread over the alerting hosts")
    p.add_argument("--history", type=int, default=10000, help="incidents in the history, firing ones included")
    p.add_argument("--workers", type=int, default=1,
                   help="N > 1: `statusmon server --workers N` on InfluxDB with a redis-server (README "
                        "\"Scaling out\"); 1: one worker on SQLite")
    p.add_argument("--shared", action="store_true",
                   help="InfluxDB + Redis even with one worker (the baseline for --workers N)")
    args = p.parse_args()
    args.shared = args.shared or args.workers > 1
    from playwright.sync_api import sync_playwright

    if not (ROOT / "api" / "static" / "index.html").exists():
        print("build the dashboard first: npm --prefix dashboards/web ci && npm --prefix dashboards/web run build")
        return 2
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        shared: dict[str, str] = {}
        if args.shared:
            influx = stack.enter_context(start_influxd(Path(tmp) / "influx"))
            redis = stack.enter_context(start_redis(Path(tmp) / "redis"))
            shared = {"influx_url": influx.url, "redis_url": redis.url}
        srv = stack.enter_context(start_server(Path(tmp), args=["--workers", str(args.workers)],
                                               report_rate_per_minute="1000000", login_rate_per_minute="1000",
                                               **shared))
        admin = srv.admin()
        t_setup = time.perf_counter()
        clients = add_clients(srv, args.clients, int(time.time()))
        print(f"{args.clients} clients added and reported in {time.perf_counter() - t_setup:.0f} s", flush=True)
        cookie = "; ".join(f"{c.name}={c.value}" for c in admin.cookies)
        run = Run(srv.url, cookie, clients)
        stop_at = time.perf_counter() + 3600

        stopping = threading.Event()

        def agents() -> None:
            try:
                asyncio.run(run.paced(len(clients), max(1.0, stop_at - time.perf_counter()),
                                      connections=min(400, len(clients))))
            except OSError as e:  # the server stopping under them is expected; anything earlier is not
                if not stopping.is_set():
                    print(f"simulated agents stopped early: {e!r}", file=sys.stderr)
                    raise

        views: dict[str, dict[str, Any]] = {}
        with sync_playwright() as pw:
            browser, page = logged_in_overview(pw, srv.url)
            # First render with the server idle (no agents posting yet): the page's own cost, apart from a
            # server that ingest keeps busy.
            idle: dict[str, list[float]] = {}
            for view in args.views.split(","):
                path, sel, val = VIEWS[view]
                idle[view] = sorted(first_render(page, path, sel, val, args.clients)["rendered_ms"]
                                    for _ in range(args.runs))
            feeder = threading.Thread(target=agents, daemon=True)
            feeder.start()
            time.sleep(2)
            for view in args.views.split(","):
                path, sel, val = VIEWS[view]
                loads: list[dict[str, Any]] = []
                for _ in range(args.runs):
                    loads.append(first_render(page, path, sel, val, args.clients))
                # Live updates: watch the main thread while the list scrolls from top to bottom.
                posts_before, t_live = len(run.sent), time.perf_counter()
                live_view = watch_live(page, args.seconds)
                live_view["agent_posts_per_s"] = (len(run.sent) - posts_before) / (time.perf_counter() - t_live)
                loads.sort(key=lambda r: r["rendered_ms"])
                views[view] = {"first_render": {"median": loads[len(loads) // 2], "all": loads}, "live": live_view,
                               "first_render_idle_server_ms": idle[view]}
            live = views[next(iter(views))]["live"]
            # The baseline, same run and load: a tall empty page scrolled the same way while the agents post.
            # Its long tasks are the machine's (other processes, the server, the simulated agents), not ours.
            page.set_content('<div style="height:300000px"></div>')
            baseline = watch_live(page, args.seconds)
            alerts: dict[str, object] | None = None
            if args.alerting:
                empty_loads = alerts_page_loads(page, 0, args.runs)  # the baseline: the page without alerts
                alerting_ids = [cid for cid, _ in clients[:args.alerting]]
                keys = seed_alerts(Path(tmp) / "meta.db", alerting_ids, args.firing, args.history, int(time.time()))
                flipping = threading.Event()
                flipper = threading.Thread(target=flip_alerts, args=(Path(tmp) / "meta.db", keys[0], flipping),
                                           daemon=True)
                flipper.start()
                loads_alerts = alerts_page_loads(page, args.firing - 1, args.runs)  # one may be pending
                page.goto("/")
                page.wait_for_selector("#clients .client-card")
                page.wait_for_function(  # the store has them (cards paint theirs as they come into view)
                    "(n) => Number(document.querySelector('#alert-count')?.dataset.firing) >= n",
                    arg=args.firing - 1, polling="raf")
                live_alerts = watch_live(page, args.seconds)
                flipping.set()
                flipper.join()
                alerts = {"hosts": args.alerting, "firing": args.firing, "history": args.history,
                          "alerts_page_ms": {"median": loads_alerts[len(loads_alerts) // 2], "all": loads_alerts},
                          "alerts_page_empty_ms": {"median": empty_loads[len(empty_loads) // 2],
                                                   "all": empty_loads},
                          "live_with_alerts": live_alerts}
            browser.close()
        stopping.set()
        srv.stop(signal.SIGINT)
    out: dict[str, Any] = {
        "bench": "dashboard", "machine": machine(), "load_average": os.getloadavg(), "args": vars(args),
        "views": views, "baseline_empty_page": baseline, "alerts": alerts,
        "targets": {"first_render_ms": 1000, "longest_task_ms": 50, "alerts_page_ms": 1000}}
    print(f"machine: {out['machine']['host']} ({out['machine']['cpu']}, {out['machine']['cores']} cores), "
          f"load average {out['load_average'][0]:.2f}")
    print(f"{'clients':>8} {'view':>6} {'first render ms':>16} {'FCP ms':>8} {'long tasks (live)':>18} "
          f"{'longest ms':>11} {'max frame gap ms':>17} {'shown':>7} {'agent posts/s':>14}"
          + (f"   (server: {args.workers} worker(s), InfluxDB + Redis)" if args.shared else ""))
    for view, r in views.items():
        median, lv = r["first_render"]["median"], r["live"]
        fcp = median["fcp_ms"]
        print(f"{args.clients:>8} {view:>6} {median['rendered_ms']:>16.0f} {fcp if fcp is None else round(fcp)!s:>8} "
              f"{lv['longtasks']:>18} {lv['longest_task_ms']:>11.0f} {lv['max_frame_gap_ms']:>17.0f} "
              f"{lv['mounted']:>7} {lv['agent_posts_per_s']:>14.0f}")
        every = ", ".join(f"{x['rendered_ms']:.0f}" for x in r["first_render"]["all"])
        quiet = ", ".join(f"{x:.0f}" for x in r["first_render_idle_server_ms"])
        print(f"  first render, every run (ms): {every}; with the server idle (before the agents): {quiet}")
        st = median.get("steps") or {}
        print("  the median load's steps (ms from navigation start, start > first byte > end): "
              + "; ".join(f"{k} {st.get(k + '_start_ms', 0):.0f} > {st.get(k + '_first_byte_ms') or 0:.0f} > "
                          f"{st.get(k + '_end_ms', 0):.0f}" for k in ("script", "session", "alerts", "listing")
                          if k + "_start_ms" in st)
              + f"; HTML first byte {st.get('html_first_byte_ms') or 0:.0f}")
    print(f"{'baseline':>8} {'empty':>6} {'':>16} {'':>8} {baseline['longtasks']:>18} "
          f"{baseline['longest_task_ms']:>11.0f} {baseline['max_frame_gap_ms']:>17.0f}   (an empty page, scrolled "
          "the same way meanwhile: the machine's own long tasks)")
    if alerts is not None:
        la: dict[str, float] = alerts["live_with_alerts"]  # type: ignore[assignment]
        pm: dict[str, object] = alerts["alerts_page_ms"]  # type: ignore[assignment]
        pe: dict[str, object] = alerts["alerts_page_empty_ms"]  # type: ignore[assignment]
        print(f"with {args.firing} alerts firing on {args.alerting} hosts, {args.history} incidents in history:")
        print(f"{'':>8} {'long tasks (live)':>18} {'longest ms':>11} {'max frame gap ms':>17} {'alerting cards':>15}")
        print(f"{'before':>8} {live['longtasks']:>18} {live['longest_task_ms']:>11.0f} "
              f"{live['max_frame_gap_ms']:>17.0f} {live['alerting_cards']:>15}")
        print(f"{'alerts':>8} {la['longtasks']:>18} {la['longest_task_ms']:>11.0f} "
              f"{la['max_frame_gap_ms']:>17.0f} {la['alerting_cards']:>15}")
        print(f"Alerts page render ms (median of {args.runs}): {pm['median']:.0f} with the alerts; "
              f"{pe['median']:.0f} empty (baseline)")
    written = write_json(f"dashboard-{out['machine']['host']}-{time.strftime('%Y%m%d-%H%M%S')}", out)
    print(f"wrote {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    random.seed(1)
    raise SystemExit(main())
