// Overview: every host as a card (or a table row), grouped by a label, filtered and sorted; the view lives in
// the URL (view.ts), so it can be bookmarked. This module wires the page: the toolbar, the windowed list
// (grid.ts; each card in card.ts, each table row in row.ts), the client list from the API and the live feed.
import { api, describe } from "../../api";
import { errorBox, fill, h, loading } from "../../dom";
import { alertStore } from "../../alertstore";
import { live } from "../../live";
import type { LiveFrame } from "../../types";
import { ServerClock } from "../clock";
import { Grid } from "./grid";
import { takeListing } from "./prefetch";
import { Toolbar } from "./toolbar";
import { parseView, viewSearch, type ViewState } from "./view";

/** A new client's first frame fetches the list after this long, once for a burst of them. */
const REFETCH_DELAY_MS = 300;

export function mountOverview(root: HTMLElement): () => void {
  const clock = new ServerClock();
  const summary = h("p", { class: "summary", id: "summary", "aria-live": "polite" });
  const body = h("div", { class: "overview-body" }, loading("Loading clients…"));
  const grid = new Grid(body, summary, clock);
  let state: ViewState = parseView(location.search);
  const change = (patch: Partial<ViewState>) => {
    state = { ...state, ...patch };
    // replaceState: a filter typed letter by letter is one history entry; the address is the bookmark.
    history.replaceState(null, "", location.pathname + viewSearch(state));
    bar.sync(state);
    grid.setView(state);
  };
  const bar = new Toolbar(state, change);
  grid.onKeys = (keys) => bar.setKeys(keys);
  grid.onToggle = (value) => change({
    collapsed: state.collapsed.includes(value) ? state.collapsed.filter((v) => v !== value) : [...state.collapsed, value],
  });
  grid.setView(state);
  root.append(h("div", { class: "page-head" }, h("h1", {}, "Overview"), summary), bar.el, bar.tableHead, body);
  let disposed = false;
  let refetchTimer: number | undefined;

  let first = true;
  /** A listing is in flight; `again`: another was asked for meanwhile (it follows this one). */
  let inFlight = false;
  let again = false;
  async function load(): Promise<void> {
    // One listing at a time: the feed's first opening asks for a catch-up while the first listing (asked for at
    // boot, before the feed) may still be on its way; two at once made a busy server queue both, and the first
    // render waited for whichever came back first. The catch-up now follows the first listing.
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      // The slim listing: the overview shows no more. The first one may have been asked for at boot.
      const list = await (first ? takeListing() : api.overviewClients());
      first = false;
      if (disposed) return;
      clock.sync(list);
      await grid.applyList(list.clients);
    } catch (e) {
      if (!grid.size) fill(body, errorBox(`Could not load the clients: ${describe(e)}`, () => { fill(body, loading()); void load(); }));
    } finally {
      inFlight = false;
      if (again && !disposed) {
        again = false;
        void load();
      }
    }
  }

  function onFrame(f: LiveFrame): void {
    if (f.type === "hello") clock.timeout = f.online_timeout_seconds;
    else if (grid.onFrame(f)) { // a new client reported: fetch the list once
      clearTimeout(refetchTimer);
      refetchTimer = window.setTimeout(() => void load(), REFETCH_DELAY_MS);
    }
  }

  live.subscribe(null);
  const offFrame = live.onFrame(onFrame);
  let wasOpen = live.state === "open";
  const offState = live.onState((s) => {
    if (s === "open" && !wasOpen) void load(); // reconnected: catch up on what was missed
    wasOpen = s === "open";
  });
  const ticker = window.setInterval(() => grid.refresh(), 1000);
  const offAlerts = alertStore.listen((a) => grid.setAlerts(a.alerts.filter((x) => x.status === "firing")));
  void load();

  return () => {
    disposed = true;
    offFrame();
    offState();
    clearInterval(ticker);
    offAlerts();
    clearTimeout(refetchTimer);
    grid.dispose();
  };
}
