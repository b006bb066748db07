// The settings page's silences: mute a host, a rule or every alert for a while, with a comment (POST
// /api/silences), the active and recent ones listed with "End now" (DELETE). While muted, alerts still change
// state and go to the history, marked silenced; nothing is sent; when a silence ends on an alert that still
// fires, one message says so.
import { describe } from "./api";
import type { api } from "./api";
import { errorBox, fill, h, loading } from "./dom";

export interface SilenceView {
  id: number; scope: "host" | "rule" | "all"; client_id: string | null; rule_id: number | null;
  starts_at: number; ends_at: number; ended_at: number | null; comment: string; created_at: number; active: boolean;
}

interface Named { id: string; hostname: string }
interface RuleRef { id: number; metric_type: string; client_id: string | null; threshold: number }

export interface NewSilence {
  scope: "host" | "rule" | "all"; client_id?: string; rule_id?: number; duration_sec?: number; until?: number | null; comment: string;
}

/** The choices of how long to silence for, shared by the settings page and the Alerts page's row action. */
export const DURATIONS: [string, number][] = [["1 hour", 3600], ["4 hours", 4 * 3600], ["1 day", 86400], ["1 week", 7 * 86400]];

/** POST /api/silences: the one request both forms make (the admin session's CSRF header is added by api.ts). */
export function createSilence(call: typeof api.call, body: NewSilence): Promise<SilenceView> {
  return call<SilenceView>("POST", "/api/silences", body);
}

function when(ts: number): string {
  return new Date(ts * 1000).toLocaleString();
}

/** A section of its own; the caller appends it where it wants it. */
export function mountSilences(call: typeof api.call): HTMLElement {
  const el = h("section", { class: "card", id: "silences", "aria-labelledby": "h-silences" }, loading());

  async function load(): Promise<void> {
    try {
      const [s, c, r] = await Promise.all([
        call<{ silences: SilenceView[] }>("GET", "/api/silences"),
        call<{ clients: Named[] }>("GET", "/api/clients"),
        call<{ rules: RuleRef[] }>("GET", "/api/alert-rules"),
      ]);
      const hosts = new Map(c.clients.map((x) => [x.id, x.hostname]));
      fill(el, h("h2", { id: "h-silences" }, "Silences"),
        h("p", { class: "muted" }, "A silenced alert still changes state and shows in the history, marked silenced; nothing is sent. When the silence ends on an alert that still fires, one message says so."),
        form(c.clients, r.rules, hosts), list(s.silences, hosts));
    } catch (e) {
      fill(el, errorBox(`Could not load the silences: ${describe(e)}`, () => void load()));
    }
  }

  function form(clients: Named[], rules: RuleRef[], hosts: Map<string, string>): HTMLElement {
    const scope = h("select", { name: "scope", "aria-label": "What to silence" },
      h("option", { value: "host" }, "one host"), h("option", { value: "rule" }, "one rule"), h("option", { value: "all" }, "every alert"));
    const client = h("select", { name: "client_id", "aria-label": "Host" },
      clients.map((x) => h("option", { value: x.id }, x.hostname)));
    const rule = h("select", { name: "rule_id", "aria-label": "Rule" },
      rules.map((x) => h("option", { value: String(x.id) }, `#${x.id} ${x.metric_type} ${x.threshold} (${x.client_id ? hosts.get(x.client_id) ?? x.client_id : "all hosts"})`)));
    const duration = h("select", { name: "duration_sec", "aria-label": "For" },
      DURATIONS.map(([label, s]) => h("option", { value: String(s) }, label)), h("option", { value: "until" }, "until…"));
    const until = h("input", { type: "datetime-local", name: "until", "aria-label": "Until", hidden: true });
    const comment = h("input", { type: "text", name: "comment", required: true, maxlength: "500", placeholder: "why (required)", "aria-label": "Comment" });
    const st = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
    const btn = h("button", { type: "submit", class: "primary" }, "Silence");
    const sync = (): void => {
      client.hidden = scope.value !== "host";
      rule.hidden = scope.value !== "rule";
      until.hidden = duration.value !== "until";
    };
    scope.addEventListener("change", sync);
    duration.addEventListener("change", sync);
    sync();
    const f = h("form", { class: "form", "data-form": "silence" }, h("div", { class: "row" }, scope, client, rule, duration, until, comment, btn), st);
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body: NewSilence = { scope: scope.value as NewSilence["scope"], comment: comment.value };
      if (scope.value === "host") body.client_id = client.value;
      if (scope.value === "rule") body.rule_id = Number(rule.value);
      if (duration.value === "until") body.until = until.value ? new Date(until.value).getTime() / 1000 : null;
      else body.duration_sec = Number(duration.value);
      btn.disabled = true;
      st.className = "form-status";
      st.textContent = "Saving…";
      createSilence(call, body)
        .then(() => load())
        .catch((e: unknown) => { st.textContent = describe(e); st.classList.add("bad"); btn.disabled = false; });
    });
    return f;
  }

  function list(silences: SilenceView[], hosts: Map<string, string>): HTMLElement {
    if (!silences.length) return h("p", { class: "muted", "data-empty": "silences" }, "No silences in the last 7 days.");
    const what = (s: SilenceView): string =>
      s.scope === "all" ? "every alert" : s.scope === "host" ? `host ${hosts.get(s.client_id ?? "") ?? s.client_id}` : `rule #${s.rule_id}`;
    return h("div", { class: "table-scroll" }, h("table", { class: "table", "data-table": "silences" },
      h("thead", {}, h("tr", {}, h("th", {}, "Silences"), h("th", {}, "Until"), h("th", {}, "Comment"), h("th", {}, "State"), h("th", {}, ""))),
      h("tbody", {}, silences.map((s) => {
        const end = s.active ? h("button", { type: "button", "data-action": "end" }, "End now") : null;
        end?.addEventListener("click", () => {
          end.disabled = true;
          call<unknown>("DELETE", `/api/silences/${s.id}`).then(() => load()).catch(() => load());
        });
        return h("tr", { "data-silence": s.id }, h("td", {}, what(s)), h("td", {}, when(s.ended_at ?? s.ends_at)),
          h("td", {}, s.comment), h("td", {}, s.active ? "active" : s.ended_at ? "ended early" : "expired"), h("td", {}, end));
      }))));
  }

  void load();
  return el;
}
