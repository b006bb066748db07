// The alert rules section of the settings page (alerting's UI): channel status with the reason a channel
// was disabled and a "send test message" button, the per-client and all-client rules (add, enable/disable,
// delete), and the latest incidents. Everything goes through the admin API of api/alerts (session + CSRF).
import { h, fill, loading, errorBox, empty } from "./dom";
import { describe } from "./api";
import type { AlertsContext } from "./alerts";

interface Rule {
  id: number; client_id: string | null; metric_type: string; threshold: number; duration_sec: number;
  direction: "above" | "below"; mount: string | null; gpu: number | null; enabled: boolean;
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
      if (alive) fill(container, h("h2", {}, "Alert rules"), channelList(channels, ctx, refresh),
        ruleTable(rules, clients.clients, ctx, refresh), ruleForm(rules, clients.clients, ctx, refresh),
        incidentList(alerts.alerts));
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
        h("strong", {}, c.name === "slack" ? "Slack" : "Webhook"), " ", status, " ", c.url ?? "", " ", test, " ", result,
        c.disabled && c.disabled_reason ? h("p", { class: "form-error" }, `Disabled: ${c.disabled_reason}. ` +
          "Save a new URL above, or send a test message once it is fixed.") : null);
    }));
}

function ruleTable(view: RulesView, clients: ClientRow[], ctx: AlertsContext, refresh: () => Promise<void>): HTMLElement {
  if (!view.rules.length) return empty("No rules of your own: the global thresholds above apply to every client.");
  const host = (id: string | null): string => (id ? clients.find((c) => c.id === id)?.hostname ?? id : "all clients");
  return h("table", { class: "rules" },
    h("thead", {}, h("tr", {}, ...["Client", "Metric", "Condition", "Enabled", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...view.rules.map((r) => h("tr", { "data-rule": r.id },
      h("td", {}, host(r.client_id)),
      h("td", {}, r.metric_type + (r.mount ? ` ${r.mount}` : "") + (r.gpu != null ? ` GPU ${r.gpu}` : "")),
      h("td", {}, `${r.direction} ${r.threshold} for ${r.duration_sec} s`),
      h("td", {}, h("input", { type: "checkbox", checked: r.enabled, "aria-label": "enabled", onchange: async () => {
        await ctx.call("PATCH", `/api/alert-rules/${r.id}`, { enabled: !r.enabled }); void refresh();
      } })),
      h("td", {}, h("button", { type: "button", onclick: async () => {
        if (confirm("Delete this rule?")) { await ctx.call("DELETE", `/api/alert-rules/${r.id}`); void refresh(); }
      } }, "Delete"))))));
}

function ruleForm(view: RulesView, clients: ClientRow[], ctx: AlertsContext, refresh: () => Promise<void>): HTMLElement {
  const client = h("select", { name: "client_id" }, h("option", { value: "" }, "All clients"),
    ...clients.map((c) => h("option", { value: c.id }, c.hostname)));
  const metric = h("select", { name: "metric_type" }, ...view.metric_types.map((m) => h("option", { value: m.name }, m.name)));
  const threshold = h("input", { name: "threshold", type: "number", step: "any", required: true, value: "90" });
  const duration = h("input", { name: "duration_sec", type: "number", min: 0, step: 1, required: true, value: "300" });
  const direction = h("select", { name: "direction" }, h("option", { value: "above" }, "above"), h("option", { value: "below" }, "below"));
  const narrow = h("input", { name: "narrow", placeholder: "mount or GPU index (optional)" });
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h("form", { class: "rule-form", onsubmit: async (ev: Event) => {
    ev.preventDefault();
    const per = view.metric_types.find((m) => m.name === metric.value)?.per ?? null;
    const body: Record<string, unknown> = {
      client_id: client.value || null, metric_type: metric.value, threshold: Number(threshold.value),
      duration_sec: Number(duration.value), direction: direction.value,
    };
    if (narrow.value && per === "mount") body.mount = narrow.value;
    if (narrow.value && per === "gpu") body.gpu = Number(narrow.value);
    try { await ctx.call("POST", "/api/alert-rules", body); void refresh(); } catch (e) { error.textContent = describe(e); }
  } }, client, metric, direction, threshold, duration, narrow, h("button", { type: "submit" }, "Add rule"), error);
  return form;
}

function incidentList(alerts: Incident[]): HTMLElement {
  if (!alerts.length) return empty("No alerts yet.");
  return h("div", { class: "incidents" }, h("h3", {}, "Latest alerts"), h("ul", {}, ...alerts.map((a) =>
    h("li", {}, `${a.resolved_at ? "resolved" : "FIRING"} · ${a.hostname} · ${a.metric_type}` +
      (a.mount ? ` ${a.mount}` : "") + (a.gpu != null ? ` GPU ${a.gpu}` : "") +
      ` · ${a.value ?? ""} (threshold ${a.threshold ?? "—"}) · ${time(a.fired_at)}` +
      (a.resolved_at ? ` → ${time(a.resolved_at)}` : "")))));
}
