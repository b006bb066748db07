// The client page's alerts box: the host's alerts firing or pending now (live, from alertstore.ts) and its
// recent incidents (GET /api/alerts?client_id=), each linking to the history at that time.
import { api } from "../../api";
import { alertCondition, alertStore, alertSubject, clockTime, silencedBadge } from "../../alertstore";
import { h } from "../../dom";
import { formatAgo } from "../../format";
import { incidentLink, type Incident } from "../alerts";

const RECENT = 5;

export class ClientAlerts {
  readonly el = h("section", { class: "client-alerts", id: "client-alerts", "aria-label": "Alerts" });
  private readonly now = h("div", { id: "client-active" });
  private readonly recent = h("div", { id: "client-incidents" });
  private readonly off: () => void;
  private disposed = false;

  constructor(readonly id: string) {
    this.el.append(this.now, this.recent);
    this.off = alertStore.listen((a) => {
      const mine = a.alerts.filter((x) => x.client_id === id);
      this.now.replaceChildren(mine.length
        ? h("div", {}, h("h2", {}, `Alerts now (${mine.length})`), h("ul", {}, mine.map((x) =>
          h("li", { class: `alert-row ${x.status}${x.silenced ? " silenced" : ""}` }, h("span", { class: `badge ${x.status}` }, x.status), " ",
            x.silenced ? silencedBadge(x) : "", x.silenced ? " " : "", `${alertSubject(x)} ${alertCondition(x)} since ${formatAgo(x.fired_at ?? x.since, a.now)}`))))
        : h("p", { class: "muted", id: "client-all-clear" }, "No alert firing or pending on this host."));
      void this.loadRecent();
    });
  }

  private async loadRecent(): Promise<void> {
    try {
      const page = await api.call<{ alerts: Incident[] }>("GET", `/api/alerts?client_id=${encodeURIComponent(this.id)}&limit=${RECENT}`);
      if (this.disposed) return;
      this.recent.replaceChildren(page.alerts.length ? h("details", {}, h("summary", {}, `Recent incidents (${page.alerts.length})`),
        h("ul", {}, page.alerts.map((i) => h("li", { class: `incident${i.silenced ? " silenced" : ""}` }, silencedBadge(i), i.silenced ? " " : "",
          h("a", { href: incidentLink(i.client_id, i.fired_at, i.resolved_at) }, `${alertSubject(i)} ${alertCondition(i)}`),
          ` · fired ${clockTime(i.fired_at)} · ${i.resolved_at == null ? "ongoing" : `resolved ${clockTime(i.resolved_at)}`}`)))) : "");
    } catch {
      // the box keeps what it showed; the next change tries again
    }
  }

  dispose(): void {
    this.disposed = true;
    this.off();
  }
}
