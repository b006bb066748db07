// Data shaping between the API's JSON and what the views draw. Pure: unit-tested in test/shape.test.ts.
import type { ClientView, LiveFrame, SampleView, SeriesColumns, StatsResponse, FieldStats } from "./types";
import { OVERVIEW_FIELDS, SYSTEM_METRICS, type MetricInfo } from "./metrics";

export type Column = (number | null)[];
/** uPlot's columnar data: [times, series1, series2, ...]. */
export type Aligned = [number[], ...Column[]];

/** The last `capacity` points of some fields, kept in time order (a replayed or repeated ts replaces). */
export class Ring {
  readonly time: number[] = [];
  readonly values: Column[];

  constructor(readonly fields: string[], readonly capacity = 60) {
    this.values = fields.map(() => []);
  }

  push(ts: number, sample: Record<string, unknown>): void {
    const t = this.time;
    let i = t.length;
    while (i > 0 && t[i - 1] > ts) i--;
    const vals = this.fields.map((f) => {
      const v = sample[f];
      return typeof v === "number" && Number.isFinite(v) ? v : null;
    });
    if (i > 0 && t[i - 1] === ts) {
      vals.forEach((v, k) => (this.values[k][i - 1] = v));
      return;
    }
    if (i === 0 && t.length >= this.capacity) return; // older than everything kept
    t.splice(i, 0, ts);
    vals.forEach((v, k) => this.values[k].splice(i, 0, v));
    if (t.length > this.capacity) {
      t.shift();
      this.values.forEach((col) => col.shift());
    }
  }

  /** Drop points older than `minTs` (a window by time, e.g. the last 5 minutes). */
  trimBefore(minTs: number): void {
    while (this.time.length && this.time[0] < minTs) {
      this.time.shift();
      this.values.forEach((col) => col.shift());
    }
  }

  data(): Aligned {
    return [this.time.slice(), ...this.values.map((c) => c.slice())];
  }

  get length(): number {
    return this.time.length;
  }
}

/** Insert nulls where consecutive points are further apart than `maxGap` s, so a chart draws a gap. */
export function withGaps(data: Aligned, maxGap: number): Aligned {
  const [time, ...cols] = data;
  const outT: number[] = [];
  const outC: Column[] = cols.map(() => []);
  for (let i = 0; i < time.length; i++) {
    if (i > 0 && time[i] - time[i - 1] > maxGap) {
      outT.push(time[i - 1] + 1);
      outC.forEach((c) => c.push(null));
    }
    outT.push(time[i]);
    cols.forEach((c, k) => outC[k].push(c[i]));
  }
  return [outT, ...outC];
}

/** The columns of `fields` from a system-family /api/metrics reply, in uPlot's layout. */
export function toAligned(cols: Partial<SeriesColumns>, fields: string[]): Aligned {
  const time = cols.time ?? [];
  return [time, ...fields.map((f) => cols.values?.[f] ?? time.map(() => null))];
}

/**
 * One field of several keyed series (per mount, per GPU) joined on the union of their times, for one chart
 * with a line per key. Keys are returned in the order used for the columns.
 */
export function joinSeries(series: Record<string, SeriesColumns>, field: string): { keys: string[]; data: Aligned } {
  const keys = Object.keys(series).sort(naturalCompare);
  const times = new Set<number>();
  for (const k of keys) for (const t of series[k].time) times.add(t);
  const time = [...times].sort((a, b) => a - b);
  const index = new Map(time.map((t, i) => [t, i]));
  const cols: Column[] = keys.map((k) => {
    const col: Column = new Array(time.length).fill(null);
    const s = series[k];
    const vals = s.values[field] ?? [];
    s.time.forEach((t, i) => (col[index.get(t)!] = vals[i] ?? null));
    return col;
  });
  return { keys, data: [time, ...cols] };
}

// One collator for every comparison: localeCompare with options builds one per call (~100x slower: sorting
// 500 hostnames took tens of milliseconds).
const collator = new Intl.Collator("en", { numeric: true });

export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b);
}

export interface StatsRow extends FieldStats {
  metric: MetricInfo;
}

/** The stats table's rows, in the catalogue's order, for the metrics the reply holds. */
export function statsRows(resp: StatsResponse): StatsRow[] {
  return SYSTEM_METRICS.filter((m) => resp.metrics[m.name]).map((m) => ({ metric: m, ...resp.metrics[m.name] }));
}

export type SortKey = "name" | "status" | "cpu" | "disk" | "gpu" | "last_seen" | "alerting";
export type StatusFilter = "all" | "online" | "offline" | "alerting";

/** Whether a host carries every label of `selector`. */
export function hasLabels(c: ClientView, selector: Readonly<Record<string, string>>): boolean {
  for (const k in selector) if (c.labels?.[k] !== selector[k]) return false;
  return true;
}

/** Whether a text fragment (lower case) is in the hostname or in one of the labels as `key=value`. */
function matchesText(c: ClientView, q: string): boolean {
  if (c.hostname.toLowerCase().includes(q)) return true;
  for (const k in c.labels ?? {}) if (`${k}=${c.labels![k]}`.toLowerCase().includes(q)) return true;
  return false;
}

/** The overview's hosts: filtered by a text fragment (hostname or label), status and labels, sorted (offline
 * first when by status; the busiest first by CPU, disk or GPU). */
export function selectClients(clients: ClientView[], query: string, status: StatusFilter, sort: SortKey,
  alerting: ReadonlyMap<string, number> = new Map(), labels: Readonly<Record<string, string>> = {},
  rank?: ReadonlyMap<string, number>): ClientView[] {
  const q = query.trim().toLowerCase();
  const anyLabel = Object.keys(labels).length > 0;
  const out = clients.filter((c) =>
    (!q || matchesText(c, q)) && (!anyLabel || hasLabels(c, labels)) &&
    (status === "all" || (status === "alerting" ? alerting.has(c.id) : (status === "online") === c.online)));
  if (!rank) {
    const byName = (a: ClientView, b: ClientView) => naturalCompare(a.hostname, b.hostname);
    return out.sort((a, b) => primary(sort, a, b, alerting) || byName(a, b));
  }
  // With `rank` (id -> position in natural hostname order, nameRanks) each host's rank and sort value are read
  // once, and the sort compares numbers only: sorting 5,000 hosts with the collator (or with two map lookups
  // per comparison) cost tens of ms, too much to repeat on every status change.
  const keyed = out.map((c) => ({ c, r: rank.get(c.id) ?? 0, v: sortValue(sort, c, alerting) }));
  keyed.sort((a, b) => a.v - b.v || a.r - b.r);
  return keyed.map((k) => k.c);
}

/** What `sort` orders by before the name, as a number where smaller comes first (0 for "name"). */
function sortValue(sort: SortKey, c: ClientView, alerting: ReadonlyMap<string, number>): number {
  switch (sort) {
    case "name": return 0;
    case "status": return Number(c.online); // offline first
    case "cpu": return -(c.latest?.cpu_percent ?? -1); // busiest first
    case "disk": return -(c.latest?.disk_percent ?? -1);
    case "gpu": return -(c.latest?.gpu_percent ?? -1);
    case "last_seen": return -(c.last_seen ?? 0);
    case "alerting": return -(alerting.get(c.id) ?? 0);
  }
}

function primary(sort: SortKey, a: ClientView, b: ClientView, alerting: ReadonlyMap<string, number>): number {
  return sortValue(sort, a, alerting) - sortValue(sort, b, alerting);
}

/** Each client's position in natural hostname order: what selectClients sorts by name with. */
export function nameRanks(clients: readonly ClientView[]): Map<string, number> {
  const sorted = [...clients].sort((a, b) => naturalCompare(a.hostname, b.hostname));
  return new Map(sorted.map((c, i) => [c.id, i]));
}

/** Every frame inside one WebSocket message (a batch holds several). */
export function unpack(frame: LiveFrame): LiveFrame[] {
  return frame.type === "batch" ? frame.frames.flatMap(unpack) : [frame];
}

/** A client after a batch of live samples: newest values, last seen, online. `keep` is what of a new newest
 * sample the client holds (overviewOf: the overview's fields only). */
export function applySamples(client: ClientView, samples: SampleView[],
  keep: (s: SampleView) => SampleView = (s) => s): ClientView {
  let latest = client.latest;
  for (const s of samples) if (!latest || s.ts >= latest.ts) latest = s;
  if (latest && latest !== client.latest) latest = keep(latest);
  const lastSeen = Math.max(client.last_seen ?? 0, latest?.ts ?? 0) || null;
  return { ...client, latest, last_seen: lastSeen, online: true };
}

/** The overview's part of a sample (OVERVIEW_FIELDS, what the listing's ?fields=overview sends): the overview
 * holds every host's newest sample between its reports, and a whole one (its disk, GPU, temperature and
 * container lists) kept for 5,000 hosts was most of the page's JavaScript heap. */
export function overviewOf(s: SampleView): SampleView {
  const out: Record<string, unknown> = {};
  const from = s as unknown as Record<string, unknown>;
  for (const f of OVERVIEW_FIELDS) if (f in from) out[f] = from[f];
  return out as unknown as SampleView;
}

/** Whether a client counts as online at `now` (the server's rule: seen within the timeout). */
export function isOnline(lastSeen: number | null, now: number, timeout: number): boolean {
  return lastSeen != null && now - lastSeen <= timeout;
}
