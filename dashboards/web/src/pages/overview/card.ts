// One host's card on the overview: hostname, online badge, last seen, current values and a sparkline of CPU
// and RAM (an inline SVG, sparkline.ts). The card only paints; the grid (grid.ts) decides when, and hands it
// the sparkline width. Cards have a fixed size (style.css), so painting one never shifts the others.
import { alertCondition, alertSubject, type ActiveAlert } from "../../alertstore";
import { api } from "../../api";
import { h, setText } from "../../dom";
import { updateNote } from "../../update";
import { formatAgo } from "../../format";
import { Ring } from "../../shape";
import type { ClientView, SampleView } from "../../types";
import { CELLS, cellLevel, cellText, cellValue, paintOnline } from "./cells";
import { Sparkline } from "./sparkline";

const SPARK_FIELDS = ["cpu_percent", "ram_percent"];
const SPARK_POINTS = 60;
const SEED_SECONDS = 600;

export class Card {
  readonly el: HTMLLIElement;
  /** Changed since the last paint: the grid repaints dirty cards while they are visible. */
  dirty = true;
  /** The sparkline's points changed since it was last drawn. */
  sparkDirty = true;
  /** Its sparkline's history was asked for (once, when the card first shows). */
  seeded = false;
  private readonly ring = new Ring(SPARK_FIELDS, SPARK_POINTS);
  private readonly badge = h("span", { class: "badge" });
  private readonly seen = h("span", { class: "seen" });
  /** One fixed-height line: the firing alerts (empty when none), so a card never changes size. */
  private readonly alertLine = h("p", { class: "card-alerts" });
  /** One fixed-height line of the host's labels (key=value). */
  private readonly labelLine = h("p", { class: "card-labels" });
  private labelsPainted = "";
  private alerts: ActiveAlert[] = [];
  private alertsPainted = true;
  private readonly values = new Map<string, HTMLElement>();
  private readonly line = new Sparkline();
  private readonly spark = h("div", { class: "spark", "aria-hidden": "true" }, this.line.el);

  /** Builds the card with its values painted (text is cheap: a card never shows placeholders). */
  constructor(public client: ClientView, now: number, timeout: number) {
    const dl = h("dl", { class: "values" });
    for (const [name, label] of CELLS) {
      const dd = h("dd", { "data-metric": name }, "—");
      this.values.set(name, dd);
      dl.append(h("div", {}, h("dt", {}, label), dd));
    }
    this.el = h("li", { class: "client-card", "data-id": client.id, "data-hostname": client.hostname },
      h("a", { href: `/client/${encodeURIComponent(client.id)}`, class: "card-link" },
        h("div", { class: "card-head" }, h("h2", { class: "hostname" }, client.hostname), this.badge),
        this.seen, this.labelLine, this.alertLine, dl, this.spark));
    if (client.latest) this.ring.push(client.latest.ts, client.latest as unknown as Record<string, unknown>);
    this.paintValues(now, timeout);
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

  /** Live samples' points for the sparkline (the values come with the client's next state, `update`). */
  addPoints(samples: SampleView[]): void {
    for (const s of samples) this.ring.push(s.ts, s as unknown as Record<string, unknown>);
    this.sparkDirty = this.dirty = true;
  }

  /** The sparkline's last 10 minutes from the API (live frames fill it anyway, so a failure is ignored). */
  async seed(now: number): Promise<void> {
    const t = Math.floor(now);
    const r = await api.metrics(this.client.id, { from: t - SEED_SECONDS, to: t + 1, metrics: SPARK_FIELDS.join(","), max_points: SPARK_POINTS });
    const time = r.time ?? [];
    time.forEach((ts, i) => {
      const row = Object.fromEntries(SPARK_FIELDS.map((f) => [f, r.values?.[f]?.[i] ?? null]));
      if (SPARK_FIELDS.some((f) => row[f] != null)) this.ring.push(ts, row);
    });
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
    this.line.draw(this.ring.time, this.ring.values[0], this.ring.values[1], width);
    this.sparkDirty = false;
  }
}
