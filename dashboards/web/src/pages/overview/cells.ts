// The values a card or table row shows and how they read (pure: unit-tested in test/overview.test.ts), and the
// online badge both paint.
import { formatBytes, formatPercent, formatRate, level } from "../../format";
import type { ClientView, SampleView } from "../../types";
import { setText } from "../../dom";
import { isOnline } from "../../shape";

/** The network cell: received plus sent over the host's physical interfaces, per second. */
export const NET = "net_bytes_per_s";

/** The card's cells: metric name and label, in display order. */
export const CELLS: readonly (readonly [string, string])[] = [
  ["cpu_percent", "CPU"], ["ram_percent", "RAM"], ["disk_percent", "Disk"],
  ["inode_percent", "Inodes"], ["gpu_percent", "GPU"], ["docker_bytes", "Docker"], [NET, "Net"],
];

/** A cell's value in a sample: the metric itself, or for the network cell the sum of both directions (null
 *  when the agent sends neither: an older agent, or the first sample after its start). */
export function cellValue(s: SampleView | null, metric: string): number | null {
  if (!s) return null;
  if (metric === NET) {
    const rx = s.net_rx_bytes_per_s, tx = s.net_tx_bytes_per_s;
    return rx == null && tx == null ? null : (rx ?? 0) + (tx ?? 0);
  }
  return (s as unknown as Record<string, number | null | undefined>)[metric] ?? null;
}

/** A cell's text: bytes for Docker, a rate for the network, whole percentages for the rest (a card is small). */
export function cellText(metric: string, v: number | null | undefined): string {
  if (metric === NET) return formatRate(v);
  return metric === "docker_bytes" ? formatBytes(v) : formatPercent(v, 0);
}

/** A cell's colour level (its data-level); Docker's bytes and the network's rate have none. */
export function cellLevel(metric: string, v: number | null | undefined): ReturnType<typeof level> | null {
  return metric === "docker_bytes" || metric === NET ? null : level(v);
}

/** The online/offline badge of a card or table row: rewritten only when the state changes. */
export function paintOnline(el: HTMLElement, badge: HTMLElement, c: ClientView, now: number, timeout: number): void {
  const online = c.online && isOnline(c.last_seen, now, timeout);
  if (el.dataset.online !== String(online)) {
    setText(badge, online ? "online" : "offline");
    badge.className = `badge ${online ? "on" : "off"}`;
    el.dataset.online = String(online);
  }
}

/** A card or row named for the host it shows (grid.ts binds them): data-id, data-hostname, link and name; a
 * spare (unname) shows again. */
export function nameFor(el: HTMLElement, link: HTMLAnchorElement, name: HTMLElement, client: ClientView): void {
  if (el.style.visibility) el.style.visibility = "";
  el.dataset.id = client.id;
  el.dataset.hostname = client.hostname;
  link.href = `/client/${encodeURIComponent(client.id)}`;
  setText(name, client.hostname);
}

/** A card or row out of the window, kept for another host: hidden, and no longer named for its last one. */
export function unname(el: HTMLElement): void {
  el.style.visibility = "hidden";
  delete el.dataset.id;
  delete el.dataset.hostname;
}
