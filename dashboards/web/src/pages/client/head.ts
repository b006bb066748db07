// The client page's header: back link, hostname, online badge and a line of meta (last seen, agent).
import { h, setText } from "../../dom";
import { formatAgo, formatCount } from "../../format";
import { isOnline } from "../../shape";
import type { ClientView } from "../../types";
import { updateNote } from "../../update";
import type { ServerClock } from "../clock";

/** "last seen 12 s ago · agent 1.4.0 · update 1.5.0 rolled back · 3 samples lost on the host" (each part
 * after the first only when known). */
export function metaText(client: ClientView, now: number): string {
  const update = updateNote(client, true);
  return `last seen ${formatAgo(client.last_seen, now)}` +
    (client.agent_version ? ` · agent ${client.agent_version}` : "") +
    (update ? ` · ${update}` : "") +
    (client.dropped_total ? ` · ${formatCount(client.dropped_total)} samples lost on the host` : "");
}

export class ClientHead {
  private readonly title = h("h1", { class: "hostname" }, "…");
  private readonly badge = h("span", { class: "badge" });
  private readonly meta = h("p", { class: "client-meta" });
  readonly el = h("div", { class: "page-head client-head" },
    h("a", { href: "/", class: "back", "aria-label": "Back to the overview" }, "←"), this.title, this.badge, this.meta);

  paint(client: ClientView, clock: ServerClock): void {
    setText(this.title, client.hostname);
    const online = client.online && isOnline(client.last_seen, clock.now(), clock.timeout);
    setText(this.badge, online ? "online" : "offline");
    this.badge.className = `badge ${online ? "on" : "off"}`;
    setText(this.meta, metaText(client, clock.now()));
  }

  /** The client could not be loaded: a plain title instead of the placeholder. */
  failed(): void {
    setText(this.title, "Client");
  }
}
