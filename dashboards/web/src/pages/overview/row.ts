// One host as a row of the overview's table view: hostname, status, the card's values, last seen, labels and
// firing alerts. Like a card it only paints (writes only, only what changed); the grid decides when, and binds
// it to a host (a row that leaves the window shows the next host a scroll brings).
import type { ActiveAlert } from "../../alertstore";
import { h, setText } from "../../dom";
import { formatAgo } from "../../format";
import type { ClientView } from "../../types";
import { CELLS, cellLevel, cellText, cellValue, nameFor, paintOnline, unname } from "./cells";

/** The table's columns: header text and the sort key a click on it chooses (null: not sortable). */
export const COLUMNS: readonly (readonly [string, string, string | null])[] = [
  ["host", "Host", "name"], ["status", "Status", "status"], ["cpu_percent", "CPU", "cpu"], ["ram_percent", "RAM", null],
  ["disk_percent", "Disk", "disk"], ["inode_percent", "Inodes", null], ["gpu_percent", "GPU", "gpu"],
  ["docker_bytes", "Docker", null], ["net_bytes_per_s", "Net", null], ["seen", "Last seen", "last_seen"], ["alerts", "Alerts", "alerting"],
  ["labels", "Labels", null],
];

export class TableRow {
  readonly el: HTMLLIElement;
  dirty = true;
  private readonly badge = h("span", { class: "badge" });
  private readonly seen = h("span", { class: "cell seen" });
  private readonly alertCell = h("span", { class: "cell alerts" });
  private readonly labelCell = h("span", { class: "cell labels" });
  private readonly values = new Map<string, HTMLElement>();
  private readonly host = h("a", { class: "cell host" });
  private alerts: ActiveAlert[] = [];
  private labelsPainted: string | null = null;
  /** The host shown (set by bind). */
  client!: ClientView;

  /** The row's elements, showing no host until bound. */
  constructor() {
    const cells = CELLS.map(([name]) => {
      const c = h("span", { class: "cell num", "data-metric": name }, "—");
      this.values.set(name, c);
      return c;
    });
    this.el = h("li", { class: "host-row" }, this.host, h("span", { class: "cell status" }, this.badge), ...cells,
      this.seen, this.alertCell, this.labelCell);
  }

  /** Shows `client` (a new row, or one another host left), painted at once. */
  bind(client: ClientView, alerts: ActiveAlert[], now: number, timeout: number): void {
    this.client = client;
    this.alerts = alerts;
    nameFor(this.el, this.host, this.host, client);
    this.labelsPainted = null;
    this.paint(now, timeout);
    this.dirty = false;
  }

  /** Out of the window, kept for another host: hidden, and no longer named for its last one. */
  release(): void {
    unname(this.el);
  }

  update(client: ClientView): void {
    this.client = client;
    this.dirty = true;
  }

  setAlerts(alerts: ActiveAlert[]): void {
    this.alerts = alerts;
    this.dirty = true;
  }

  paint(now: number, timeout: number): void {
    const c = this.client;
    paintOnline(this.el, this.badge, c, now, timeout);
    setText(this.seen, formatAgo(c.last_seen, now));
    for (const [name] of CELLS) {
      const cell = this.values.get(name)!;
      const v = cellValue(c.latest, name);
      setText(cell, cellText(name, v));
      const lv = cellLevel(name, v);
      if (lv !== null && cell.dataset.level !== lv) cell.dataset.level = lv;
    }
    const firing = this.alerts.length;
    setText(this.alertCell, firing ? `${firing} firing` : "");
    const alerting = firing ? (this.alerts.some((a) => a.metric_type !== "offline") ? "metric" : "offline") : "";
    if (this.el.dataset.alerting !== alerting) this.el.dataset.alerting = alerting;
    const text = Object.entries(c.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(" ");
    if (text !== this.labelsPainted) {
      this.labelsPainted = text;
      setText(this.labelCell, text);
      this.labelCell.title = text;
    }
  }
}
