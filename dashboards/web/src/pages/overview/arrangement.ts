// Which hosts the overview shows, in which groups and order, and the summary lines. Pure: unit-tested in
// test/overview.test.ts and test/fleet.test.ts; the grid (grid.ts) lays the result out and renders what is on
// screen.
import { naturalCompare, selectClients } from "../../shape";
import type { ClientView } from "../../types";
import { DEFAULT_VIEW, type ViewState } from "./view";

/** The toolbar's choice (view.ts). `alerting` (client id -> firing alerts) comes from the alert store. */
export type Filter = ViewState;

export const NO_FILTER: Readonly<Filter> = DEFAULT_VIEW;

/** What the body shows: the hosts, or a hint that there are no clients or none that matches. */
export type GridState = "grid" | "no-clients" | "no-match";

/** A group's summary: hosts, online, alerting, and the worst (highest) CPU, disk and GPU among them. */
export interface GroupStats {
  hosts: number;
  online: number;
  alerting: number;
  cpu: number | null;
  disk: number | null;
  gpu: number | null;
}

export interface Group {
  /** The label value the hosts share ("" for hosts without the key, and for the one group when not grouping). */
  value: string;
  /** What the header says: "env = prod", "no env". */
  title: string;
  hosts: ClientView[];
  stats: GroupStats;
}

export interface Arrangement {
  groups: Group[];
  /** Ids of the shown hosts in display order (every group's, collapsed ones included). */
  order: string[];
  summary: string;
  state: GridState;
}

/** The shown set of `all` clients under `filter`: groups in order, summary line and what the body shows. */
export function arrangement(all: ClientView[], filter: Filter, alerting?: ReadonlyMap<string, number>,
  rank?: ReadonlyMap<string, number>): Arrangement {
  const hosts = selectClients(all, filter.query, filter.status, filter.sort, alerting, filter.labels, rank);
  const groups = grouped(hosts, filter.group, alerting);
  let online = 0;
  for (const c of all) if (c.online) online++;
  return {
    groups,
    order: hosts.map((c) => c.id),
    summary: summaryText(all.length, online, hosts.length),
    state: !all.length ? "no-clients" : !hosts.length ? "no-match" : "grid",
  };
}

/** Hosts (already in display order) split by the value of label `key`: groups by value in natural order,
 * hosts without the key last; one group of all when `key` is "". Each group keeps the hosts' order. */
export function grouped(hosts: ClientView[], key: string, alerting?: ReadonlyMap<string, number>): Group[] {
  if (!key) return hosts.length ? [group("", "", hosts, alerting)] : [];
  const by = new Map<string, ClientView[]>();
  for (const c of hosts) {
    const v = c.labels?.[key] ?? "";
    const list = by.get(v);
    if (list) list.push(c);
    else by.set(v, [c]);
  }
  const values = [...by.keys()].sort((a, b) => (a === "" ? 1 : b === "" ? -1 : naturalCompare(a, b)));
  return values.map((v) => group(v, v ? `${key} = ${v}` : `no ${key}`, by.get(v)!, alerting));
}

function group(value: string, title: string, hosts: ClientView[], alerting?: ReadonlyMap<string, number>): Group {
  return { value, title, hosts, stats: groupStats(hosts, alerting) };
}

export function groupStats(hosts: readonly ClientView[], alerting?: ReadonlyMap<string, number>): GroupStats {
  const s: GroupStats = { hosts: hosts.length, online: 0, alerting: 0, cpu: null, disk: null, gpu: null };
  for (const c of hosts) {
    if (c.online) s.online++;
    if (alerting?.has(c.id)) s.alerting++;
    const l = c.latest;
    if (!l || !c.online) continue; // an offline host's last values are history, not the group's state
    if (l.cpu_percent != null && (s.cpu == null || l.cpu_percent > s.cpu)) s.cpu = l.cpu_percent;
    if (l.disk_percent != null && (s.disk == null || l.disk_percent > s.disk)) s.disk = l.disk_percent;
    if (l.gpu_percent != null && (s.gpu == null || l.gpu_percent > s.gpu)) s.gpu = l.gpu_percent;
  }
  return s;
}

/** A group header's summary: "12 hosts · 10 online · 2 alerting · worst CPU 93 % · disk 71 % · GPU 88 %". */
export function groupSummaryText(s: GroupStats): string {
  const pct = (v: number | null) => (v == null ? "—" : `${Math.round(v)} %`);
  return `${s.hosts} host${s.hosts === 1 ? "" : "s"} · ${s.online} online · ${s.alerting} alerting · ` +
    `worst CPU ${pct(s.cpu)} · disk ${pct(s.disk)} · GPU ${pct(s.gpu)}`;
}

/** "12 clients · 10 online", with "· 3 shown" while a filter hides some. */
export function summaryText(total: number, online: number, shown: number): string {
  return `${total} client${total === 1 ? "" : "s"} · ${online} online` + (shown !== total ? ` · ${shown} shown` : "");
}

/** Every label key the hosts carry, sorted: what the "Group by" menu offers. */
export function labelKeys(all: readonly ClientView[]): string[] {
  const keys = new Set<string>();
  for (const c of all) for (const k in c.labels ?? {}) keys.add(k);
  return [...keys].sort(naturalCompare);
}

/** Sorts by a live value: a re-arrangement (for whatever reason) also brings their order up to date. */
const VALUE_SORTS: readonly string[] = ["cpu", "disk", "gpu", "last_seen"];

/**
 * Whether a change of `what` (the hosts' online states, or the firing alerts) changes which hosts `view` shows
 * or their order, so the whole arrangement must be made again; otherwise the summary line and the group
 * summaries follow alone (cheap: no sort, no new layout of 5,000 hosts every second). Value sorts keep
 * re-arranging on either, as they always did.
 */
export function rearrangeOn(what: "online" | "alerts", view: Readonly<ViewState>): boolean {
  if (VALUE_SORTS.includes(view.sort)) return true;
  if (what === "online") return view.sort === "status" || view.status === "online" || view.status === "offline";
  return view.sort === "alerting" || view.status === "alerting";
}

/** The number of online hosts (the summary line's second figure). */
export function onlineCount(all: Iterable<ClientView>): number {
  let n = 0;
  for (const c of all) if (c.online) n++;
  return n;
}
