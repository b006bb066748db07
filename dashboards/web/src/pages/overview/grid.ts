// The overview's grid controller: which cards exist and show, in which order, and when each repaints.
// Built for 500 clients: the first list builds cards in chunks, first screen first; a card's sparkline is
// created only once the card scrolls into view, a few per frame; live frames only mark cards dirty, and one
// animation frame repaints at most CARDS_PER_FRAME visible ones (writes only: the one layout read, the
// sparkline width, happens in a ResizeObserver callback, never between writes).
import { empty, fill, h, setText } from "../../dom";
import type { ClientView, LiveFrame } from "../../types";
import type { ServerClock } from "../clock";
import { afterFrame, mergeListed, withStatus } from "../updates";
import type { ActiveAlert } from "../../alertstore";
import { arrangement, buildOrder, NO_FILTER, sameOrder, type Filter } from "./arrangement";
import { FrameBudget } from "./budget";
import { Card } from "./card";

/** Cards built per task on the first load: the first screen shows at once, no task grows with the fleet. */
const CHUNK = 60;
/** A status change re-sorts after this long, so a fleet coming back online does not re-sort per frame. */
const ARRANGE_DELAY_MS = 1000;

export class Grid {
  /** The list of cards (#clients); `body` holds it or an empty state. */
  readonly el = h("ul", { class: "grid", id: "clients", "aria-label": "Clients" });
  private filter: Filter = { ...NO_FILTER };
  private readonly cards = new Map<string, Card>();
  /** Client id -> its firing alerts (alertstore.ts): the cards' badges and the "alerting" filter and sort. */
  private alerting = new Map<string, ActiveAlert[]>();
  private alertCounts = new Map<string, number>();
  // Clients listed by the API whose cards are not built yet (the first load builds them in chunks): live
  // frames for them update these, so each card starts from the newest values.
  private readonly queued = new Map<string, ClientView>();
  /** The one record of which cards are in (or near) the viewport: only these repaint. */
  private readonly visible = new Set<Card>();
  /** Ids of the shown cards in their DOM order. */
  private order: string[] = [];
  private sparkWidth = 0; // CSS px: every card's sparkline is as wide (equal grid tracks); read on resize only
  private frameRequested = false;
  private arrangeTimer: number | undefined;
  private disposed = false;
  private readonly io = new IntersectionObserver((entries) => this.onIntersect(entries), { rootMargin: "200px" });
  private readonly ro = new ResizeObserver(() => this.onResize());

  constructor(private readonly body: HTMLElement, private readonly summary: HTMLElement, private readonly clock: ServerClock) {
    this.ro.observe(this.el);
  }

  /** Whether any card is built (a failed reload then keeps the grid instead of an error). */
  get size(): number {
    return this.cards.size;
  }

  /**
   * A client list from the API. The first builds every card, in chunks with a task boundary between them;
   * a later one (a new client, a reconnect) updates, adds and removes cards.
   */
  async applyList(clients: ClientView[]): Promise<void> {
    if (!this.cards.size && !this.queued.size && clients.length) {
      await this.build(clients);
      if (this.disposed) return;
      this.arrange();
      this.schedule();
      return;
    }
    if (this.queued.size) return; // the first build is still running: it has every client
    const seen = new Set<string>();
    for (const c of clients) {
      seen.add(c.id);
      const card = this.cards.get(c.id);
      if (card) card.update(mergeListed(c, card.client));
      else this.cards.set(c.id, this.makeCard(c));
    }
    for (const [id, card] of this.cards) if (!seen.has(id)) this.remove(id, card);
    this.arrange();
    this.schedule();
  }

  /** A live frame about one client. Returns true when the client has no card (the list should be fetched). */
  onFrame(f: LiveFrame): boolean {
    const waiting = "client_id" in f ? this.queued.get(f.client_id) : undefined;
    if (waiting) { // its card is not built yet: keep the newest state for it
      const next = afterFrame(waiting, f);
      if (next) this.queued.set(waiting.id, next);
      else this.queued.delete(waiting.id);
      return false;
    }
    if (f.type === "samples") {
      const card = this.cards.get(f.client_id);
      if (!card) return true; // a new client reported
      if (card.addSamples(f.samples)) this.arrangeSoon();
      this.schedule();
    } else if (f.type === "status") {
      const card = this.cards.get(f.client_id);
      if (!card) return true;
      card.update(withStatus(card.client, f));
      this.arrangeSoon();
      this.schedule();
    } else if (f.type === "removed") {
      const card = this.cards.get(f.client_id);
      if (card) {
        this.remove(f.client_id, card);
        this.arrange();
      }
    }
    return false;
  }

  /** The alerts firing now: each card whose alerts changed repaints (when visible); the order follows. */
  setAlerts(firing: ActiveAlert[]): void {
    const next = new Map<string, ActiveAlert[]>();
    for (const a of firing) {
      const list = next.get(a.client_id);
      if (list) list.push(a);
      else next.set(a.client_id, [a]);
    }
    for (const [id, card] of this.cards) {
      const was = this.alerting.get(id);
      const now = next.get(id);
      if (was || now) card.setAlerts(now ?? []);
    }
    this.alerting = next;
    this.alertCounts = new Map([...next].map(([id, l]) => [id, l.length]));
    this.arrangeSoon();
    this.schedule();
  }

  /** A new toolbar choice: re-arrange at once. */
  filterBy(patch: Partial<Filter>): void {
    this.filter = { ...this.filter, ...patch };
    this.arrange();
  }

  /** "last seen" ages every second even without frames: the visible cards repaint. */
  refresh(): void {
    for (const card of this.visible) card.dirty = true;
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.arrangeTimer);
    this.io.disconnect();
    this.ro.disconnect();
    for (const card of this.cards.values()) card.destroy();
  }

  /** The visible set, order, summary and empty states after a change of clients or filter. */
  arrange(): void {
    const all = [...this.cards.values()].map((c) => c.client);
    const a = arrangement(all, this.filter, this.alertCounts);
    // Re-append in order only when the order changed (moves nodes; no re-creation); hidden ones at the end.
    if (!sameOrder(a.order, this.order)) {
      for (const cid of a.order) this.el.append(this.cards.get(cid)!.el);
      this.order = a.order;
    }
    for (const card of this.cards.values()) {
      const hide = !a.shown.has(card.client.id);
      if (card.el.hidden !== hide) card.el.hidden = hide;
    }
    setText(this.summary, a.summary);
    if (a.state === "no-clients") fill(this.body, empty("No clients yet.", h("a", { href: "/settings#clients", class: "button" }, "Add a client in Settings")));
    else if (a.state === "no-match") fill(this.body, this.el, empty("No client matches the filter."));
    else if (this.body.firstChild !== this.el || this.body.childNodes.length !== 1) fill(this.body, this.el);
  }

  private arrangeSoon(): void {
    if (this.arrangeTimer === undefined) {
      this.arrangeTimer = window.setTimeout(() => { this.arrangeTimer = undefined; this.arrange(); }, ARRANGE_DELAY_MS);
    }
  }

  /** The first load: the cards in display order, CHUNK per task. */
  private async build(clients: ClientView[]): Promise<void> {
    const { ordered, shown } = buildOrder(clients, this.filter, this.alertCounts);
    for (const c of ordered) this.queued.set(c.id, c);
    fill(this.body, this.el);
    for (let i = 0; i < ordered.length; i += CHUNK) {
      if (i) await nextTask();
      if (this.disposed) return;
      const els: HTMLElement[] = [];
      for (const c of ordered.slice(i, i + CHUNK)) {
        const latest = this.queued.get(c.id);
        if (!latest) continue; // removed meanwhile
        this.queued.delete(c.id);
        const card = this.makeCard(latest);
        this.cards.set(c.id, card);
        card.el.hidden = !shown.has(c.id);
        els.push(card.el);
      }
      this.el.append(...els);
      this.order.push(...els.filter((el) => !el.hidden).map((el) => el.dataset.id!));
    }
  }

  private makeCard(client: ClientView): Card {
    const card = new Card(client, this.clock.now(), this.clock.timeout);
    const alerts = this.alerting.get(client.id);
    if (alerts) card.setAlerts(alerts);
    this.io.observe(card.el);
    return card;
  }

  private remove(id: string, card: Card): void {
    this.io.unobserve(card.el);
    this.visible.delete(card);
    card.destroy();
    card.el.remove();
    this.cards.delete(id);
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      const card = this.cards.get((e.target as HTMLElement).dataset.id!);
      if (!card) continue;
      if (!e.isIntersecting) {
        this.visible.delete(card);
        continue;
      }
      this.visible.add(card);
      if (!card.seeded) {
        card.seeded = true;
        card.seed(this.clock.now()).then(() => this.schedule()).catch(() => { /* live frames fill the sparkline anyway */ });
      }
      card.dirty = true;
      this.schedule();
    }
  }

  // The sparkline width: read where layout is fresh anyway (a ResizeObserver callback), then redraw them.
  private onResize(): void {
    const spark = this.el.querySelector<HTMLElement>(".client-card:not([hidden]) .spark");
    const w = spark?.clientWidth ?? 0;
    if (w > 0 && w !== this.sparkWidth) {
      this.sparkWidth = w;
      for (const card of this.cards.values()) card.sparkDirty = card.dirty = true;
      this.schedule();
    }
  }

  private schedule(): void {
    if (!this.frameRequested) {
      this.frameRequested = true;
      requestAnimationFrame(this.flush);
    }
  }

  /** One frame's repaint: dirty visible cards within the frame's budget, the rest in the next frame. */
  private readonly flush = (): void => {
    this.frameRequested = false;
    const budget = new FrameBudget();
    const now = this.clock.now();
    let more = false;
    for (const card of this.visible) {
      if (!card.dirty) continue;
      if (!budget.takeCard()) {
        more = true;
        break;
      }
      card.dirty = false;
      card.paintValues(now, this.clock.timeout);
      card.paintSpark(this.sparkWidth, budget);
      if (!card.hasChart && this.sparkWidth > 0) {
        card.dirty = true; // sparkline not created yet: next frame
        more = true;
      }
    }
    if (more) this.schedule();
  };
}

/** A task boundary: lets the browser render (and handle input) between chunks of work. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}
