// Client page: Live (gauges, per-mount and per-GPU detail, a 5-minute chart fed by the WebSocket),
// History (charts per unit with a range selector, gaps as gaps, synced cursors) and Stats (min/avg/max/p95).
// This module holds the page's state and wires its parts: the header (head.ts), the tabs (tabs.ts, URL in
// route.ts), the Live tab (liveview.ts), History and Stats (ranged.ts) and the live feed.
import { api, describe } from "../../api";
import { errorBox, fill, h, loading } from "../../dom";
import { live } from "../../live";
import type { RangeName } from "../../metrics";
import { applySamples } from "../../shape";
import type { ClientView, LiveFrame } from "../../types";
import { ServerClock } from "../clock";
import { withStatus } from "../updates";
import { ClientAlerts } from "./alerts";
import { ClientHead } from "./head";
import { ClientLabels } from "./labels";
import { LiveView } from "./liveview";
import { mountRanged, type RangedPage } from "./ranged";
import type { Overlays } from "./history";
import { clientPath, fromQuery, spanFromQuery, windowPath, type Tab, type TimeWindow } from "./route";
import { loadThresholds } from "./thresholds";
import { Tabs } from "./tabs";

export function mountClient(root: HTMLElement, id: string): () => void {
  const page = new ClientPage(root, id);
  return () => page.dispose();
}

class ClientPage implements RangedPage {
  range: RangeName;
  loadSeq = 0;
  window: TimeWindow | null;
  private readonly mark: TimeWindow | null;
  private thresholds: ReturnType<typeof loadThresholds> | null = null;
  private tab: Tab;
  private client: ClientView | null = null;
  private readonly clock = new ServerClock();
  private readonly head = new ClientHead();
  private readonly labels: ClientLabels;
  private readonly alerts: ClientAlerts;
  private readonly tabs = new Tabs((t) => this.select(t));
  private readonly panel = h("section", { class: "panel", role: "tabpanel", tabindex: "0", id: "panel" });
  private panelCleanup: (() => void) | null = null;
  private liveView: LiveView | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(root: HTMLElement, readonly id: string) {
    const query = new URLSearchParams(location.search);
    ({ tab: this.tab, range: this.range } = fromQuery(query));
    ({ window: this.window, mark: this.mark } = spanFromQuery(query));
    this.alerts = new ClientAlerts(id);
    this.labels = new ClientLabels(id, (c) => { this.client = this.client ? { ...this.client, labels: c.labels, label_sources: c.label_sources } : c; });
    root.append(this.head.el, this.labels.el, this.alerts.el, this.tabs.el, this.panel);
    live.subscribe([id]); // watching: the API asks this client's agent to report every second
    this.cleanups.push(live.onFrame((f) => this.onFrame(f)));
    const ticker = window.setInterval(() => this.paintHead(), 1000);
    this.cleanups.push(() => clearInterval(ticker));
    void this.load();
  }

  dispose(): void {
    this.panelCleanup?.();
    this.cleanups.forEach((fn) => fn());
    this.alerts.dispose();
    live.subscribe(null);
  }

  syncUrl(): void {
    history.replaceState(null, "", this.tab === "history" && this.window
      ? windowPath(this.id, this.window, this.mark) : clientPath(this.id, this.tab, this.range));
  }

  now(): number {
    return this.clock.now();
  }

  /** The incident's span (from the link) and the thresholds, fetched once per page and shared by every load. */
  async overlays(): Promise<Overlays> {
    this.thresholds ??= loadThresholds(this.id);
    return { mark: this.mark, thresholds: await this.thresholds };
  }

  /** Show tab `t`: the previous tab's panel is cleaned up and replaced. */
  private select(t: Tab): void {
    this.tab = t;
    this.tabs.mark(t);
    this.panel.setAttribute("aria-labelledby", `tab-${t}`);
    this.syncUrl();
    this.panelCleanup?.();
    this.panelCleanup = null;
    this.liveView = null;
    this.panel.replaceChildren();
    if (!this.client) return;
    if (t === "live") {
      const view = new LiveView(this.panel, this.client, () => this.clock.now());
      this.liveView = view;
      this.panelCleanup = () => view.destroy();
    } else {
      this.panelCleanup = mountRanged(this.panel, t, this);
    }
  }

  private paintHead(): void {
    if (this.client) this.head.paint(this.client, this.clock);
  }

  private async load(): Promise<void> {
    fill(this.panel, loading("Loading client…"));
    try {
      const [c, list] = await Promise.all([api.client(this.id), api.clients().catch(() => null)]);
      this.client = c;
      if (list) this.clock.sync(list);
      document.title = `${c.hostname} · Status Monitor`;
      this.paintHead();
      this.labels.paint(c);
      this.select(this.tab);
    } catch (e) {
      this.head.failed();
      fill(this.panel, errorBox(`Could not load this client: ${describe(e)}`, () => void this.load()));
    }
  }

  private onFrame(f: LiveFrame): void {
    if (!this.client) return;
    if (f.type === "samples" && f.client_id === this.id) {
      this.client = applySamples(this.client, f.samples);
      this.liveView?.push(f.samples, this.client);
      this.paintHead();
    } else if (f.type === "status" && f.client_id === this.id) {
      this.client = withStatus(this.client, f);
      this.paintHead();
    } else if (f.type === "removed" && f.client_id === this.id) {
      fill(this.panel, errorBox("This client was removed."));
    } else if (f.type === "hello") {
      this.clock.timeout = f.online_timeout_seconds;
    }
  }
}
