// The Live tab: a gauge per percentage, Docker's bytes, a 5-minute chart fed by the WebSocket, and the
// mounts and GPUs of the newest sample.
import type uPlot from "uplot";
import { api } from "../../api";
import { lineOptions, mountChart } from "../../charts";
import { fill, h, setText } from "../../dom";
import { formatBytes, formatPercent, formatTime, level } from "../../format";
import { PERCENT_METRICS } from "../../metrics";
import { Ring, toAligned, withGaps, type Aligned } from "../../shape";
import type { ClientView, SampleView } from "../../types";
import { ContainersTable, sparkSvg } from "./containers";
import { dockerBreakdown, gpuCards, hostFigures, mountsTable, tempsTable } from "./tables";

const LIVE_WINDOW = 300; // seconds on the live chart
const LIVE_FIELDS = ["cpu_percent", "ram_percent", "gpu_percent"];
const MAX_GAP = 15; // seconds between points before the chart draws a gap
const SPARK_WINDOW = 600; // seconds of container CPU in each row's sparkline
const SPARK_REFRESH = 30; // seconds between fetches of those series

export class LiveView {
  private ring = new Ring(LIVE_FIELDS, LIVE_WINDOW + 10);
  private chart: uPlot | null = null;
  private gauges = new Map<string, { bar: HTMLElement; value: HTMLElement; box: HTMLElement }>();
  private docker: HTMLElement;
  private updated: HTMLElement;
  private mounts: HTMLElement;
  private gpus: HTMLElement;
  private figures: HTMLElement;
  private dockerKinds: HTMLElement;
  private temps: HTMLElement;
  private containers: ContainersTable;
  private sparks = new Map<string, (number | null)[]>();
  private sparksAt = 0;
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
    this.figures = h("dl", { class: "kv host-figures" });
    this.dockerKinds = h("div", { class: "docker-breakdown" });
    this.temps = h("div", { class: "temps" });
    this.containers = new ContainersTable((name) => {
      const values = this.sparks.get(name);
      return values ? sparkSvg(values) : null;
    });
    el.append(this.updated, gaugeGrid, this.figures, chartBox,
      h("h2", {}, "Mounts"), this.mounts, h("h2", {}, "GPUs"), this.gpus,
      h("h2", {}, "Containers"), this.containers.el, h("h2", {}, "Docker disk usage"), this.dockerKinds,
      h("h2", {}, "Temperatures"), this.temps);
    if (client.latest) this.ring.push(client.latest.ts, client.latest as unknown as Record<string, unknown>);
    this.paint();
    this.chart = mountChart(chartBox, (w) => lineOptions({ title: "Last 5 minutes", unit: "percent", labels: ["CPU", "RAM", "GPU"], width: w, height: 180, range: [0, 100] }), this.data());
    this.seed();
  }

  /** New samples of this client (and its state after them): gauges, tables and chart follow. */
  push(samples: SampleView[], client: ClientView): void {
    for (const s of samples) this.ring.push(s.ts, s as unknown as Record<string, unknown>);
    this.client = client;
    this.paint();
    this.chart?.setData(this.data() as uPlot.AlignedData);
  }

  destroy(): void {
    this.destroyed = true;
    this.chart?.destroy();
  }

  // Seed the chart with the last five minutes from the API; live frames keep it moving.
  private seed(): void {
    const t = Math.floor(this.now());
    api.metrics(this.client.id, { from: t - LIVE_WINDOW, to: t + 1, metrics: LIVE_FIELDS.join(",") }).then((r) => {
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
    return withGaps(this.ring.data(), MAX_GAP);
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
    fill(this.mounts, mountsTable(l?.disks ?? []));
    fill(this.gpus, gpuCards(l?.gpus ?? []));
    fill(this.figures, hostFigures(l ?? {}).flatMap(([key, label, text]) => [h("dt", {}, label), h("dd", { "data-figure": key }, text)]));
    fill(this.dockerKinds, dockerBreakdown(l ?? {}));
    fill(this.temps, tempsTable(l?.temps ?? []));
    if (l?.containers) {
      this.containers.update(l.containers);
      this.loadSparks();
    } else if (!this.containers.el.childElementCount) this.containers.update([]);
  }

  // Each container's CPU over the last minutes, at most every SPARK_REFRESH seconds (the table redraws then).
  private loadSparks(): void {
    const t = Math.floor(this.now());
    if (t - this.sparksAt < SPARK_REFRESH) return;
    this.sparksAt = t;
    api.metrics(this.client.id, { from: t - SPARK_WINDOW, to: t + 1, family: "container", metrics: "cpu_percent" }).then((r) => {
      if (this.destroyed || !r.series) return;
      this.sparks = new Map(Object.entries(r.series).map(([name, s]) => [name, s.values.cpu_percent ?? []]));
      if (this.client.latest?.containers) this.containers.update(this.client.latest.containers);
    }).catch(() => { /* the table stands without its sparklines */ });
  }
}
