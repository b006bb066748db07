// Entry point: session check, client-side routes (/, /client/<id>, /alerts, /settings, /login), the top bar.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { api, cancelPending, releasePending, setCsrf, whenUnauthorized } from "./api";
import { live, type LiveState } from "./live";
import { errorBox } from "./dom";
import { app } from "./app";
import { mountOverview } from "./pages/overview";
import { prefetchListing, sessionSeen } from "./pages/overview/prefetch";
import { mountClient } from "./pages/client";
import { mountSettings } from "./pages/settings";
import { mountLogin } from "./pages/login";
import { mountAlerts } from "./pages/alerts";
import { alertStore } from "./alertstore";

export type Cleanup = () => void;
type Page = (root: HTMLElement, param: string) => Cleanup | void;

const routes: [RegExp, Page, string][] = [
  [/^\/$/, mountOverview, "Overview"],
  [/^\/client\/([^/]+)$/, mountClient, "Client"],
  [/^\/alerts$/, mountAlerts, "Alerts"],
  [/^\/settings$/, mountSettings, "Settings"],
  [/^\/login$/, mountLogin, "Log in"],
];

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
let cleanup: Cleanup | void;
let authenticated = false;

function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

function render(): void {
  const path = location.pathname;
  if (!authenticated && path !== "/login") {
    history.replaceState(null, "", `/login?next=${encodeURIComponent(path + location.search)}`);
    return render();
  }
  cleanup?.();
  cleanup = undefined;
  nav.hidden = !authenticated;
  for (const a of nav.querySelectorAll<HTMLAnchorElement>("a[data-nav]")) {
    const here = a.getAttribute("href") === path;
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  main.replaceChildren();
  for (const [re, page, title] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    document.title = `${title} · Status Monitor`;
    cleanup = page(main, decodeURIComponent(m[1] ?? ""));
    return;
  }
  document.title = "Not found · Status Monitor";
  main.append(errorBox("This page does not exist."));
}

function loggedIn(csrf: string): void {
  authenticated = true;
  sessionSeen(true);
  setCsrf(csrf);
  live.start();
  alertStore.start();
}

function loggedOut(): void {
  authenticated = false;
  sessionSeen(false);
  setCsrf(null);
  live.stop();
  alertStore.stop();
}

// Links marked data-nav (and any same-origin link inside main without a target) route without a reload.
document.addEventListener("click", (ev) => {
  const a = (ev.target as Element | null)?.closest?.("a");
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/assets/")) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
  main.focus({ preventScroll: true });
});
window.addEventListener("popstate", render);

document.getElementById("logout")!.addEventListener("click", async () => {
  // Quiet first: the live feed and the header's alert count stop and every request in flight (the page's
  // lists, the alert count) is cancelled before the session ends, so none meets a 401 as the visitor leaves.
  live.stop();
  alertStore.stop();
  cancelPending(true);  // and hold new ones (a page's timers) until the page has gone
  try {
    await api.logout();
  } finally {
    loggedOut();
    navigate("/login", true);
    releasePending();
  }
});

const liveState = document.getElementById("live-state")!;
// Degraded: several servers share the feed through Redis and Redis is down, so this page sees only the hosts
// that report to the server it is connected to (the hello and feed frames say so).
let degraded = false;
const showLive = (s: LiveState): void => {
  const partial = s === "open" && degraded;
  liveState.dataset.state = partial ? "degraded" : s;
  liveState.textContent = s === "open" ? (partial ? "live (partial)" : "live") : s === "connecting" ? "connecting" : "offline";
  liveState.title = partial ? "The shared live feed is down: only hosts reporting to this server update live"
    : "Live feed";
};
live.onState(showLive);
live.onFrame((f) => {
  if (f.type !== "hello" && f.type !== "feed") return;
  degraded = f.degraded === true;
  showLive(live.state);
});

// The header's count: firing alerts (and pending ones), always shown, calm at zero.
const alertCount = document.getElementById("alert-count")!;
alertStore.listen((a) => {
  alertCount.dataset.firing = String(a.firing);
  alertCount.textContent = a.firing || a.pending
    ? `Alerts ${a.firing} firing` + (a.pending ? ` · ${a.pending} pending` : "")
    : "Alerts: none firing";
  alertCount.setAttribute("aria-label", alertCount.textContent);
  alertCount.dataset.short = a.firing ? `${a.firing} firing` : a.pending ? `${a.pending} pending` : "Alerts 0";
});

whenUnauthorized(() => {
  if (!authenticated) return;
  loggedOut();
  navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
});

async function boot(): Promise<void> {
  // The overview's listing goes out with the session check, not after it (a busy server queues each request).
  if (location.pathname === "/") prefetchListing();
  try {
    const s = await api.session();
    if (s.authenticated && s.csrf_token) loggedIn(s.csrf_token);
    else sessionSeen(false);
  } catch {
    main.replaceChildren(errorBox("The server cannot be reached.", () => void boot()));
    return;
  }
  render();
}

app.navigate = navigate;
app.loggedIn = loggedIn;
void boot();
