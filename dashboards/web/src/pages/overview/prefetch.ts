// The overview's listing asked for at boot, beside the session check, when the page opens on the overview.
// A server busy with ingest answers every request after a queue (in bench.dashboard at 5,000 hosts posting:
// about 1.3-1.6 s a request, whatever the request), and the page asked in a chain: its HTML, then the session,
// then the listing. Asking for the listing with the session saves one of those waits; a GET needs only the
// session cookie, which the browser sends either way.
import { api } from "../../api";
import type { ClientList } from "../../types";

/** An early listing older than this (ms) is not used: the page asks again. */
export const EARLY_FRESH_MS = 10_000;

let early: { at: number; list: Promise<ClientList> } | null = null;

/** Set while this browser holds a session (the cookie itself is HttpOnly): without one the early listing would
 *  only meet a 401, which the browser logs as an error on the way to the log-in page. */
const SESSION_HINT = "statusmon.session";

/** What the session check said (main.ts): the next boot asks early only after a session was seen. */
export function sessionSeen(authenticated: boolean): void {
  try {
    if (authenticated) localStorage.setItem(SESSION_HINT, "1");
    else localStorage.removeItem(SESSION_HINT);
  } catch { /* storage off: no early listing */ }
}

function hadSession(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT) === "1";
  } catch {
    return false;
  }
}

/** Starts the overview's listing now (at boot, when the address is the overview's and a session was seen). */
export function prefetchListing(now = performance.now()): void {
  if (!hadSession()) return;
  const list = api.overviewClients();
  list.catch(() => { /* takeListing asks again */ });
  early = { at: now, list };
}

/** The listing: the early one once, if it is fresh (a failed one, e.g. a 401 before the log-in, asks again),
 *  else a new request. */
export function takeListing(now = performance.now()): Promise<ClientList> {
  const e = early;
  early = null;
  if (e && now - e.at < EARLY_FRESH_MS) return e.list.catch(() => api.overviewClients());
  return api.overviewClients();
}
