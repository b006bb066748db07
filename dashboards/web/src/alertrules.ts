// The alert rules section of the settings page (alerting's UI): channel status with the reason a channel
// was disabled and a "send test message" button, the per-client and all-client rules (add, enable/disable,
// delete), and the latest incidents. Everything goes through the admin API of api/alerts (session + CSRF).
import { h, fill, loading, errorBox, empty } from "./dom";
import { describe } from "./api";
import { parseSelector, selectorText } from "./labels";
import type { AlertsContext } from "./alerts";

interface Rule {
  id: number; client_id: string | null; metric_type: string; threshold: number; duration_sec: number;
  direction: "above" | "below"; mount: string | null; gpu: number | null; enabled: boolean;
  /** Hosts by their labels (every pair must match); null: one client or all. */
  selector?: Record<string, string> | null;
  [more: string]: unknown; // keys added to the API later (per-rule channels) pass through untouched
}
interface MetricType { name: string; family: string; per: "mount" | "gpu" | null }
interface RulesView { rules: Rule[]; metric_types: MetricType[] }
interface Channel {
  name: string; setting: string; configured: boolean; url: string | null; disabled: boolean;
  disabled_reason: string | null; last_error: string | null; last_sent_at: number | null;
}
interface ChannelsView { channels: Channel[]; worker: { last_cycle_at: number | null; last_error: string | null } | null }
interface Incident {
  id: number; hostname: string; metric_type: string; mount: string | null; gpu: number | null;
  value: number | null; threshold: number | null; fired_at: number; resolved_at: number | null;
}
interface ClientRow { id: string; hostname: string }

const time = (s: number | null): string => (s ? new Date(s * 1000).toLocaleString() : "—");

export function renderAlertRules(container: HTMLElement, ctx: AlertsContext): () => void {
  let alive = true;
  const refresh = async (): Promise<void> => {
    fill(container, h("h2", {}, "Alert rules"), loading());
    try {
      const [rules, channels, alerts, clients] = await Promise.all([
        ctx.call<RulesView>("GET", "/api/alert-rules"),
        ctx.call<ChannelsView>("GET", "/api/alerts/channels"),
        ctx.call<{ alerts: Incident[] }>("GET", "/api/alerts?limit=20"),
        ctx.call<{ clients: ClientRow[] }>("GET", "/api/clients"),
      ]);
      const form = ruleForm(rules, clients.clients, ctx, refresh);
      if (alive) fill(container, h("h2", {}, "Alert rules"), channelList(channels, ctx, refresh),
        ruleTable(rules, clients.clients, ctx, refresh, form.edit), form.el, incidentList(alerts.alerts));
    } catch (e) {
      if (alive) fill(container, h("h2", {}, "Alert rules"), errorBox(describe(e), () => void refresh()));
    }
  };
  void refresh();
  return () => { alive = false; };
}

function channelList(view: ChannelsView, ctx: AlertsContext, refresh: () => Promise<void>): HTMLElement {
  const worker = view.worker;
  return h("div", { class: "alert-channels" },
    h("p", { class: "muted" }, worker ? `Alerting worker: last cycle ${time(worker.last_cycle_at)}` +
      (worker.last_error ? ` (error: ${worker.last_error})` : "") : "The alerting worker has not run yet."),
    ...view.channels.map((c) => {
      const status = h("span", { class: c.disabled ? "badge bad" : "badge" },
        !c.configured ? "not configured" : c.disabled ? "disabled" : "active");
      const result = h("span", { class: "muted", role: "status" });
      const test = h("button", { type: "button", disabled: !c.configured, onclick: async () => {
        result.textContent = "Sending…";
        try {
          await ctx.call("POST", "/api/alerts/test", { channel: c.name });
          result.textContent = "Delivered.";
        } catch (e) { result.textContent = describe(e); }
        void refresh();
      } }, "Send test message");
      return h("div", { class: "channel", "data-channel": c.name },
        h("strong", {}, c.name.charAt(0).toUpperCase() + c.name.slice(1)) /* every channel, not "Webhook" for all but Slack */, " ", status, " ", c.url ?? "", " ", test, " ", result,
        c.disabled && c.disabled_reason ? h("p", { class: "form-error" }, `Disabled: ${c.disabled_reason}. ` +
          "Save a new URL above, or send a test message once it is fixed.") : null);
    }));
}

/** "5 min", "90 s", "0 s (at once)": a rule's duration, short. */
export function durationText(sec: number): string {
  if (sec === 0) return "at once";
  if (sec % 3600 === 0) return `${sec / 3600} h`;
  if (sec % 60 === 0) return `${sec / 60} min`;
  return `${sec} s`;
}

// Rows keep whatever else the API sends (a per-rule `channels` list is coming): only the fields shown here are
// read, and an edit PATCHes only the fields of the form, so a key this UI does not know is never dropped.
function ruleTable(view: RulesView, clients: ClientRow[], ctx: AlertsContext, refresh: () => Promise<void>,
  edit: (r: Rule) => void): HTMLElement {
  if (!view.rules.length) return empty("No rules of your own: the global thresholds above apply to every client.");
  const host = (r: Rule): string => (r.selector ? `labels ${selectorText(r.selector)}`
    : r.client_id ? clients.find((c) => c.id === r.client_id)?.hostname ?? r.client_id : "all clients");
  const status = h("p", { class: "form-error", role: "alert" });
  const act = async (fn: () => Promise<unknown>) => {
    try { await fn(); void refresh(); } catch (e) { status.textContent = describe(e); }
  };
  return h("div", { class: "table-scroll" }, h("table", { class: "table rules", id: "rules-table" },
    h("thead", {}, h("tr", {}, ...["Client", "Metric", "Mount or GPU", "Condition", "Duration", "Enabled", ""]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...view.rules.map((r) => h("tr", { "data-rule": r.id, class: r.enabled ? "" : "muted" },
      h("td", { "data-label": "Client" }, host(r)),
      h("td", { "data-label": "Metric" }, r.metric_type),
      h("td", { "data-label": "Mount or GPU" }, r.mount ?? (r.gpu != null ? `GPU ${r.gpu}` : "any")),
      h("td", { "data-label": "Condition", class: "num" }, `${r.direction === "below" ? "<" : ">"} ${r.threshold}`),
      h("td", { "data-label": "Duration" }, durationText(r.duration_sec)),
      h("td", { "data-label": "Enabled" }, h("input", { type: "checkbox", checked: r.enabled,
        "aria-label": `Rule ${r.id} enabled`, onchange: () => act(() => ctx.call("PATCH", `/api/alert-rules/${r.id}`, { enabled: !r.enabled })) })),
      h("td", { class: "row-actions" },
        h("button", { type: "button", class: "small", "data-action": "edit", onclick: () => edit(r) }, "Edit"),
        h("button", { type: "button", class: "small danger", "data-action": "delete", onclick: () => {
          if (confirm("Delete this rule?")) void act(() => ctx.call("DELETE", `/api/alert-rules/${r.id}`));
        } }, "Delete")))))), status);
}

/** The add form, which also edits a rule (Edit in the table fills it; Save PATCHes the rule). */
function ruleForm(view: RulesView, clients: ClientRow[], ctx: AlertsContext, refresh: () => Promise<void>):
  { el: HTMLElement; edit: (r: Rule) => void } {
  const field = (label: string, id: string, input: HTMLElement) => {
    input.id = id;
    return h("div", { class: "field" }, h("label", { for: id }, label), input);
  };
  const client = h("select", { name: "client_id" }, h("option", { value: "" }, "All clients"),
    ...clients.map((c) => h("option", { value: c.id }, c.hostname)));
  const metric = h("select", { name: "metric_type" }, ...view.metric_types.map((m) => h("option", { value: m.name }, m.name)));
  const threshold = h("input", { name: "threshold", type: "number", step: "any", required: true, value: "90" });
  const duration = h("input", { name: "duration_sec", type: "number", min: 0, step: 1, required: true, value: "300" });
  const direction = h("select", { name: "direction" }, h("option", { value: "above" }, "above"), h("option", { value: "below" }, "below"));
  const narrow = h("input", { name: "narrow", placeholder: "any" });
  const selector = h("input", { name: "selector", placeholder: "role=gpu", autocomplete: "off", spellcheck: "false" });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Add rule");
  const cancel = h("button", { type: "button", hidden: true }, "Cancel");
  const title = h("h3", {}, "Add a rule");
  let editing: Rule | null = null;
  const reset = () => {
    editing = null;
    title.textContent = "Add a rule";
    submit.textContent = "Add rule";
    cancel.hidden = true;
    client.disabled = metric.disabled = selector.disabled = false;
  };
  cancel.addEventListener("click", reset);
  const form = h("form", { class: "rule-form", id: "rule-form", onsubmit: async (ev: Event) => {
    ev.preventDefault();
    error.textContent = "";
    const per = view.metric_types.find((m) => m.name === metric.value)?.per ?? null;
    const body: Record<string, unknown> = {
      threshold: Number(threshold.value), duration_sec: Number(duration.value), direction: direction.value,
    };
    if (!editing) {
      const { labels, bad } = parseSelector(selector.value);
      if (bad.length) {
        error.textContent = `Hosts with labels: not key=value: ${bad.join(" ")}`;
        return;
      }
      const any = Object.keys(labels).length > 0;
      if (any && client.value) {
        error.textContent = "A rule watches one client or the hosts with some labels: leave Client at All clients.";
        return;
      }
      Object.assign(body, { client_id: client.value || null, metric_type: metric.value, selector: any ? labels : null });
    }
    // The mount or GPU only when given (adding) or changed (editing): a rule for "any" stays so.
    const was = editing ? editing.mount ?? (editing.gpu != null ? String(editing.gpu) : "") : "";
    if (per === "mount" && narrow.value !== was) body.mount = narrow.value || null;
    if (per === "gpu" && narrow.value !== was) body.gpu = narrow.value === "" ? null : Number(narrow.value);
    try {
      await (editing ? ctx.call("PATCH", `/api/alert-rules/${editing.id}`, body) : ctx.call("POST", "/api/alert-rules", body));
      reset();
      void refresh();
    } catch (e) { error.textContent = describe(e); }
  } }, title, h("div", { class: "rule-fields" },
    field("Client", "rule-client", client), field("Hosts with labels", "rule-selector", selector),
    field("Metric", "rule-metric", metric),
    field("Mount or GPU", "rule-narrow", narrow), field("When the value is", "rule-direction", direction),
    field("Threshold", "rule-threshold", threshold), field("For (seconds)", "rule-duration", duration)),
  h("div", { class: "form-actions" }, submit, cancel), error);
  const edit = (r: Rule) => {
    editing = r;
    title.textContent = `Edit rule ${r.id}`;
    submit.textContent = "Save rule";
    cancel.hidden = false;
    client.value = r.client_id ?? "";
    metric.value = r.metric_type;
    selector.value = r.selector ? selectorText(r.selector) : "";
    client.disabled = metric.disabled = selector.disabled = true; // who and what a rule watches are its identity
    direction.value = r.direction;
    threshold.value = String(r.threshold);
    duration.value = String(r.duration_sec);
    narrow.value = r.mount ?? (r.gpu != null ? String(r.gpu) : "");
    form.scrollIntoView({ block: "nearest" });
    threshold.focus();
  };
  return { el: form, edit };
}

function incidentList(alerts: Incident[]): HTMLElement {
  if (!alerts.length) return empty("No alerts yet.");
  return h("div", { class: "incidents" }, h("h3", {}, "Latest alerts"), h("ul", {}, ...alerts.map((a) =>
    h("li", {}, `${a.resolved_at ? "resolved" : "FIRING"} · ${a.hostname} · ${a.metric_type}` +
      (a.mount ? ` ${a.mount}` : "") + (a.gpu != null ? ` GPU ${a.gpu}` : "") +
      ` · ${a.value ?? ""} (threshold ${a.threshold ?? "—"}) · ${time(a.fired_at)}` +
      (a.resolved_at ? ` → ${time(a.resolved_at)}` : "")))));
}
