// The values a card or table row shows and how they read (pure: unit-tested in test/overview.test.ts), and the
// online badge both paint.
import { formatBytes, formatPercent, level } from "../../format";
import type { ClientView } from "../../types";
import { setText } from "../../dom";
import { isOnline } from "../../shape";

/** The card's cells: metric name and label, in display order. */
export const CELLS: readonly (readonly [string, string])[] = [
  ["cpu_percent", "CPU"], ["ram_percent", "RAM"], ["disk_percent", "Disk"],
  ["inode_percent", "Inodes"], ["gpu_percent", "GPU"], ["docker_bytes", "Docker"],
];

/** A cell's text: bytes for Docker, whole percentages for the rest (a card is small). */
export function cellText(metric: string, v: number | null | undefined): string {
  return metric === "docker_bytes" ? formatBytes(v) : formatPercent(v, 0);
}

/** A cell's colour level (its data-level); Docker's bytes have none. */
export function cellLevel(metric: string, v: number | null | undefined): ReturnType<typeof level> | null {
  return metric === "docker_bytes" ? null : level(v);
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
