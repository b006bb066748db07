// What fires now, shared by every page: GET /api/alerts/active, fetched at start and again whenever the live
// feed says the alerts changed (an "alerts" frame; the API notices the worker's writes once a second) or the
// feed reconnects (frames may have been missed). One fetch per change, however many parts of the page listen.
import { api } from "./api";
import { live } from "./live";
import { unpack } from "./shape";
import type { LiveFrame } from "./types";

export interface Notification {
  channel: string;
  kind: "firing" | "reminder" | "group";
  status: "sent" | "queued" | "retrying" | "failed";
  at: number;
  error: string | null;
}

export interface ActiveAlert {
  rule: string;
  rule_id: number | null;
  client_id: string;
  hostname: string;
  metric_type: string;
  status: "pending" | "firing";
  mount: string | null;
  gpu: number | null;
  value: number | null;
  threshold: number | null;
  direction: "above" | "below" | null;
  duration_sec: number | null;
  since: number | null;
  fired_at: number | null;
  incident_id: number | null;
  notifications: Notification[];
  /** A silence mutes it now (notifications withheld), until `silenced_until`. */
  silenced: boolean;
  silenced_until: number | null;
}

export interface ActiveAlerts {
  alerts: ActiveAlert[];
  firing: number;
  pending: number;
  now: number;
}

type Listener = (a: ActiveAlerts) => void;

const REFETCH_DELAY_MS = 150;

class AlertStore {
  current: ActiveAlerts | null = null;
  private readonly listeners = new Set<Listener>();
  private timer: number | undefined;
  private offs: (() => void)[] = [];
  // Bumped by stop(): a fetch that started before a logout must neither land nor report its 401.
  private generation = 0;
  private inflight: AbortController | null = null;

  start(): void {
    if (this.offs.length) return;
    this.offs.push(live.onFrame((f: LiveFrame) => {
      if (unpack(f).some((x) => x.type === "alerts")) this.soon();
    }));
    let wasOpen = live.state === "open";
    this.offs.push(live.onState((s) => {
      if (s === "open" && !wasOpen) this.soon();
      wasOpen = s === "open";
    }));
    void this.fetch();
  }

  stop(): void {
    this.offs.forEach((f) => f());
    this.offs = [];
    clearTimeout(this.timer);
    this.generation++;
    this.inflight?.abort();
    this.inflight = null;
    this.current = null;
  }

  /** Called now with the current state (when known) and on every change; returns the unsubscribe. */
  listen(fn: Listener): () => void {
    this.listeners.add(fn);
    if (this.current) fn(this.current);
    return () => this.listeners.delete(fn);
  }

  /** Fetch again now: after this page changed something the live feed only reports at the worker's next cycle
   * (a silence it just created). */
  refresh(): void {
    if (this.offs.length) this.soon();
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.fetch(), REFETCH_DELAY_MS);
  }

  private async fetch(): Promise<void> {
    const generation = this.generation;
    this.inflight?.abort();
    const ctl = new AbortController();
    this.inflight = ctl;
    let got: ActiveAlerts;
    try {
      got = await api.call<ActiveAlerts>("GET", "/api/alerts/active", undefined, ctl.signal);
    } catch {
      return; // the header keeps its last count; the next change or reconnect tries again
    } finally {
      if (this.inflight === ctl) this.inflight = null;
    }
    if (generation !== this.generation) return; // stopped (logged out) meanwhile
    this.current = got;
    for (const fn of this.listeners) fn(got);
  }
}

export const alertStore = new AlertStore();

/** "CPU", "/data used", "GPU 0 temperature": what an alert watches, short. */
export function alertSubject(a: { metric_type: string; mount: string | null; gpu: number | null }): string {
  const m = a.metric_type.replace(/^(mount|gpu)_/, "").replace(/_(percent|c|bytes)$/, "").replace(/_/g, " ");
  if (a.metric_type === "offline") return "offline";
  if (a.mount != null) return `${a.mount} ${m}`;
  if (a.gpu != null) return `GPU ${a.gpu} ${m}`;
  return m;
}

/** "93.5 > 50": the value against the threshold ("no report for 60 s" when offline). */
export function alertCondition(a: { metric_type: string; value: number | null; threshold: number | null;
  direction: string | null; duration_sec: number | null }): string {
  if (a.metric_type === "offline") return `no report for ${a.duration_sec ?? "?"} s`;
  const v = a.value == null ? "—" : fmt(a.value);
  const t = a.threshold == null ? "—" : fmt(a.threshold);
  return `${v} ${a.direction === "below" ? "<" : ">"} ${t}`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e6 ? v.toExponential(2) : String(Math.round(v * 10) / 10);
}

/** The "silenced" mark every page puts on a silenced alert or incident (null when it is not). */
export function silencedBadge(a: { silenced: boolean; silenced_until?: number | null }): HTMLElement | null {
  if (!a.silenced) return null;
  const el = document.createElement("span");
  el.className = "badge silenced";
  el.textContent = "silenced";
  if (a.silenced_until != null) el.title = `silenced until ${clockTime(a.silenced_until)}`;
  return el;
}

/** Local time of an epoch second: "14:03:07", with the date when not today. */
export function clockTime(ts: number | null): string {
  if (ts == null) return "—";
  const d = new Date(ts * 1000);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}
