"""Where the overview's long tasks go: a Chromium trace of the cards (or table) view while live updates flow and
the list scrolls, summed by trace event inside every main-thread task over 50 ms.

    .venv/bin/python -m bench.dashboard_trace                       # 500 clients, cards, 15 s
    .venv/bin/python -m bench.dashboard_trace --clients 2000 --view table
    .venv/bin/python -m bench.dashboard_trace --alerting 100        # 1,000 alerts firing on 100 hosts

Same set-up as bench.dashboard (a real server, labelled clients, simulated agents posting every 10 s, Debian's
Chromium at 1366x860); prints the long tasks and, for the events inside them, the total and count per name
(self time is not separated: nested events count in each of their parents), and writes the trace to
bench/results/. A diagnostic, not a benchmark: tracing itself slows the page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import VIEWS, add_clients, flip_alerts, logged_in_overview, seed_alerts, watch_live  # noqa: E402
from bench.live import Run  # noqa: E402
from tests.support.server import start_server  # noqa: E402

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "cc", "v8", "toplevel"]


def event_name(e: dict[str, Any]) -> str:
    """The event's name, with the JavaScript function for a call into script (``FunctionCall flush``)."""
    data = (e.get("args") or {}).get("data") or {}
    fn = data.get("functionName") if isinstance(data, dict) else None
    return f"{e['name']} {fn}" if fn else e["name"]


def long_tasks(events: list[dict[str, Any]], over_ms: float) -> list[tuple[dict[str, Any], dict[str, list[float]]]]:
    """The renderer main thread's top-level tasks over ``over_ms``, each with the events inside it by name."""
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    on_main = [e for e in events if (e.get("pid"), e.get("tid")) in main and e.get("ph") == "X"]
    runs = [e for e in on_main if e["name"] in ("RunTask", "ThreadControllerImpl::RunTask")]
    # The outermost only (a RunTask inside a ThreadControllerImpl::RunTask is the same task).
    runs.sort(key=lambda e: (e["ts"], -e.get("dur", 0)))
    tasks, end = [], -1.0
    for e in runs:
        if e["ts"] >= end:
            end = e["ts"] + e.get("dur", 0)
            if e.get("dur", 0) > over_ms * 1000:
                tasks.append(e)
    out = []
    for t in tasks:
        inside: dict[str, list[float]] = defaultdict(list)
        for e in on_main:
            if e is not t and t["ts"] <= e["ts"] and e["ts"] + e.get("dur", 0) <= t["ts"] + t["dur"]:
                inside[event_name(e)].append(e.get("dur", 0) / 1000)
        out.append((t, inside))
    return out


def self_times(profile: dict[str, Any]) -> list[tuple[str, float]]:
    """A CDP CPU profile's self time per function (name, script and line), largest first."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas = profile.get("timeDeltas", [])
    total: dict[str, float] = defaultdict(float)
    for k, node_id in enumerate(profile.get("samples", [])):
        f = nodes[node_id]["callFrame"]
        where = f"{f['url'].rsplit('/', 1)[-1]}:{f['lineNumber'] + 1}:{f['columnNumber'] + 1}" if f["url"] else ""
        ms = (deltas[k + 1] if k + 1 < len(deltas) else 0) / 1000
        total[f"{f['functionName'] or '(anonymous)'} {where}".strip()] += ms
    return sorted(total.items(), key=lambda kv: -kv[1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=500)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--view", default="cards", choices=sorted(VIEWS))
    p.add_argument("--alerting", type=int, default=0,
                   help="hosts with firing alerts (1,000 between them, one flipping every 2 s), as bench.dashboard")
    p.add_argument("--cpu-profile", action="store_true",
                   help="instead of the trace: V8's CPU profile of the page, self time per JavaScript function")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, start_server(
            Path(tmp), report_rate_per_minute="1000000", login_rate_per_minute="1000") as srv:
        admin = srv.admin()
        clients = add_clients(srv, args.clients, int(time.time()))
        cookie = "; ".join(f"{c.name}={c.value}" for c in admin.cookies)
        run = Run(srv.url, cookie, clients)
        stopping = threading.Event()

        def agents() -> None:
            try:
                asyncio.run(run.paced(len(clients), 3600, connections=min(400, len(clients))))
            except (OSError, IndexError):  # the server stopping under them (a cut status line) is expected
                if not stopping.is_set():
                    raise

        feeder = threading.Thread(target=agents, daemon=True)
        with sync_playwright() as pw:
            browser, page = logged_in_overview(pw, srv.url)
            feeder.start()
            flipping = threading.Event()
            if args.alerting:
                ids = [cid for cid, _ in clients[:args.alerting]]
                keys = seed_alerts(Path(tmp) / "meta.db", ids, 1000, 1000, int(time.time()))
                threading.Thread(target=flip_alerts, args=(Path(tmp) / "meta.db", keys[0], flipping),
                                 daemon=True).start()
            page.goto(VIEWS[args.view][0])
            page.wait_for_selector(VIEWS[args.view][1])
            time.sleep(2)
            path = ROOT / "bench" / "results" / f"trace-overview-{args.view}-{args.clients}.json"
            path.parent.mkdir(exist_ok=True)
            if args.cpu_profile:
                cdp = page.context.new_cdp_session(page)
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                cdp.send("Profiler.start")
                live = watch_live(page, args.seconds)
                profile = cdp.send("Profiler.stop")["profile"]
            else:
                browser.start_tracing(page=page, path=str(path), categories=CATEGORIES)
                live = watch_live(page, args.seconds)
                browser.stop_tracing()
            browser.close()
        flipping.set()
        stopping.set()
    if args.cpu_profile:
        print(f"{args.clients} clients, {args.view}: {live['longtasks']} long tasks (longest "
              f"{live['longest_task_ms']:.0f} ms); self time per function over {args.seconds:.0f} s:")
        for name, ms in self_times(profile)[:30]:
            print(f"  {ms:>8.1f} ms  {name}")
        return 0
    events = json.loads(path.read_text())["traceEvents"]
    found = long_tasks(events, 50)
    print(f"{args.clients} clients, {args.view}: {live['longtasks']} long tasks (Long Tasks API, longest "
          f"{live['longest_task_ms']:.0f} ms); in the trace: {len(found)} main-thread tasks over 50 ms")
    total: dict[str, list[float]] = defaultdict(list)
    for t, inside in found:
        top = sorted(inside.items(), key=lambda kv: -sum(kv[1]))[:6]
        print(f"  task {t['dur'] / 1000:.0f} ms: " + ", ".join(f"{k} {sum(v):.0f} ms ×{len(v)}" for k, v in top))
        for k, v in inside.items():
            total[k] += v
    print("summed over the long tasks (nested events count in each parent):")
    for k, v in sorted(total.items(), key=lambda kv: -sum(kv[1]))[:20]:
        print(f"  {k:<40} {sum(v):>8.0f} ms  ×{len(v)}")
    print(f"trace: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
