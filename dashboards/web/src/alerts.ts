// The alert rules section of the settings page: a boundary the alerting work fills in.
//
// Contract: `mountAlertRules(container, ctx)` renders into the settings page's <section id="alert-rules">
// and returns a cleanup. `ctx.call` is the dashboard's JSON client (session cookie + CSRF header, one error
// shape), e.g. ctx.call("GET", "/api/alert-rules"). Until then it shows where the rules will live.
import { h, fill } from "./dom";
import type { api } from "./api";

export interface AlertsContext {
  call: typeof api.call;
}

export function mountAlertRules(container: HTMLElement, _ctx: AlertsContext): () => void {
  fill(container,
    h("h2", {}, "Alert rules"),
    h("p", { class: "muted" }, "Per-client alert rules and alert history appear here once the alerting service provides them. " +
      "The global thresholds above apply to every client."));
  return () => {};
}
