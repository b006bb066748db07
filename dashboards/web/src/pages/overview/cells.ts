// The values a card shows and how they read. Pure: unit-tested in test/overview.test.ts.
import { formatBytes, formatPercent, level } from "../../format";

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
