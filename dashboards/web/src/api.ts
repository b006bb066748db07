// The REST client: JSON in and out, the session cookie (sent by the browser), the CSRF header on changes.
import type { ClientList, ClientView, MetricsResponse, NewClient, SessionView, SettingsView, StatsResponse } from "./types";

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

let csrfToken: string | null = null;
// Every request of the session shares this signal: logging out cancels what is still in flight (a page's
// list, the alert count), so no answer comes back as a 401 for a visitor who has just left on purpose.
let session = new AbortController();

// Set while a logout is under way: a request a page's timer starts then (a sparkline's history) would meet the
// 401 the logout makes, so it is refused at once, as a cancelled one is.
let holding = false;

/** Cancel every request in flight (their promises reject with code "aborted"); with `hold`, refuse new ones the
 *  same way, all but the logout, until `releasePending()`. Otherwise later requests go out as usual. */
export function cancelPending(hold = false): void {
  session.abort();
  session = new AbortController();
  holding = hold;
}

export function releasePending(): void {
  holding = false;
}
let onUnauthorized: () => void = () => {};

export function setCsrf(token: string | null): void {
  csrfToken = token;
}

export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

async function call<T>(method: string, path: string, body?: unknown, own?: AbortSignal): Promise<T> {
  if (holding && path !== "/api/logout") throw new ApiError(0, "aborted", "The request was cancelled.");
  const signal = own ? AbortSignal.any([own, session.signal]) : session.signal;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let resp: Response;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin", signal });
  } catch {
    if (signal?.aborted) throw new ApiError(0, "aborted", "The request was cancelled.");
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection and retry.");
  }
  const json = await resp.json().catch(() => null);
  if (signal?.aborted) throw new ApiError(0, "aborted", "The request was cancelled.");
  if (!resp.ok) {
    const err = json?.error ?? {};
    if (resp.status === 401 && path !== "/api/login") onUnauthorized();
    throw new ApiError(resp.status, err.code ?? "error", err.message ?? `${resp.status} ${resp.statusText}`, err.details);
  }
  return json as T;
}

export const api = {
  session: () => call<SessionView>("GET", "/api/session"),
  login: (password: string) => call<SessionView>("POST", "/api/login", { password }),
  logout: () => call<SessionView>("POST", "/api/logout"),
  clients: () => call<ClientList>("GET", "/api/clients"),
  /** The overview's listing: each client's `latest` carries only what a card or table row shows (ts, the cells'
   *  metrics, net rx/tx; no disk, GPU or container lists): ~140 bytes a host instead of the whole sample. */
  overviewClients: () => call<ClientList>("GET", "/api/clients?fields=overview"),
  client: (id: string) => call<ClientView>("GET", `/api/clients/${encodeURIComponent(id)}`),
  /** An admin's labels: a value sets one, null removes the admin's (the agent's shows again). */
  patchLabels: (id: string, labels: Record<string, string | null>) =>
    call<ClientView>("PATCH", `/api/clients/${encodeURIComponent(id)}`, { labels }),
  addClient: (hostname: string) => call<NewClient>("POST", "/api/clients", { hostname }),
  removeClient: (id: string) => call<{ deleted: string }>("DELETE", `/api/clients/${encodeURIComponent(id)}`),
  rotateToken: (id: string) => call<NewClient>("POST", `/api/clients/${encodeURIComponent(id)}/token`),
  stats: (id: string, range: string) => call<StatsResponse>("GET", `/api/stats/${encodeURIComponent(id)}?range=${range}`),
  metrics: (id: string, params: Record<string, string | number>) =>
    call<MetricsResponse>("GET", `/api/metrics/${encodeURIComponent(id)}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`),
  settings: () => call<SettingsView>("GET", "/api/settings"),
  saveSettings: (changes: Partial<Record<keyof SettingsView, unknown>>) => call<SettingsView>("POST", "/api/settings", changes),
  /** For modules that plug in their own endpoints (the alert rules UI). */
  call,
};

/** A readable message for an error, with per-field details flattened when the API sent them. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) {
    const details = e.details && typeof e.details === "object" ? flatten(e.details as Record<string, unknown>) : "";
    return details ? `${e.message}: ${details}` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

function flatten(d: Record<string, unknown>, prefix = ""): string {
  return Object.entries(d).map(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) return `${key}: ${v.join(" ")}`;
    if (v && typeof v === "object") return flatten(v as Record<string, unknown>, key);
    return `${key}: ${String(v)}`;
  }).join("; ");
}
