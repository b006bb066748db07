// Alert thresholds on the client's charts: GET /api/clients/<id>/thresholds (the enabled rules that apply to
// each of the client's series, RuleSet.for_series on the server) matched to the History charts. Pure apart
// from `loadThresholds`: unit-tested in test/overlays.test.ts.
import { api } from "../../api";
import { formatUnit } from "../../format";
import type { ThresholdLine } from "../../overlays";
import type { ChartSet } from "./chartsets";

/** One row of the API's reply (extra keys the API may add later are ignored). */
export interface Threshold {
  metric_type: string;
  family: string;
  field: string;
  mount: string | null;
  gpu: number | null;
  threshold: number;
  direction: "above" | "below";
}

/** The client's thresholds; none when they cannot be read (the charts draw without lines). */
export async function loadThresholds(id: string): Promise<Threshold[]> {
  try {
    const r = await api.call<{ thresholds: Threshold[] }>("GET", `/api/clients/${encodeURIComponent(id)}/thresholds`);
    return Array.isArray(r.thresholds) ? r.thresholds : [];
  } catch {
    return [];
  }
}

/**
 * The lines for one chart: a threshold belongs to it when its family and field match one of the chart's
 * series (and, for mounts and GPUs, its mount or GPU is on the chart). Series sharing a threshold share
 * one line, labelled with all of them: "CPU, RAM > 90.0 %".
 */
export function linesFor(set: ChartSet, thresholds: Threshold[]): ThresholdLine[] {
  const byLine = new Map<string, { value: number; sign: string; who: string[] }>();
  for (const t of thresholds) {
    if (t.family !== set.family || !Number.isFinite(t.threshold)) continue;
    let who: string | null = null;
    if (set.keys) {
      const key = t.mount ?? (t.gpu == null ? null : String(t.gpu));
      const i = key == null || set.fields[0] !== t.field ? -1 : set.keys.indexOf(key);
      if (i >= 0) who = set.spec.labels[i];
    } else {
      const i = set.fields.indexOf(t.field);
      if (i >= 0) who = set.spec.labels[i];
    }
    if (who == null) continue;
    const sign = t.direction === "below" ? "<" : ">";
    const k = `${sign}${t.threshold}`;
    const line = byLine.get(k) ?? { value: t.threshold, sign, who: [] };
    if (!line.who.includes(who)) line.who.push(who);
    byLine.set(k, line);
  }
  return [...byLine.values()].map((l) => ({ value: l.value, label: `${l.who.join(", ")} ${l.sign} ${formatUnit(set.spec.unit, l.value)}` }));
}
