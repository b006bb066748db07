// The Alerts page (/alerts): what fires and what is pending now (live, from alertstore.ts), then the history of
// incidents with filters (host, metric, state, time range) and paging over GET /api/alerts. Each row links to
// the client page's history. Each active row has a "Silence" action: a small form (the host, or the rule when it
// is a stored one; for how long; why) that POSTs /api/silences through silences.ts; silenced alerts and incidents
// are marked so here, on the cards and on the client page.
import { api, describe } from "../api";
import { alertCondition, alertStore, alertSubject, clockTime, silencedBadge, type ActiveAlert, type ActiveAlerts } from "../alertstore";
import { createSilence, DURATIONS, type NewSilence } from "../silences";
import { empty, errorBox, fill, h, loading } from "../dom";
import { formatAgo } from "../format";

export interface Incident {
  id: number;
  client_id: string;
  hostname: string;
  rule: string;
  metric_type: string;
  mount: string | null;
  gpu: number | null;
  threshold: number | null;
  direction: "above" | "below" | null;
  duration_sec: number | null;
  value: number | null;
  fired_at: number;
  resolved_at: number | null;
  resolved_value: number | null;
  resolution: string | null;
  active: boolean;
  /** A silence withheld a notification of it. */
  silenced: boolean;
}

interface HistoryPage {
  alerts: Incident[];
  next_before: number | null;
}

const PAGE = 100;

/** The client page's history around an incident: from a little before it fired to a little after it ended. */
export function incidentLink(clientId: string, firedAt: number, resolvedAt: number | null): string {
  const pad = 600;
  const q = new URLSearchParams({ tab: "history", from: String(firedAt - pad) });
  if (resolvedAt != null) q.set("to", String(resolvedAt + pad));
  q.set("mark", `${firedAt}-${resolvedAt ?? ""}`);
  return `/client/${encodeURIComponent(clientId)}?${q}`;
}

function notified(a: ActiveAlert): HTMLElement {
  if (a.status !== "firing") return h("span", { class: "muted" }, "— (pending)");
  if (!a.notifications.length) return h("span", { class: "muted" }, "none");
  return h("span", {}, a.notifications.map((n) =>
    h("span", { class: `delivery ${n.status}`, title: n.error ?? `${n.kind}, ${n.status}` }, `${n.channel}: ${n.status}`)));
}

export function activeRows(alerts: ActiveAlert[], now: number, silence?: (a: ActiveAlert) => void): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const a of alerts) {
    const act = silence ? h("button", { type: "button", class: "small", "data-action": "silence",
      "aria-label": `Silence ${alertSubject(a)} on ${a.hostname}` }, "Silence") : null;
    act?.addEventListener("click", () => silence?.(a));
    frag.append(h("tr", { class: `alert-row ${a.status}${a.silenced ? " silenced" : ""}`, "data-client": a.client_id, "data-rule": a.rule },
      h("td", {}, h("span", { class: `badge ${a.status}` }, a.status), a.silenced ? " " : "", silencedBadge(a)),
      h("td", {}, h("a", { href: incidentLink(a.client_id, a.fired_at ?? a.since ?? now, null) }, a.hostname)),
      h("td", {}, alertSubject(a)),
      h("td", { class: "num" }, alertCondition(a)),
      h("td", {}, formatAgo(a.fired_at ?? a.since, now)),
      h("td", {}, notified(a)),
      ...(silence ? [h("td", {}, act)] : [])));
  }
  return frag;
}

/** The row action's form: what to silence (the host, or the alert's stored rule), for how long, and why. */
function silenceForm(a: ActiveAlert, done: () => void): HTMLElement {
  const scope = h("select", { name: "scope", "aria-label": "What to silence" },
    h("option", { value: "host" }, `every alert of ${a.hostname}`),
    a.rule_id != null ? h("option", { value: "rule" }, `rule #${a.rule_id} (${alertSubject(a)}) on every host`) : null);
  const duration = h("select", { name: "duration_sec", "aria-label": "For" },
    DURATIONS.map(([label, sec]) => h("option", { value: String(sec) }, label)));
  const comment = h("input", { type: "text", name: "comment", required: true, maxlength: "500", placeholder: "why (required)", "aria-label": "Comment" });
  const st = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
  const btn = h("button", { type: "submit", class: "primary" }, "Silence");
  const cancel = h("button", { type: "button" }, "Cancel");
  const f = h("form", { class: "form silence-form", id: "silence-form", "data-client": a.client_id, "data-rule": a.rule },
    h("h3", {}, `Silence ${alertSubject(a)} on ${a.hostname}`),
    h("div", { class: "row" }, scope, duration, comment, btn, cancel), st);
  cancel.addEventListener("click", done);
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body: NewSilence = { scope: scope.value === "rule" ? "rule" : "host", comment: comment.value, duration_sec: Number(duration.value) };
    if (body.scope === "rule") body.rule_id = a.rule_id ?? undefined;
    else body.client_id = a.client_id;
    btn.disabled = true;
    st.className = "form-status";
    st.textContent = "Saving…";
    createSilence(api.call, body)
      .then(() => { alertStore.refresh(); done(); })
      .catch((e: unknown) => { st.textContent = describe(e); st.classList.add("bad"); btn.disabled = false; });
  });
  queueMicrotask(() => comment.focus());
  return f;
}

function historyRows(items: Incident[], now: number): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const i of items) {
    frag.append(h("tr", { class: `incident ${i.active ? "firing" : "resolved"}${i.silenced ? " silenced" : ""}`, "data-id": i.id },
      h("td", {}, h("span", { class: `badge ${i.active ? "firing" : "resolved"}` }, i.active ? "firing" : "resolved"),
        i.silenced ? " " : "", silencedBadge(i)),
      h("td", {}, h("a", { href: incidentLink(i.client_id, i.fired_at, i.resolved_at) }, i.hostname)),
      h("td", {}, alertSubject(i)),
      h("td", { class: "num" }, alertCondition(i)),
      h("td", {}, clockTime(i.fired_at)),
      h("td", {}, i.resolved_at == null ? `ongoing (${formatAgo(i.fired_at, now)})` : clockTime(i.resolved_at))));
  }
  return frag;
}

function table(id: string, head: string[], body: HTMLElement): HTMLElement {
  return h("div", { class: "table-wrap" }, h("table", { class: "alerts-table", id },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))), body));
}

function toEpoch(v: string): string {
  return v ? String(Math.floor(new Date(v).getTime() / 1000)) : "";
}

export function mountAlerts(root: HTMLElement): () => void {
  const activeBody = h("tbody");
  const activeBox = h("div", { id: "active-alerts" }, loading("Loading alerts…"));
  const activeSummary = h("p", { class: "summary", id: "active-summary", "aria-live": "polite" });
  const silenceBox = h("div", { id: "silence-box" }); // outside the table: a live repaint keeps an open form
  const host = h("input", { type: "search", name: "host", placeholder: "hostname", autocomplete: "off" });
  const metric = h("input", { type: "search", name: "metric", placeholder: "e.g. cpu_percent, offline", autocomplete: "off" });
  const state = h("select", { name: "state" }, h("option", { value: "" }, "Any"), h("option", { value: "firing" }, "Firing"),
    h("option", { value: "resolved" }, "Resolved"));
  const from = h("input", { type: "datetime-local", name: "from" });
  const to = h("input", { type: "datetime-local", name: "to" });
  const histBody = h("tbody");
  const histBox = h("div", { id: "alert-history" });
  const more = h("button", { type: "button", id: "history-more", hidden: true }, "Older incidents");
  const filters = h("form", { class: "toolbar history-filters", id: "history-filters" },
    h("label", { class: "field" }, h("span", {}, "Host"), host),
    h("label", { class: "field" }, h("span", {}, "Metric"), metric),
    h("label", { class: "field" }, h("span", {}, "State"), state),
    h("label", { class: "field" }, h("span", {}, "From"), from),
    h("label", { class: "field" }, h("span", {}, "To"), to),
    h("button", { type: "submit" }, "Apply"));
  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "Alerts"), activeSummary),
    h("section", { "aria-labelledby": "now-h" }, h("h2", { id: "now-h" }, "Now"), silenceBox, activeBox),
    h("section", { "aria-labelledby": "hist-h" }, h("h2", { id: "hist-h" }, "History"), filters, histBox, more));

  const openSilence = (a: ActiveAlert): void => {
    silenceBox.replaceChildren(silenceForm(a, () => silenceBox.replaceChildren()));
  };

  let disposed = false;
  let before: number | null = null;
  let seq = 0;

  function paintActive(a: ActiveAlerts): void {
    const muted = a.alerts.filter((x) => x.silenced).length;
    activeSummary.textContent = `${a.firing} firing · ${a.pending} pending${muted ? ` · ${muted} silenced` : ""}`;
    if (!a.alerts.length) {
      fill(activeBox, empty("Nothing is firing or pending. All clear."));
      return;
    }
    activeBody.replaceChildren(activeRows(a.alerts, a.now, openSilence));
    if (!activeBox.contains(activeBody)) fill(activeBox, table("active-table", ["State", "Host", "What", "Value vs threshold", "Since", "Notified", ""], activeBody));
  }

  async function loadHistory(append: boolean): Promise<void> {
    const my = ++seq;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (host.value.trim()) q.set("host", host.value.trim());
    if (metric.value.trim()) q.set("metric", metric.value.trim());
    if (state.value) q.set("state", state.value);
    if (from.value) q.set("from", toEpoch(from.value));
    if (to.value) q.set("to", toEpoch(to.value));
    if (append && before != null) q.set("before", String(before));
    if (!append) fill(histBox, loading("Loading history…"));
    try {
      const page = await api.call<HistoryPage>("GET", `/api/alerts?${q}`);
      if (disposed || my !== seq) return;
      before = page.next_before;
      more.hidden = before == null;
      const now = Date.now() / 1000;
      if (!append) histBody.replaceChildren();
      histBody.append(historyRows(page.alerts, now));
      if (!histBody.childElementCount) fill(histBox, empty("No incident matches."));
      else if (!histBox.contains(histBody)) fill(histBox, table("history-table", ["State", "Host", "What", "Value vs threshold", "Fired", "Resolved"], histBody));
    } catch (e) {
      if (!disposed && my === seq) fill(histBox, errorBox(`Could not load the history: ${describe(e)}`, () => void loadHistory(false)));
    }
  }

  filters.addEventListener("submit", (ev) => { ev.preventDefault(); void loadHistory(false); });
  more.addEventListener("click", () => void loadHistory(true));
  let first = true;
  const off = alertStore.listen((a) => {
    paintActive(a);
    if (!first) void loadHistory(false); // an alert fired or resolved: the history changed too
    first = false;
  });
  void loadHistory(false);
  return () => { disposed = true; off(); };
}
