// One host's card on the overview: hostname, online badge, last seen, current values and a sparkline of CPU
// and RAM (an inline SVG, sparkline.ts). The card only paints; the grid (grid.ts) decides when, hands it the
// sparkline width, and binds it to a host: a card that leaves the window shows the next host a scroll brings
// (its elements reused), while the host's sparkline points stay with the grid (SparkData). Cards have a fixed
// size (style.css), so painting one never shifts the others.
import { alertCondition, alertSubject, type ActiveAlert } from "../../alertstore";
import { api } from "../../api";
import { h, setText } from "../../dom";
import { updateNote } from "../../update";
import { formatAgo } from "../../format";
import { Ring } from "../../shape";
import type { ClientView, SampleView } from "../../types";
import { CELLS, cellLevel, cellText, cellValue, nameFor, paintOnline, unname } from "./cells";
import { Sparkline } from "./sparkline";

const SPARK_FIELDS = ["cpu_percent", "ram_percent"];
const SPARK_POINTS = 60;
const SEED_SECONDS = 600;

/** One host's sparkline points (its last SPARK_POINTS), kept by the grid apart from the card showing them. */
export class SparkData {
  readonly ring = new Ring(SPARK_FIELDS, SPARK_POINTS);
  /** Its last 10 minutes were asked for (once, when a card first shows the host). */
  seeded = false;

  constructor(latest: SampleView | null) {
    if (latest) this.ring.push(latest.ts, latest as unknown as Record<string, unknown>);
  }

  /** Live samples' points. */
  addPoints(samples: SampleView[]): void {
    for (const s of samples) this.ring.push(s.ts, s as unknown as Record<string, unknown>);
  }

  /** The last 10 minutes from the API (live frames fill it anyway, so a failure is for the caller to ignore). */
  async seed(clientId: string, now: number): Promise<void> {
    const t = Math.floor(now);
    const r = await api.metrics(clientId, { from: t - SEED_SECONDS, to: t + 1, metrics: SPARK_FIELDS.join(","), max_points: SPARK_POINTS });
    const time = r.time ?? [];
    time.forEach((ts, i) => {
      const row = Object.fromEntries(SPARK_FIELDS.map((f) => [f, r.values?.[f]?.[i] ?? null]));
      if (SPARK_FIELDS.some((f) => row[f] != null)) this.ring.push(ts, row);
    });
  }
}

export class Card {
  readonly el: HTMLLIElement;
  /** Changed since the last paint: the grid repaints dirty cards while they are visible. */
  dirty = true;
  /** The sparkline's points changed since it was last drawn. */
  sparkDirty = true;
  /** The host shown (set by bind) and its sparkline points. */
  client!: ClientView;
  private points!: SparkData;
  private readonly name = h("h2", { class: "hostname" });
  private readonly link = h("a", { class: "card-link" });
  private readonly badge = h("span", { class: "badge" });
  private readonly seen = h("span", { class: "seen" });
  /** One fixed-height line: the firing alerts (empty when none), so a card never changes size. */
  private readonly alertLine = h("p", { class: "card-alerts" });
  /** One fixed-height line of the host's labels (key=value). */
  private readonly labelLine = h("p", { class: "card-labels" });
  private labelsPainted: string | null = null;
  private alerts: ActiveAlert[] = [];
  private alertsPainted = false;
  private readonly values = new Map<string, HTMLElement>();
  private readonly line = new Sparkline();
  private readonly spark = h("div", { class: "spark", "aria-hidden": "true" }, this.line.el);

  /** The card's elements, showing no host until bound. */
  constructor() {
    const dl = h("dl", { class: "values" });
    for (const [name, label] of CELLS) {
      const dd = h("dd", { "data-metric": name }, "—");
      this.values.set(name, dd);
      dl.append(h("div", {}, h("dt", {}, label), dd));
    }
    this.link.append(h("div", { class: "card-head" }, this.name, this.badge), this.seen, this.labelLine, this.alertLine, dl, this.spark);
    this.el = h("li", { class: "client-card" }, this.link);
  }

  /** Shows `client` (a new card, or one another host left), painted at once: a reused card never shows its
   * previous host, and a card never shows placeholders. */
  bind(client: ClientView, spark: SparkData, alerts: ActiveAlert[], now: number, timeout: number): void {
    this.client = client;
    this.points = spark;
    nameFor(this.el, this.link, this.name, client);
    this.setAlerts(alerts);
    this.labelsPainted = null;
    this.sparkDirty = this.dirty = true; // the sparkline waits for the grid's width and frame budget
    this.paintValues(now, timeout);
  }

  /** Out of the window, kept for another host: hidden, and no longer named for its last one. */
  release(): void {
    unname(this.el);
  }

  /** The host's firing alerts (from the alert store); painted with the values. */
  setAlerts(alerts: ActiveAlert[]): void {
    this.alerts = alerts;
    this.alertsPainted = false;
    this.dirty = true;
  }

  /** A new state of the client (from a list or a status frame); repainted on the next frame it shows. */
  update(client: ClientView): void {
    this.client = client;
    this.dirty = true;
  }

  /** Its host's sparkline points changed (live samples, or the history asked for). */
  sparkChanged(): void {
    this.sparkDirty = this.dirty = true;
  }

  /** Text, badge and levels: writes only, and only what changed. */
  paintValues(now: number, timeout: number): void {
    const c = this.client;
    paintOnline(this.el, this.badge, c, now, timeout);
    // The agent's version always; of its updates only a failure or a pending target (the card stays small), the
    // whole story (last attempt and result, target) in the tooltip and on the client page.
    const update = updateNote(c);
    const version = c.agent_version ? ` · agent ${c.agent_version}` : "";
    setText(this.seen, `last seen ${formatAgo(c.last_seen, now)}${version}` + (update ? ` · ${update}` : ""));
    const story = updateNote(c, true);
    if (this.seen.title !== story) this.seen.title = story;
    if (!this.alertsPainted) this.paintAlerts(now);
    const labels = Object.entries(c.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(" ");
    if (labels !== this.labelsPainted) {
      this.labelsPainted = labels;
      setText(this.labelLine, labels);
      this.labelLine.title = labels;
    }
    for (const [name] of CELLS) {
      const dd = this.values.get(name)!;
      const v = cellValue(c.latest, name);
      setText(dd, cellText(name, v));
      const lv = cellLevel(name, v);
      if (lv !== null && dd.dataset.level !== lv) dd.dataset.level = lv;
    }
  }

  private paintAlerts(now: number): void {
    this.alertsPainted = true;
    const a = this.alerts;
    const metric = a.filter((x) => x.metric_type !== "offline");
    this.el.dataset.alerting = a.length ? (metric.length ? "metric" : "offline") : "";
    if (!a.length) {
      this.alertLine.replaceChildren();
      this.alertLine.removeAttribute("title");
      if (this.el.dataset.silenced) this.el.dataset.silenced = "";
      return;
    }
    const parts = a.map((x) => (x.metric_type === "offline" ? `offline since ${formatAgo(x.fired_at, now)}`
      : `${alertSubject(x)} ${alertCondition(x)} since ${formatAgo(x.fired_at, now)}`) + (x.silenced ? " (silenced)" : ""));
    const muted = a.filter((x) => x.silenced).length;
    this.el.dataset.silenced = muted ? (muted === a.length ? "all" : "some") : "";
    this.alertLine.replaceChildren(h("span", { class: "badge firing" }, `${a.length} firing`), " ",
      muted ? h("span", { class: "badge silenced" }, muted === a.length ? "silenced" : `${muted} silenced`) : "", muted ? " " : "",
      parts.join(" · "));
    this.alertLine.title = parts.join("\n");
  }

  /** The sparkline at `width` CSS px (0: not measured yet), drawn when its points or its width changed. */
  paintSpark(width: number): void {
    if (width <= 0 || (!this.sparkDirty && this.line.drawn)) return;
    const ring = this.points.ring;
    this.line.draw(ring.time, ring.values[0], ring.values[1], width);
    this.sparkDirty = false;
  }
}
