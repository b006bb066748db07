// Client page: Live (gauges, per-mount and per-GPU detail, a 5-minute chart fed by the WebSocket),
// History (charts per unit with a range selector, gaps as gaps, synced cursors) and Stats (min/avg/max/p95).
import type uPlot from "uplot";
import { api, describe } from "../api";
import { lineOptions, mountChart } from "../charts";
import { empty, errorBox, fill, h, loading, setText } from "../dom";
import { formatAgo, formatBytes, formatCelsius, formatCount, formatPercent, formatTime, formatUnit, formatWatts, level } from "../format";
import { live } from "../live";
import { PERCENT_METRICS, RANGES, type RangeName } from "../metrics";
import { applySamples, isOnline, joinSeries, Ring, statsRows, toAligned, withGaps, type Aligned } from "../shape";
import type { ClientView, LiveFrame, SampleView } from "../types";

type Tab = "live" | "history" | "stats";
const TABS: [Tab, string][] = [["live", "Live"], ["history", "History"], ["stats", "Stats"]];
const LIVE_WINDOW = 300; // seconds on the live chart
const LIVE_FIELDS = ["cpu_percent", "ram_percent", "gpu_percent"];
// About one point per pixel of a chart: the API buckets longer ranges (mean per bucket, gaps stay gaps).
const HISTORY_POINTS = 600;

export function mountClient(root: HTMLElement, id: string): () => void {
  const params = new URLSearchParams(location.search);
  let tab: Tab = (TABS.some(([t]) => t === params.get("tab")) ? params.get("tab") : "live") as Tab;
  let range: RangeName = (RANGES as readonly string[]).includes(params.get("range") ?? "") ? (params.get("range") as RangeName) : "1h";
  let client: ClientView | null = null;
  let timeout = 60;
  let skew = 0;
  const now = () => Date.now() / 1000 + skew;
  const cleanups: (() => void)[] = [];
  let panelCleanup: (() => void) | null = null;
  let liveView: LiveView | null = null;
  let loadSeq = 0;

  const title = h("h1", { class: "hostname" }, "…");
  const badge = h("span", { class: "badge" });
  const meta = h("p", { class: "client-meta" });
  const tablist = h("div", { role: "tablist", "aria-label": "Views", class: "tabs" });
  const panel = h("section", { class: "panel", role: "tabpanel", tabindex: "0" });
  const head = h("div", { class: "page-head client-head" },
    h("a", { href: "/", class: "back", "aria-label": "Back to the overview" }, "←"), title, badge, meta);
  root.append(head, tablist, panel);

  const tabButtons = TABS.map(([t, label], i) => {
    const b = h("button", { type: "button", role: "tab", id: `tab-${t}`, "aria-controls": "panel", "data-tab": t }, label);
    b.addEventListener("click", () => select(t));
    b.addEventListener("keydown", (ev) => {
      const k = (ev as KeyboardEvent).key;
      const j = k === "ArrowRight" ? (i + 1) % TABS.length : k === "ArrowLeft" ? (i + TABS.length - 1) % TABS.length
        : k === "Home" ? 0 : k === "End" ? TABS.length - 1 : -1;
      if (j < 0) return;
      ev.preventDefault();
      select(TABS[j][0]);
      tabButtons[j].focus();
    });
    tablist.append(b);
    return b;
  });
  panel.id = "panel";

  function syncUrl(): void {
    const q = new URLSearchParams();
    if (tab !== "live") q.set("tab", tab);
    if (tab !== "live" && range !== "1h") q.set("range", range);
    const s = q.toString();
    history.replaceState(null, "", `/client/${encodeURIComponent(id)}${s ? `?${s}` : ""}`);
  }

  function select(t: Tab): void {
    tab = t;
    tabButtons.forEach((b) => {
      const on = b.dataset.tab === t;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    });
    panel.setAttribute("aria-labelledby", `tab-${t}`);
    syncUrl();
    panelCleanup?.();
    panelCleanup = null;
    liveView = null;
    panel.replaceChildren();
    if (!client) return;
    if (t === "live") {
      liveView = new LiveView(panel, client, now);
      panelCleanup = () => liveView?.destroy();
    } else {
      panelCleanup = mountRanged(panel, t);
    }
  }

  function mountRanged(el: HTMLElement, t: "history" | "stats"): () => void {
    const buttons = h("div", { class: "ranges", role: "group", "aria-label": "Range" });
    const body = h("div", { class: t === "history" ? "history" : "stats" });
    el.append(buttons, body);
    let charts: uPlot[] = [];
    const clear = () => { charts.forEach((c) => c.destroy()); charts = []; };
    const show = (r: RangeName) => {
      range = r;
      syncUrl();
      for (const b of buttons.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.range === r));
      clear();
      const seq = ++loadSeq;
      // Keep the old height while loading: no jump when the data arrives.
      body.style.minHeight = `${body.offsetHeight}px`;
      fill(body, loading(t === "history" ? "Loading charts…" : "Loading statistics…"));
      const done = (node: Node) => { if (seq === loadSeq) { fill(body, node); body.style.minHeight = ""; } };
      const fail = (e: unknown) => done(errorBox(`Could not load the ${t}: ${describe(e)}`, () => show(r)));
      if (t === "stats") {
        api.stats(id, r).then((s) => done(statsTable(s))).catch(fail);
      } else {
        loadHistory(id, r).then((sets) => {
          if (seq !== loadSeq) return;
          if (!sets.length) return done(empty(`No data in the last ${r}.`));
          const wrap = h("div", { class: "charts" });
          done(wrap);
          for (const set of sets) {
            const box = h("div", { class: "chart", "data-chart": set.key });
            wrap.append(box);
            charts.push(mountChart(box, (w) => lineOptions({ ...set.spec, width: w, height: 200, syncKey: `history-${id}` }), set.data));
          }
        }).catch(fail);
      }
    };
    for (const r of RANGES) {
      const b = h("button", { type: "button", "data-range": r }, r);
      b.addEventListener("click", () => show(r));
      buttons.append(b);
    }
    show(range);
    return clear;
  }

  function paintHead(): void {
    if (!client) return;
    setText(title, client.hostname);
    const online = client.online && isOnline(client.last_seen, now(), timeout);
    setText(badge, online ? "online" : "offline");
    badge.className = `badge ${online ? "on" : "off"}`;
    setText(meta, `last seen ${formatAgo(client.last_seen, now())}` +
      (client.agent_version ? ` · agent ${client.agent_version}` : "") +
      (client.dropped_total ? ` · ${formatCount(client.dropped_total)} samples lost on the host` : ""));
  }

  function onFrame(f: LiveFrame): void {
    if (!client) return;
    if (f.type === "samples" && f.client_id === id) {
      client = applySamples(client, f.samples);
      liveView?.push(f.samples, client);
      paintHead();
    } else if (f.type === "status" && f.client_id === id) {
      client = { ...client, online: f.online, last_seen: f.last_seen ?? client.last_seen };
      paintHead();
    } else if (f.type === "removed" && f.client_id === id) {
      fill(panel, errorBox("This client was removed."));
    } else if (f.type === "hello") {
      timeout = f.online_timeout_seconds;
    }
  }

  async function load(): Promise<void> {
    fill(panel, loading("Loading client…"));
    try {
      const [c, list] = await Promise.all([api.client(id), api.clients().catch(() => null)]);
      client = c;
      if (list) {
        timeout = list.online_timeout_seconds;
        skew = list.now - Date.now() / 1000;
      }
      document.title = `${c.hostname} · Status Monitor`;
      paintHead();
      select(tab);
    } catch (e) {
      setText(title, "Client");
      fill(panel, errorBox(`Could not load this client: ${describe(e)}`, () => void load()));
    }
  }

  live.subscribe([id]); // watching: the API asks this client's agent to report every second
  cleanups.push(live.onFrame(onFrame));
  const ticker = window.setInterval(paintHead, 1000);
  cleanups.push(() => clearInterval(ticker));
  void load();

  return () => {
    panelCleanup?.();
    cleanups.forEach((fn) => fn());
    live.subscribe(null);
  };
}

// --- Live tab --------------------------------------------------------------------------------------------

class LiveView {
  private ring = new Ring(LIVE_FIELDS, LIVE_WINDOW + 10);
  private chart: uPlot | null = null;
  private gauges = new Map<string, { bar: HTMLElement; value: HTMLElement; box: HTMLElement }>();
  private docker: HTMLElement;
  private updated: HTMLElement;
  private mounts: HTMLElement;
  private gpus: HTMLElement;
  private destroyed = false;

  constructor(el: HTMLElement, private client: ClientView, private now: () => number) {
    const gaugeGrid = h("div", { class: "gauges" });
    for (const m of PERCENT_METRICS) {
      const bar = h("div", { class: "bar-fill" });
      const value = h("span", { class: "gauge-value" }, "—");
      const box = h("div", { class: "gauge", "data-metric": m.name, role: "meter", "aria-label": m.label, "aria-valuemin": "0", "aria-valuemax": "100" },
        h("div", { class: "gauge-head" }, h("span", {}, m.label), value), h("div", { class: "bar" }, bar));
      this.gauges.set(m.name, { bar, value, box });
      gaugeGrid.append(box);
    }
    this.docker = h("span", { class: "gauge-value", "data-metric": "docker_bytes" }, "—");
    gaugeGrid.append(h("div", { class: "gauge docker" }, h("div", { class: "gauge-head" }, h("span", {}, "Docker"), this.docker)));
    this.updated = h("p", { class: "updated", id: "live-updated", "aria-live": "off" }, "waiting for data…");
    const chartBox = h("div", { class: "chart live-chart" });
    this.mounts = h("div", { class: "mounts" });
    this.gpus = h("div", { class: "gpus" });
    el.append(this.updated, gaugeGrid, chartBox,
      h("h2", {}, "Mounts"), this.mounts, h("h2", {}, "GPUs"), this.gpus);
    if (client.latest) this.ring.push(client.latest.ts, client.latest as unknown as Record<string, unknown>);
    this.paint();
    this.chart = mountChart(chartBox, (w) => lineOptions({ title: "Last 5 minutes", unit: "percent", labels: ["CPU", "RAM", "GPU"], width: w, height: 180, range: [0, 100] }), this.data());
    // Seed the chart with the last five minutes from the API; live frames keep it moving.
    const t = Math.floor(this.now());
    api.metrics(client.id, { from: t - LIVE_WINDOW, to: t + 1, metrics: LIVE_FIELDS.join(",") }).then((r) => {
      if (this.destroyed) return;
      const [time, ...cols] = toAligned(r, LIVE_FIELDS);
      time.forEach((ts, i) => {
        if (cols.some((c) => c[i] != null)) this.ring.push(ts, Object.fromEntries(LIVE_FIELDS.map((f, k) => [f, cols[k][i]])));
      });
      this.chart?.setData(this.data() as uPlot.AlignedData);
    }).catch(() => { /* the live frames still fill the chart */ });
  }

  private data(): Aligned {
    this.ring.trimBefore(Math.floor(this.now()) - LIVE_WINDOW);
    return withGaps(this.ring.data(), 15);
  }

  push(samples: SampleView[], client: ClientView): void {
    for (const s of samples) this.ring.push(s.ts, s as unknown as Record<string, unknown>);
    this.client = client;
    this.paint();
    this.chart?.setData(this.data() as uPlot.AlignedData);
  }

  private paint(): void {
    const l = this.client.latest;
    const values = (l ?? {}) as Record<string, number | null>;
    for (const [name, g] of this.gauges) {
      const v = values[name] ?? null;
      setText(g.value, formatPercent(v));
      g.bar.style.width = `${Math.max(0, Math.min(100, v ?? 0))}%`;
      g.box.dataset.level = level(v);
      if (v == null) g.box.removeAttribute("aria-valuenow");
      else g.box.setAttribute("aria-valuenow", v.toFixed(1));
    }
    setText(this.docker, formatBytes(values.docker_bytes));
    if (l) {
      setText(this.updated, `updated ${formatTime(l.ts)}`);
      this.updated.dataset.ts = String(l.ts);
    }
    const disks = l?.disks ?? [];
    fill(this.mounts, disks.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Mount"), h("th", { scope: "col" }, "Used"), h("th", { scope: "col" }, "Space"), h("th", { scope: "col" }, "Inodes"))),
      h("tbody", {}, disks.map((d) => h("tr", { "data-mount": d.mount },
        h("th", { scope: "row", class: "mono" }, d.mount),
        h("td", {}, `${formatBytes(d.used_bytes)} / ${formatBytes(d.total_bytes)}`),
        h("td", {}, meter(d.used_percent)),
        h("td", {}, meter(d.inodes_percent, d.inodes_used != null ? `${formatCount(d.inodes_used)} / ${formatCount(d.inodes_total)}` : undefined)))))) :
      empty("No mounts reported."));
    const gpus = l?.gpus ?? [];
    fill(this.gpus, gpus.length ? h("div", { class: "gpu-grid" }, gpus.map((g) => h("div", { class: "gpu card", "data-gpu": String(g.index) },
      h("h3", {}, `GPU ${g.index}`, h("span", { class: "muted" }, ` ${g.name ?? ""}`)),
      h("dl", { class: "kv" },
        h("dt", {}, "Utilisation"), h("dd", {}, meter(g.util_percent)),
        h("dt", {}, "Memory"), h("dd", {}, meter(g.mem_percent, `${formatBytes(g.mem_used_bytes)} / ${formatBytes(g.mem_total_bytes)}`)),
        h("dt", {}, "Temperature"), h("dd", {}, formatCelsius(g.temp_c)),
        h("dt", {}, "Power"), h("dd", {}, formatWatts(g.power_w)))))) :
      empty("No GPUs reported."));
  }

  destroy(): void {
    this.destroyed = true;
    this.chart?.destroy();
  }
}

function meter(percent: number | null, detail?: string): HTMLElement {
  return h("span", { class: "meter", "data-level": level(percent) },
    h("span", { class: "bar small" }, h("span", { class: "bar-fill", style: `width:${Math.max(0, Math.min(100, percent ?? 0))}%` })),
    h("span", { class: "num" }, formatPercent(percent)), detail ? h("span", { class: "muted small" }, detail) : null);
}

// --- History and Stats -----------------------------------------------------------------------------------

interface ChartSet {
  key: string;
  spec: { title: string; unit: "percent" | "bytes" | "celsius" | "watts"; labels: string[]; range?: [number, number] };
  data: Aligned;
}

const hasData = (d: Aligned) => d.slice(1).some((c) => (c as (number | null)[]).some((v) => v != null));

async function loadHistory(id: string, range: RangeName): Promise<ChartSet[]> {
  const [sys, disk, gpu] = await Promise.all([
    api.metrics(id, { range, family: "system", max_points: HISTORY_POINTS }),
    api.metrics(id, { range, family: "disk", metrics: "used_percent,inodes_percent", max_points: HISTORY_POINTS }),
    api.metrics(id, { range, family: "gpu", metrics: "util_percent,mem_percent,temp_c,power_w", max_points: HISTORY_POINTS }),
  ]);
  const sets: ChartSet[] = [
    { key: "cpu-ram-gpu", spec: { title: "CPU, RAM, GPU", unit: "percent", labels: ["CPU", "RAM", "GPU"], range: [0, 100] }, data: toAligned(sys, ["cpu_percent", "ram_percent", "gpu_percent"]) },
    { key: "disk", spec: { title: "Root filesystem: space and inodes", unit: "percent", labels: ["Space", "Inodes"], range: [0, 100] }, data: toAligned(sys, ["disk_percent", "inode_percent"]) },
    { key: "docker", spec: { title: "Docker disk usage", unit: "bytes", labels: ["Docker"] }, data: toAligned(sys, ["docker_bytes"]) },
  ];
  const keyed = (resp: typeof disk, field: string, key: string, title: string, unit: ChartSet["spec"]["unit"], label: (k: string) => string, r?: [number, number]) => {
    if (!resp.series || !Object.keys(resp.series).length) return;
    const j = joinSeries(resp.series, field);
    sets.push({ key, spec: { title, unit, labels: j.keys.map(label), range: r }, data: j.data });
  };
  keyed(disk, "used_percent", "mounts-space", "Mounts: space used", "percent", (k) => k, [0, 100]);
  keyed(disk, "inodes_percent", "mounts-inodes", "Mounts: inodes used", "percent", (k) => k, [0, 100]);
  keyed(gpu, "util_percent", "gpu-util", "GPU utilisation", "percent", (k) => `GPU ${k}`, [0, 100]);
  keyed(gpu, "mem_percent", "gpu-mem", "GPU memory", "percent", (k) => `GPU ${k}`, [0, 100]);
  keyed(gpu, "temp_c", "gpu-temp", "GPU temperature", "celsius", (k) => `GPU ${k}`);
  keyed(gpu, "power_w", "gpu-power", "GPU power", "watts", (k) => `GPU ${k}`);
  return sets.some((s) => hasData(s.data)) ? sets.filter((s) => s.key === "cpu-ram-gpu" || hasData(s.data)) : [];
}

function statsTable(resp: import("../types").StatsResponse): HTMLElement {
  const rows = statsRows(resp);
  if (!rows.some((r) => r.count > 0)) return empty(`No data in the last ${resp.range ?? "range"}.`);
  const cell = (unit: Parameters<typeof formatUnit>[0], v: number | null) =>
    h("td", { "data-raw": v == null ? "" : String(v) }, formatUnit(unit, v));
  return h("div", {},
    h("table", { class: "table stats-table", id: "stats-table" },
      h("caption", {}, `Last ${resp.range ?? ""}: ${formatTime(resp.from)} to ${formatTime(resp.to)}`),
      h("thead", {}, h("tr", {}, ["Metric", "Min", "Avg", "Max", "p95", "Samples"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((r) => h("tr", { "data-metric": r.metric.name },
        h("th", { scope: "row" }, r.metric.label),
        cell(r.metric.unit, r.min), cell(r.metric.unit, r.avg), cell(r.metric.unit, r.max), cell(r.metric.unit, r.p95),
        h("td", { "data-raw": String(r.count) }, formatCount(r.count)))))),
    resp.exact ? null : h("p", { class: "muted small" }, `p95 is estimated from rollups (error at most ±${resp.p95_max_error ?? "?"}).`));
}
