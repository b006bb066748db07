// Where each part of the overview sits: group headers, rows of cards or table rows, each at a known offset, so
// only what is on screen needs to exist in the DOM (windowing). Pure: unit-tested in test/fleet.test.ts.
import type { ClientView } from "../../types";
import type { Group } from "./arrangement";
import type { ViewMode } from "./view";

/** Sizes in CSS px; style.css gives the elements the same. */
export const CARD_HEIGHT = 226;
export const CARD_MIN_WIDTH = 270;
export const GAP = 14;
export const HEAD_HEIGHT = 44;
export const ROW_HEIGHT = 34;
/** A card's sparkline is its width less the link's padding (14 px) and border (1 px) each side. */
export const CARD_INSET = 30;

/** The sparkline's width in a card `cardWidth` wide (whole CSS px), known without reading the DOM. */
export function sparkWidthFor(cardWidth: number): number {
  return Math.max(0, Math.floor(cardWidth) - CARD_INSET);
}

export type Row =
  | { kind: "head"; group: Group; collapsed: boolean; top: number; height: number }
  | { kind: "cards"; hosts: ClientView[]; top: number; height: number }
  | { kind: "row"; host: ClientView; top: number; height: number };

export interface Layout {
  rows: Row[];
  height: number;
  /** Cards per row and each card's width (cards view). */
  columns: number;
  cardWidth: number;
}

/** Columns of cards that fit `width` (at least one), as CSS grid's repeat(auto-fill, minmax(270px, 1fr)). */
export function columnsFor(width: number): number {
  return Math.max(1, Math.floor((width + GAP) / (CARD_MIN_WIDTH + GAP)));
}

/** The rows of `groups` at `width`: a header per group when grouped, then its hosts unless collapsed. */
export function layout(groups: Group[], grouped: boolean, collapsed: ReadonlySet<string>, view: ViewMode,
  width: number): Layout {
  const columns = view === "cards" ? columnsFor(width) : 1;
  const cardWidth = view === "cards" ? Math.max(0, (width - GAP * (columns - 1)) / columns) : width;
  const rows: Row[] = [];
  let top = 0;
  const push = (r: Row) => {
    rows.push(r);
    top += r.height;
  };
  for (const g of groups) {
    const folded = grouped && collapsed.has(g.value);
    if (grouped) push({ kind: "head", group: g, collapsed: folded, top, height: HEAD_HEIGHT });
    if (folded) continue;
    if (view === "table") {
      for (const host of g.hosts) push({ kind: "row", host, top, height: ROW_HEIGHT });
    } else {
      for (let i = 0; i < g.hosts.length; i += columns) {
        push({ kind: "cards", hosts: g.hosts.slice(i, i + columns), top, height: CARD_HEIGHT + GAP });
      }
    }
  }
  return { rows, height: top, columns, cardWidth };
}

/** The index range [first, last) of rows that overlap [from, to) (offsets within the list). */
export function visibleRange(rows: readonly Row[], from: number, to: number): [number, number] {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) { // the first row whose bottom is below `from`
    const mid = (lo + hi) >> 1;
    if (rows[mid].top + rows[mid].height <= from) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < rows.length && rows[end].top < to) end++;
  return [lo, end];
}
