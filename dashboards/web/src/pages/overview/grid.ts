// The overview's list controller, windowed: the model holds every host; only the group headers, cards or table
// rows on screen (plus a margin) show, each placed at the offset layout.ts gives it. Live frames update the
// model (and the card or row showing the host, if any) and mark what is on screen dirty; one animation frame
// repaints at most CARDS_PER_FRAME of them. Scrolling binds the cards and rows that left the window to the hosts
// coming into it (spares, hidden in the list until then); nothing grows with the fleet but the model.
import { empty, fill, h, setText } from "../../dom";
import type { ClientView, LiveFrame } from "../../types";
import type { ServerClock } from "../clock";
import { afterFrame, mergeListed, withStatus } from "../updates";
import type { ActiveAlert } from "../../alertstore";
import { applySamples, nameRanks, overviewOf } from "../../shape";
import { arrangement, groupStats, groupSummaryText, labelKeys, onlineCount, rearrangeOn, summaryText,
  type Arrangement } from "./arrangement";
import { FrameBudget, SEED_DWELL_MS } from "./budget";
import { Card, SparkData } from "./card";
import { GAP, layout, sparkWidthFor, visibleRange, type Layout, type Row } from "./layout";
import { TableRow } from "./row";
import { DEFAULT_VIEW, type ViewState } from "./view";

/** A status change re-sorts after this long, so a fleet coming back online does not re-sort per frame. */
const ARRANGE_DELAY_MS = 1000;
/** How far beyond the viewport (each side, in viewport heights) parts are mounted, so a scroll finds them. */
const OVERSCAN = 1;
/** Hosts whose sparkline points are kept after their card leaves the window, the ones left longest ago dropped
 * first: scrolling back finds them, while a scroll through 5,000 hosts does not keep 5,000 histories. */
export const KEEP_UNMOUNTED = 200;
/** Cards (and rows) kept hidden in the list after they leave the window, to show the next hosts a scroll
 * brings: binding one costs its text, where a new one cost its elements, their styles and layout objects. A
 * scroll through 5,000 hosts built and dropped the window's 75 parts at each jump, and Blink's heap, filling
 * with them, set off most of the major garbage collections (README, "fifth pass"). Beyond this, a part that
 * leaves is removed. */
export const MAX_SPARE = 120;

/** A mounted part and when it was mounted (performance.now()). */
type Part = { el: HTMLElement; key: string; since: number };
/** A card or row: what the spare lists hold. */
type Bound = { el: HTMLElement; release(): void };

export class Grid {
  /** The list (#clients); `body` holds it or an empty state. */
  readonly el = h("ul", { class: "fleet", id: "clients", "aria-label": "Clients" });
  private view: ViewState = { ...DEFAULT_VIEW };
  /** Every host's newest state: what the arrangement and the group summaries read. */
  private readonly model = new Map<string, ClientView>();
  /** The cards and rows bound to a host now (mounted), by host id. */
  private readonly cards = new Map<string, Card>();
  private readonly tableRows = new Map<string, TableRow>();
  private readonly spareCards: Card[] = [];
  private readonly spareRows: TableRow[] = [];
  /** Sparkline points by host id: the mounted cards' hosts and the KEEP_UNMOUNTED left last. */
  private readonly sparks = new Map<string, SparkData>();
  private readonly heads = new Map<string, HTMLElement>();
  /** What is in the DOM now, by key ("c:<id>", "r:<id>", "h:<value>"), with the position it was given. */
  private readonly mounted = new Map<string, Part>();
  private readonly placed = new WeakMap<HTMLElement, string>();
  /** Hosts whose card left the window, the one that left longest ago first (their sparks are kept). */
  private readonly parked = new Map<string, true>();
  private alerting = new Map<string, ActiveAlert[]>();
  private alertCounts = new Map<string, number>();
  private arr: Arrangement | null = null;
  /** Host id -> position by name, recomputed when the list brings new hostnames (sorting by rank is cheap). */
  private rank = new Map<string, number>();
  private lay: Layout | null = null;
  private width = 0;
  private sparkWidth = 0;
  private layoutDirty = true;
  private statsDirty = false;
  /** A host went on- or offline and the view did not need a new arrangement: the summary line follows. */
  private summaryDirty = false;
  private frameRequested = false;
  private arrangeTimer: number | undefined;
  private seedTimer: number | undefined;
  private disposed = false;
  /** The first client list arrived (until then the body keeps its "Loading" state). */
  private loaded = false;
  private readonly ro = new ResizeObserver(() => this.onResize());
  private readonly onScroll = () => this.schedule();
  /** Told when the label keys of the fleet change (the toolbar's "Group by" menu). */
  onKeys: (keys: string[]) => void = () => {};
  private keysText = "";

  constructor(private readonly body: HTMLElement, private readonly summary: HTMLElement, private readonly clock: ServerClock) {
    this.ro.observe(this.body);
    window.addEventListener("scroll", this.onScroll, { passive: true });
  }

  /** Whether any host is known (a failed reload then keeps the list instead of an error). */
  get size(): number {
    return this.model.size;
  }

  /** A client list from the API: the model follows it (new, changed and removed hosts). */
  async applyList(clients: ClientView[]): Promise<void> {
    this.loaded = true;
    const seen = new Set<string>();
    for (const c of clients) {
      seen.add(c.id);
      const had = this.model.get(c.id);
      const next = had ? mergeListed(c, had) : c;
      this.model.set(c.id, next);
      this.cards.get(c.id)?.update(next);
      this.tableRows.get(c.id)?.update(next);
    }
    for (const id of [...this.model.keys()]) if (!seen.has(id)) this.forget(id);
    if (clients.some((c) => !this.rank.has(c.id)) || this.rank.size !== clients.length) this.rank = nameRanks(clients);
    const keys = labelKeys(clients);
    if (keys.join(",") !== this.keysText) {
      this.keysText = keys.join(",");
      this.onKeys(keys);
    }
    this.arrange();
  }

  /** A live frame about one client. Returns true when the client is unknown (the list should be fetched). */
  onFrame(f: LiveFrame): boolean {
    if (!("client_id" in f)) return false;
    const had = this.model.get(f.client_id);
    if (!had) return f.type !== "removed";
    if (f.type === "removed") {
      this.forget(f.client_id);
      this.arrange();
      return false;
    }
    const next = f.type === "samples" ? applySamples(had, f.samples, overviewOf) : f.type === "status" ? withStatus(had, f) : afterFrame(had, f);
    if (!next) return false;
    this.model.set(f.client_id, next);
    // Data only: a card or row repaints when (and only if) it is on screen.
    const card = this.cards.get(f.client_id);
    if (f.type === "samples") {
      const spark = this.sparks.get(f.client_id);
      spark?.addPoints(f.samples);
      if (spark) card?.sparkChanged();
    }
    card?.update(next);
    this.tableRows.get(f.client_id)?.update(next);
    if (had.online !== next.online) {
      if (rearrangeOn("online", this.view)) this.arrangeSoon();
      else this.summaryDirty = true;
    }
    this.statsDirty = true;
    if (this.mounted.has(`c:${f.client_id}`) || this.mounted.has(`r:${f.client_id}`)) this.schedule();
    return false;
  }

  /** The alerts firing now: each host whose alerts changed repaints (when on screen); the order follows. */
  setAlerts(firing: ActiveAlert[]): void {
    const next = new Map<string, ActiveAlert[]>();
    for (const a of firing) {
      const list = next.get(a.client_id);
      if (list) list.push(a);
      else next.set(a.client_id, [a]);
    }
    for (const id of new Set([...this.alerting.keys(), ...next.keys()])) {
      const now = next.get(id) ?? [];
      this.cards.get(id)?.setAlerts(now);
      this.tableRows.get(id)?.setAlerts(now);
    }
    this.alerting = next;
    this.alertCounts = new Map([...next].map(([id, l]) => [id, l.length]));
    // Only a view that filters or sorts by alerts needs them arranged again; otherwise the group summaries
    // (their "alerting" count) follow at the next refresh, as they did after the arrangement's delay.
    if (rearrangeOn("alerts", this.view)) this.arrangeSoon();
    else this.statsDirty = true;
    this.schedule();
  }

  /** A new view (toolbar, column header, a group folded): re-arrange at once. */
  setView(view: ViewState): void {
    const modeChanged = view.view !== this.view.view;
    this.view = view;
    if (modeChanged) {
      this.unmountAll();
      for (const part of [...this.spareCards.splice(0), ...this.spareRows.splice(0)]) part.el.remove();
    }
    this.arrange();
  }

  /** Ages ("last seen") move every second and group summaries follow the live values: on-screen parts repaint. */
  refresh(): void {
    if (this.statsDirty) this.refreshStats(); // at most once a second, however many frames arrived
    if (this.summaryDirty && this.arr) {
      this.summaryDirty = false;
      setText(this.summary, summaryText(this.model.size, onlineCount(this.model.values()), this.arr.order.length));
    }
    for (const key of this.mounted.keys()) {
      const id = key.slice(2);
      if (key[0] === "c") this.cards.get(id)!.dirty = true;
      else if (key[0] === "r") this.tableRows.get(id)!.dirty = true;
    }
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.arrangeTimer);
    clearTimeout(this.seedTimer);
    this.ro.disconnect();
    window.removeEventListener("scroll", this.onScroll);
  }

  /** The shown hosts, groups, order, summary and empty states after a change of hosts, alerts or view. */
  arrange(): void {
    if (this.disposed || !this.loaded) return;
    clearTimeout(this.arrangeTimer);
    this.arrangeTimer = undefined;
    const a = arrangement([...this.model.values()], this.view, this.alertCounts, this.rank);
    this.arr = a;
    this.statsDirty = false;
    this.summaryDirty = false;
    this.layoutDirty = true;
    setText(this.summary, a.summary);
    if (a.state === "no-clients") fill(this.body, empty("No clients yet.", h("a", { href: "/settings#clients", class: "button" }, "Add a client in Settings")));
    else if (a.state === "no-match") fill(this.body, this.el, empty("No client matches the filter."));
    else if (this.body.firstChild !== this.el || this.body.childNodes.length !== 1) fill(this.body, this.el);
    // At once, not at the next frame: what a filter hides is gone when its event handler returns (at most once
    // a second from live changes; the one forced layout it may cost is small).
    this.flush();
  }

  private arrangeSoon(): void {
    if (this.arrangeTimer === undefined) {
      this.arrangeTimer = window.setTimeout(() => { this.arrangeTimer = undefined; this.arrange(); }, ARRANGE_DELAY_MS);
    }
  }

  private forget(id: string): void {
    this.model.delete(id);
    this.unmount(`c:${id}`);
    this.unmount(`r:${id}`);
    this.parked.delete(id);
    this.sparks.delete(id);
  }

  private onResize(): void {
    const w = this.body.clientWidth; // read where layout is fresh anyway
    if (w > 0 && w !== this.width) {
      this.width = w;
      this.layoutDirty = true;
      this.schedule();
    }
  }

  private schedule(): void {
    if (!this.frameRequested && !this.disposed) {
      this.frameRequested = true;
      requestAnimationFrame(this.flush);
    }
  }

  /** One frame: lay out if needed, mount what is on screen, unmount the rest, repaint dirty parts in budget. */
  private readonly flush = (): void => {
    this.frameRequested = false;
    if (!this.arr || this.arr.state !== "grid") {
      this.unmountAll();
      return;
    }
    // Reads first (layout is clean at the start of a frame), then writes only.
    const listTop = this.el.getBoundingClientRect().top;
    const viewport = window.innerHeight;
    if (!this.width) this.width = this.body.clientWidth;
    if (this.layoutDirty || !this.lay) {
      this.lay = layout(this.arr.groups, !!this.view.group, new Set(this.view.collapsed), this.view.view, this.width);
      this.layoutDirty = false;
      const sw = sparkWidthFor(this.lay.cardWidth);
      if (this.lay.columns > 0 && this.view.view === "cards" && sw !== this.sparkWidth) {
        this.sparkWidth = sw;
        for (const key of this.mounted.keys()) {
          const card = key[0] === "c" ? this.cards.get(key.slice(2)) : undefined;
          if (card) card.sparkDirty = card.dirty = true;
        }
      }
      this.el.style.height = `${this.lay.height}px`;
      // Mounted parts keep their place unless the new layout moves them (mount compares the position): writing
      // the same left/top/width again made every part on screen restyle and lay out at each arrangement.
    }
    const [first, last] = visibleRange(this.lay.rows, -listTop - viewport * OVERSCAN, -listTop + viewport * (1 + OVERSCAN));
    const [vFirst, vLast] = visibleRange(this.lay.rows, -listTop, -listTop + viewport);
    const want = new Set<string>();
    const budget = new FrameBudget();
    const now = this.clock.now();
    let more = false;
    // The rows in the viewport first, then the margins: what a jump leaves for the next frame is off screen.
    const order: number[] = [];
    for (let i = vFirst; i < vLast; i++) order.push(i);
    for (let i = first; i < last; i++) if (i < vFirst || i >= vLast) order.push(i);
    for (const i of order) if (!this.mountRow(this.lay.rows[i], want, budget)) more = true;
    for (const key of [...this.mounted.keys()]) if (!want.has(key)) this.unmount(key);
    for (const key of want) {
      const id = key.slice(2);
      if (key[0] === "c") {
        const card = this.cards.get(id)!;
        if (!card.dirty) continue;
        if (!budget.takeCard()) { more = true; continue; }
        card.dirty = false;
        card.paintValues(now, this.clock.timeout);
        card.paintSpark(this.sparkWidth);
      } else if (key[0] === "r") {
        const row = this.tableRows.get(id)!;
        if (!row.dirty) continue;
        if (!budget.takeCard()) { more = true; continue; }
        row.dirty = false;
        row.paint(now, this.clock.timeout);
      }
    }
    if (this.view.view === "cards") this.seedVisible(vFirst, vLast, budget);
    if (more) this.schedule();
  };

  /** Sparkline histories for the cards that stayed in the viewport SEED_DWELL_MS, a few per frame. */
  private seedVisible(first: number, last: number, budget: FrameBudget): void {
    const t = performance.now();
    let waiting = false;
    for (let i = first; i < last; i++) {
      const row = this.lay!.rows[i];
      if (row.kind !== "cards") continue;
      for (const host of row.hosts) {
        const spark = this.sparks.get(host.id);
        const part = this.mounted.get(`c:${host.id}`);
        if (!spark || spark.seeded || !part) continue;
        if (t - part.since < SEED_DWELL_MS || !budget.takeSeed()) {
          waiting = true;
          continue;
        }
        spark.seeded = true;
        // Each request in a task of its own, after the frame: starting a fetch costs the main thread a few ms
        // (up to 13 ms each on a busy machine, in a trace), so four inside the frame made it a long task.
        window.setTimeout(() => {
          if (this.disposed) return;
          spark.seed(host.id, this.clock.now()).then(() => {
            this.cards.get(host.id)?.sparkChanged(); // whichever card shows the host now, if any
            this.schedule();
          }).catch(() => { /* live frames fill it anyway */ });
        }, 0);
      }
    }
    if (waiting && this.seedTimer === undefined) {
      this.seedTimer = window.setTimeout(() => { this.seedTimer = undefined; this.schedule(); }, SEED_DWELL_MS / 2);
    }
  }

  /** Mounts (or keeps) the parts of one row; false when the frame's budget left some for the next frame. */
  private mountRow(row: Row, want: Set<string>, budget: FrameBudget): boolean {
    if (row.kind === "head") {
      const key = `h:${row.group.value}`;
      want.add(key);
      const el = this.head(row.group.value, row.group.title, row.collapsed, groupSummaryText(row.group.stats));
      this.mount(key, el, 0, row.top, this.width);
      return true;
    }
    if (row.kind === "row") {
      const key = `r:${row.host.id}`;
      if (!this.mounted.has(key) && !budget.takeMount()) return false;
      want.add(key);
      let tr = this.tableRows.get(row.host.id);
      if (!tr) {
        tr = this.spareRows.pop() ?? new TableRow();
        tr.bind(this.model.get(row.host.id) ?? row.host, this.alerting.get(row.host.id) ?? [], this.clock.now(), this.clock.timeout);
        this.tableRows.set(row.host.id, tr);
      }
      this.mount(key, tr.el, 0, row.top, this.width);
      return true;
    }
    const w = this.lay!.cardWidth;
    let all = true;
    row.hosts.forEach((host, i) => {
      const key = `c:${host.id}`;
      if (!this.mounted.has(key) && !budget.takeMount()) {
        all = false;
        return;
      }
      want.add(key);
      let card = this.cards.get(host.id);
      if (!card) {
        const client = this.model.get(host.id) ?? host;
        let spark = this.sparks.get(host.id);
        if (!spark) this.sparks.set(host.id, (spark = new SparkData(client.latest)));
        this.parked.delete(host.id);
        card = this.spareCards.pop() ?? new Card();
        card.bind(client, spark, this.alerting.get(host.id) ?? [], this.clock.now(), this.clock.timeout);
        this.cards.set(host.id, card);
      }
      this.mount(key, card.el, i * (w + GAP), row.top, w);
    });
    return all;
  }

  private head(value: string, title: string, collapsed: boolean, summary: string): HTMLElement {
    let el = this.heads.get(value);
    if (!el) {
      const button = h("button", { type: "button", class: "group-toggle" });
      button.addEventListener("click", () => this.onToggle(value));
      el = h("li", { class: "group-head", "data-group": value }, button, h("span", { class: "group-summary" }));
      this.heads.set(value, el);
    }
    const button = el.firstElementChild as HTMLButtonElement;
    setText(button, title);
    if (button.getAttribute("aria-expanded") !== String(!collapsed)) button.setAttribute("aria-expanded", String(!collapsed));
    setText(el.lastElementChild!, summary);
    return el;
  }

  /** Told when a group header is clicked: the page folds or unfolds it (the URL keeps the choice). */
  onToggle: (value: string) => void = () => {};

  private mount(key: string, el: HTMLElement, x: number, y: number, width: number): void {
    const pos = `${x},${y},${width}`;
    if (this.placed.get(el) !== pos) {
      this.placed.set(el, pos);
      // top/left, not a transform: 5,000 transformed boxes each became a compositor layer to commit per frame.
      el.style.left = `${x}px`;
      el.style.top = `${y}px`;
      el.style.width = `${width}px`;
    }
    if (!this.mounted.has(key)) {
      this.mounted.set(key, { el, key, since: performance.now() });
      if (el.parentNode !== this.el) this.el.append(el); // a spare is in the list already
    }
  }

  private unmount(key: string): void {
    const part = this.mounted.get(key);
    if (!part) return;
    this.mounted.delete(key);
    const id = key.slice(2);
    if (key[0] === "c") {
      this.spare(this.cards.get(id)!, this.spareCards);
      this.cards.delete(id);
      this.parked.set(id, true);
      for (const old of this.parked.keys()) {
        if (this.parked.size <= KEEP_UNMOUNTED) break;
        this.parked.delete(old);
        this.sparks.delete(old);
      }
    } else if (key[0] === "r") {
      this.spare(this.tableRows.get(id)!, this.spareRows);
      this.tableRows.delete(id);
    } else {
      part.el.remove();
    }
  }

  /** A card or row that left the window: kept hidden for the next host, or removed when enough are. */
  private spare<T extends Bound>(part: T, spares: T[]): void {
    if (spares.length < MAX_SPARE) {
      part.release();
      spares.push(part);
    } else {
      part.el.remove();
    }
  }

  private unmountAll(): void {
    for (const key of [...this.mounted.keys()]) this.unmount(key);
  }

  /** Group summaries follow live values (worst CPU, disk, GPU; online): recomputed from the model. */
  private refreshStats(): void {
    this.statsDirty = false;
    if (!this.arr || !this.view.group) return;
    for (const g of this.arr.groups) {
      const hosts = g.hosts.map((c) => this.model.get(c.id) ?? c);
      g.stats = groupStats(hosts, this.alertCounts);
      const el = this.heads.get(g.value);
      if (el && this.mounted.has(`h:${g.value}`)) setText(el.lastElementChild!, groupSummaryText(g.stats));
    }
  }
}
