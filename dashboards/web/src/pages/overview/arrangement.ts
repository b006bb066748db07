// Which cards the overview shows, in which order, and the summary line above them. Pure: unit-tested in
// test/overview.test.ts; the grid (grid.ts) applies the result to the DOM.
import { selectClients, type SortKey, type StatusFilter } from "../../shape";
import type { ClientView } from "../../types";

/** The toolbar's choice: a name fragment, a status (or alerting) and a sort order. `alerting` (client id ->
 * firing alerts) comes from the alert store. */
export interface Filter {
  query: string;
  status: StatusFilter;
  sort: SortKey;
}

export const NO_FILTER: Readonly<Filter> = { query: "", status: "all", sort: "name" };

/** What the body shows: the grid, or a hint that there are no clients or none that matches. */
export type GridState = "grid" | "no-clients" | "no-match";

export interface Arrangement {
  /** Ids of the cards that show, in display order. */
  order: string[];
  /** The same ids, for lookups. */
  shown: Set<string>;
  summary: string;
  state: GridState;
}

/** The visible set of `all` clients under `filter`: order, summary line and what the body shows. */
export function arrangement(all: ClientView[], filter: Filter, alerting?: ReadonlyMap<string, number>): Arrangement {
  const order = selectClients(all, filter.query, filter.status, filter.sort, alerting).map((c) => c.id);
  const online = all.filter((c) => c.online).length;
  return {
    order,
    shown: new Set(order),
    summary: summaryText(all.length, online, order.length),
    state: !all.length ? "no-clients" : !order.length ? "no-match" : "grid",
  };
}

/** "12 clients · 10 online", with "· 3 shown" while a filter hides some. */
export function summaryText(total: number, online: number, shown: number): string {
  return `${total} client${total === 1 ? "" : "s"} · ${online} online` + (shown !== total ? ` · ${shown} shown` : "");
}

/**
 * The order the first load builds cards in: the shown ones in display order (so the first screen fills at
 * once), then the hidden ones. `shown` holds the ids of the first part.
 */
export function buildOrder(clients: ClientView[], filter: Filter, alerting?: ReadonlyMap<string, number>): { ordered: ClientView[]; shown: Set<string> } {
  const ordered = selectClients(clients, filter.query, filter.status, filter.sort, alerting);
  const shown = new Set(ordered.map((c) => c.id));
  ordered.push(...clients.filter((c) => !shown.has(c.id)));
  return { ordered, shown };
}

/** Whether two display orders are the same (then no card node needs to move). */
export function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
