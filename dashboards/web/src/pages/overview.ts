// Overview: a card per client with online badge, last seen, current values and a live sparkline.
// Built for 500 clients: cards have a fixed size (no layout shift) and are created in chunks, first screen
// first; a card's uPlot sparkline is created only once the card scrolls into view, a few per frame; live
// frames only mark cards dirty, and one animation frame repaints the visible ones (writes only: the one layout
// read, the sparkline width, happens in an observer callback, never between writes).
import type uPlot from "uplot";
import uPlotCtor from "uplot";
import { api, describe } from "../api";
import { sparklineOptions } from "../charts";
import { empty, errorBox, fill, h, loading, setText } from "../dom";
import { formatAgo, formatBytes, formatPercent, level } from "../format";
import { live } from "../live";
import { applySamples, isOnline, Ring, selectClients, type SortKey, type StatusFilter } from "../shape";
import type { ClientView, LiveFrame } from "../types";

const SPARK_FIELDS = ["cpu_percent", "ram_percent"];
const CELLS: [string, string][] = [
  ["cpu_percent", "CPU"], ["ram_percent", "RAM"], ["disk_percent", "Disk"],
  ["inode_percent", "Inodes"], ["gpu_percent", "GPU"], ["docker_bytes", "Docker"],
];

interface Card {
  client: ClientView;
  ring: Ring;
  el: HTMLElement;
  badge: HTMLElement;
  seen: HTMLElement;
  values: Map<string, HTMLElement>;
  spark: HTMLElement;
  chart: uPlot | null;
  dirty: boolean;
  sparkDirty: boolean;
  seeded: boolean;
}

export function mountOverview(root: HTMLElement): () => void {
  const cards = new Map<string, Card>();
  let timeout = 60;
  let skew = 0; // server clock minus ours, so "12 s ago" is right on a machine whose clock is off
  let query = "";
  let status: StatusFilter = "all";
  let sort: SortKey = "name";
  let frameRequested = false;
  let refetchTimer: number | undefined;
  let disposed = false;
  let sparkWidth = 0; // CSS px: every card's sparkline is as wide (equal grid tracks); read on resize only
  // Clients listed by the API whose cards are not built yet (the first load builds them in chunks): live
  // frames for them update these, so each card starts from the newest values.
  const queued = new Map<string, ClientView>();
  const visible = new Set<Card>();
  const now = () => Date.now() / 1000 + skew;

  const search = h("input", { type: "search", id: "filter", placeholder: "Filter by name", autocomplete: "off", "aria-label": "Filter by name" });
  const statusSel = h("select", { id: "status-filter", "aria-label": "Status" },
    h("option", { value: "all" }, "All"), h("option", { value: "online" }, "Online"), h("option", { value: "offline" }, "Offline"));
  const sortSel = h("select", { id: "sort", "aria-label": "Sort by" },
    h("option", { value: "name" }, "Name"), h("option", { value: "status" }, "Status (offline first)"),
    h("option", { value: "cpu" }, "CPU (busiest first)"), h("option", { value: "last_seen" }, "Last seen"));
  const summary = h("p", { class: "summary", id: "summary", "aria-live": "polite" });
  const grid = h("ul", { class: "grid", id: "clients", "aria-label": "Clients" });
  const body = h("div", { class: "overview-body" }, loading("Loading clients…"));
  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Overview"), summary),
    h("div", { class: "toolbar", role: "search" },
      h("label", { class: "field" }, h("span", {}, "Filter"), search),
      h("label", { class: "field" }, h("span", {}, "Status"), statusSel),
      h("label", { class: "field" }, h("span", {}, "Sort"), sortSel)),
    body);

  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const card = cards.get((e.target as HTMLElement).dataset.id!);
      if (!card) continue;
      if (!e.isIntersecting) {
        visible.delete(card);
        continue;
      }
      visible.add(card);
      if (!card.seeded) {
        card.seeded = true;
        seedSpark(card);
      }
      card.dirty = true;
      schedule();
    }
  }, { rootMargin: "200px" });

  // The sparkline width: read where layout is fresh anyway (a ResizeObserver callback), then redraw them.
  const ro = new ResizeObserver(() => {
    const spark = grid.querySelector<HTMLElement>(".client-card:not([hidden]) .spark");
    const w = spark?.clientWidth ?? 0;
    if (w > 0 && w !== sparkWidth) {
      sparkWidth = w;
      for (const card of cards.values()) card.sparkDirty = card.dirty = true;
      schedule();
    }
  });
  ro.observe(grid);

  function makeCard(client: ClientView): Card {
    const badge = h("span", { class: "badge" });
    const seen = h("span", { class: "seen" });
    const values = new Map<string, HTMLElement>();
    const dl = h("dl", { class: "values" });
    for (const [name, label] of CELLS) {
      const dd = h("dd", { "data-metric": name }, "—");
      values.set(name, dd);
      dl.append(h("div", {}, h("dt", {}, label), dd));
    }
    const spark = h("div", { class: "spark", "aria-hidden": "true" });
    const el = h("li", { class: "client-card", "data-id": client.id, "data-hostname": client.hostname },
      h("a", { href: `/client/${encodeURIComponent(client.id)}`, class: "card-link" },
        h("div", { class: "card-head" }, h("h2", { class: "hostname" }, client.hostname), badge),
        seen, dl, spark));
    const card: Card = { client, ring: new Ring(SPARK_FIELDS, 60), el, badge, seen, values, spark, chart: null, dirty: true, sparkDirty: true, seeded: false };
    if (client.latest) card.ring.push(client.latest.ts, client.latest as unknown as Record<string, unknown>);
    paintValues(card);
    io.observe(el);
    return card;
  }

  function paint(card: Card): void {
    paintValues(card);
    paintSpark(card);
  }

  // Text only (cheap): every card gets it once when built, so a card scrolled into view (or a full-page
  // screenshot) never shows placeholders; afterwards only visible cards are repainted.
  function paintValues(card: Card): void {
    const c = card.client;
    const online = c.online && isOnline(c.last_seen, now(), timeout);
    if (card.el.dataset.online !== String(online)) {
      setText(card.badge, online ? "online" : "offline");
      card.badge.className = `badge ${online ? "on" : "off"}`;
      card.el.dataset.online = String(online);
    }
    setText(card.seen, `last seen ${formatAgo(c.last_seen, now())}`);
    const l = c.latest;
    for (const [name] of CELLS) {
      const dd = card.values.get(name)!;
      const v = l ? (l as unknown as Record<string, number | null>)[name] : null;
      setText(dd, name === "docker_bytes" ? formatBytes(v) : formatPercent(v, 0));
      if (name !== "docker_bytes" && dd.dataset.level !== level(v)) dd.dataset.level = level(v);
    }
  }

  function paintSpark(card: Card): void {
    if (!card.chart && sparkWidth > 0 && budget.charts-- > 0) {
      card.chart = new uPlotCtor(sparklineOptions(sparkWidth, 36), card.ring.data() as uPlot.AlignedData, card.spark);
      card.sparkDirty = false;
    } else if (card.chart) {
      if (card.chart.width !== sparkWidth) card.chart.setSize({ width: sparkWidth, height: 36 });
      if (card.sparkDirty) card.chart.setData(card.ring.data() as uPlot.AlignedData);
      card.sparkDirty = false;
    }
  }

  // A card's sparkline starts with the last 10 minutes from the API, fetched when the card first shows.
  function seedSpark(card: Card): void {
    const t = Math.floor(now());
    api.metrics(card.client.id, { from: t - 600, to: t + 1, metrics: SPARK_FIELDS.join(","), max_points: 60 }).then((r) => {
      const time = r.time ?? [];
      time.forEach((ts, i) => {
        const row = Object.fromEntries(SPARK_FIELDS.map((f) => [f, r.values?.[f]?.[i] ?? null]));
        if (SPARK_FIELDS.some((f) => row[f] != null)) card.ring.push(ts, row);
      });
      card.sparkDirty = card.dirty = true;
      schedule();
    }).catch(() => { /* live frames fill the sparkline anyway */ });
  }

  const CARDS_PER_FRAME = 12;
  // Creating a uPlot costs a few ms: at most a handful per frame, so a fast scroll never blocks the page.
  const budget = { charts: 0 };
  function flush(): void {
    frameRequested = false;
    budget.charts = 2;
    let cards = CARDS_PER_FRAME;
    let more = false;
    for (const card of visible) {
      if (card.dirty) {
        if (cards-- <= 0) { // the rest next frame: a frame's script and layout stay small
          more = true;
          break;
        }
        card.dirty = false;
        paint(card);
        if (!card.chart && sparkWidth > 0) {
          card.dirty = true; // sparkline not created yet: next frame
          more = true;
        }
      }
    }
    if (more) schedule();
  }

  function schedule(): void {
    if (!frameRequested) {
      frameRequested = true;
      requestAnimationFrame(flush);
    }
  }

  let arrangeTimer: number | undefined;
  function arrangeSoon(): void {
    if (arrangeTimer === undefined) arrangeTimer = window.setTimeout(() => { arrangeTimer = undefined; arrange(); }, 1000);
  }

  let order: string[] = [];
  function arrange(): void {
    const all = [...cards.values()].map((c) => c.client);
    const shown = selectClients(all, query, status, sort);
    const shownIds = new Set(shown.map((c) => c.id));
    // Re-append in order only when the order changed (moves nodes; no re-creation); hidden ones at the end.
    const next = shown.map((c) => c.id);
    if (next.length !== order.length || next.some((cid, i) => cid !== order[i])) {
      for (const cid of next) grid.append(cards.get(cid)!.el);
      order = next;
    }
    for (const card of cards.values()) {
      const hide = !shownIds.has(card.client.id);
      if (card.el.hidden !== hide) card.el.hidden = hide;
    }
    const online = all.filter((c) => c.online).length;
    setText(summary, `${all.length} client${all.length === 1 ? "" : "s"} · ${online} online` +
      (shown.length !== all.length ? ` · ${shown.length} shown` : ""));
    if (!all.length) fill(body, empty("No clients yet.", h("a", { href: "/settings#clients", class: "button" }, "Add a client in Settings")));
    else if (!shown.length) fill(body, grid, empty("No client matches the filter."));
    else if (body.firstChild !== grid || body.childNodes.length !== 1) fill(body, grid);
  }

  // The first load: the cards in display order, in chunks of CHUNK with a task boundary between them, so the
  // first screen shows at once and no task grows with the number of clients.
  const CHUNK = 60;
  async function build(clients: ClientView[]): Promise<void> {
    const ordered = selectClients(clients, query, status, sort);
    const shown = new Set(ordered.map((c) => c.id));
    ordered.push(...clients.filter((c) => !shown.has(c.id)));
    for (const c of ordered) queued.set(c.id, c);
    fill(body, grid);
    for (let i = 0; i < ordered.length; i += CHUNK) {
      if (i) await nextTask();
      if (disposed) return;
      const els: HTMLElement[] = [];
      for (const c of ordered.slice(i, i + CHUNK)) {
        const latest = queued.get(c.id);
        if (!latest) continue; // removed meanwhile
        queued.delete(c.id);
        const card = makeCard(latest);
        cards.set(c.id, card);
        card.el.hidden = !shown.has(c.id);
        els.push(card.el);
      }
      grid.append(...els);
      order.push(...els.filter((el) => !el.hidden).map((el) => el.dataset.id!));
    }
  }

  async function load(): Promise<void> {
    try {
      const list = await api.clients();
      if (disposed) return;
      timeout = list.online_timeout_seconds;
      skew = list.now - Date.now() / 1000;
      if (!cards.size && !queued.size && list.clients.length) {
        await build(list.clients);
        if (disposed) return;
        arrange();
        schedule();
        return;
      }
      if (queued.size) return; // the first build is still running: it has every client
      const seen = new Set<string>();
      for (const c of list.clients) {
        seen.add(c.id);
        const card = cards.get(c.id);
        if (card) {
          card.client = { ...c, latest: c.latest && card.client.latest && card.client.latest.ts > c.latest.ts ? card.client.latest : c.latest };
          card.dirty = true;
        } else {
          cards.set(c.id, makeCard(c));
        }
      }
      for (const [id, card] of cards) if (!seen.has(id)) remove(id, card);
      arrange();
      schedule();
    } catch (e) {
      if (!cards.size) fill(body, errorBox(`Could not load the clients: ${describe(e)}`, () => { fill(body, loading()); void load(); }));
    }
  }

  function remove(id: string, card: Card): void {
    io.unobserve(card.el);
    visible.delete(card);
    card.chart?.destroy();
    card.chart = null;
    card.el.remove();
    cards.delete(id);
  }

  function refetchSoon(): void {
    clearTimeout(refetchTimer);
    refetchTimer = window.setTimeout(() => void load(), 300);
  }

  function onFrame(f: LiveFrame): void {
    const waiting = "client_id" in f ? queued.get(f.client_id) : undefined;
    if (waiting) { // its card is not built yet: keep the newest state for it
      if (f.type === "samples") queued.set(f.client_id, applySamples(waiting, f.samples));
      else if (f.type === "status") queued.set(f.client_id, { ...waiting, online: f.online, last_seen: f.last_seen ?? waiting.last_seen });
      else if (f.type === "removed") queued.delete(f.client_id);
      return;
    }
    if (f.type === "samples") {
      const card = cards.get(f.client_id);
      if (!card) return refetchSoon(); // a new client reported: fetch the list once
      for (const s of f.samples) card.ring.push(s.ts, s as unknown as Record<string, unknown>);
      card.sparkDirty = true;
      const wasOnline = card.client.online;
      card.client = applySamples(card.client, f.samples);
      card.dirty = true;
      if (!wasOnline) arrangeSoon();
      schedule();
    } else if (f.type === "status") {
      const card = cards.get(f.client_id);
      if (!card) return refetchSoon();
      card.client = { ...card.client, online: f.online, last_seen: f.last_seen ?? card.client.last_seen };
      card.dirty = true;
      arrangeSoon();
      schedule();
    } else if (f.type === "removed") {
      const card = cards.get(f.client_id);
      if (card) {
        remove(f.client_id, card);
        arrange();
      }
    } else if (f.type === "hello") {
      timeout = f.online_timeout_seconds;
    }
  }

  search.addEventListener("input", () => { query = search.value; arrange(); });
  statusSel.addEventListener("change", () => { status = statusSel.value as StatusFilter; arrange(); });
  sortSel.addEventListener("change", () => { sort = sortSel.value as SortKey; arrange(); });

  live.subscribe(null);
  const offFrame = live.onFrame(onFrame);
  let wasOpen = live.state === "open";
  const offState = live.onState((s) => {
    if (s === "open" && !wasOpen) void load(); // reconnected: catch up on what was missed
    wasOpen = s === "open";
  });
  // "last seen" ages every second even without frames; only visible cards are touched.
  const ticker = window.setInterval(() => {
    for (const card of visible) card.dirty = true;
    schedule();
  }, 1000);
  void load();

  return () => {
    disposed = true;
    offFrame();
    offState();
    clearInterval(ticker);
    clearTimeout(refetchTimer);
    clearTimeout(arrangeTimer);
    io.disconnect();
    ro.disconnect();
    for (const card of cards.values()) card.chart?.destroy();
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
