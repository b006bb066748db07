// The metrics the dashboard shows, with labels and units, and the named time ranges. The data is generated
// from statusmon/metrics.py, api/views/timerange.py and statusmon/meta/overview.py into catalogue.gen.ts; this
// module is its public face.
import { ALERT_LABELS, OVERVIEW_FIELDS, RANGE_SECONDS as RANGE_SECONDS_GEN, RANGES, SYSTEM_METRICS } from "./catalogue.gen";
import type { Unit } from "./format";

export interface MetricInfo {
  name: string;
  label: string;
  unit: Unit;
}

export { ALERT_LABELS, OVERVIEW_FIELDS, RANGES, SYSTEM_METRICS };

export const PERCENT_METRICS = SYSTEM_METRICS.filter((m) => m.unit === "percent");

export function metricInfo(name: string): MetricInfo {
  return SYSTEM_METRICS.find((m) => m.name === name) ?? { name, label: name, unit: "count" };
}

export type RangeName = (typeof RANGES)[number];
export const RANGE_SECONDS: Record<RangeName, number> = RANGE_SECONDS_GEN;
