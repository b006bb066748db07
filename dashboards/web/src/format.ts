// Units as the dashboard prints them. Pure functions: unit-tested in test/format.test.ts.

export const DASH = "—";

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  let n = Math.abs(v);
  let i = 0;
  while (n >= 1024 && i < BYTE_UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 ? 0 : n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${v < 0 ? "-" : ""}${n.toFixed(digits)} ${BYTE_UNITS[i]}`;
}

export function formatPercent(v: number | null | undefined, digits = 1): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return `${v.toFixed(digits)} %`;
}

export function formatCelsius(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return `${v.toFixed(0)} °C`;
}

export function formatWatts(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} W`;
}

export function formatCount(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return Math.round(v).toLocaleString("en-US");
}

export function formatRate(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return `${formatBytes(v)}/s`;
}

export function formatPerSecond(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s`;
}

export function formatLoad(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return DASH;
  return v.toFixed(2);
}

export type Unit = "percent" | "bytes" | "celsius" | "watts" | "count" | "bytes_per_second" | "per_second" | "load";

export function formatUnit(unit: Unit, v: number | null | undefined): string {
  switch (unit) {
    case "percent":
      return formatPercent(v);
    case "bytes":
      return formatBytes(v);
    case "celsius":
      return formatCelsius(v);
    case "watts":
      return formatWatts(v);
    case "count":
      return formatCount(v);
    case "bytes_per_second":
      return formatRate(v);
    case "per_second":
      return formatPerSecond(v);
    case "load":
      return formatLoad(v);
  }
}

/** "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago", or "never". */
export function formatAgo(ts: number | null | undefined, now: number): string {
  if (ts == null) return "never";
  const d = Math.max(0, Math.round(now - ts));
  if (d < 2) return "just now";
  if (d < 60) return `${d} s ago`;
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

/** A unix time as local "YYYY-MM-DD HH:MM:SS" (tz offset injectable for tests). */
export function formatTime(ts: number, tzOffsetMinutes = new Date(ts * 1000).getTimezoneOffset()): string {
  const d = new Date((ts - tzOffsetMinutes * 60) * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** A level for colouring a percentage: ok below 75, warn below 90, crit from 90. */
export function level(percent: number | null | undefined): "ok" | "warn" | "crit" | "none" {
  if (percent == null || !Number.isFinite(percent)) return "none";
  if (percent >= 90) return "crit";
  if (percent >= 75) return "warn";
  return "ok";
}
