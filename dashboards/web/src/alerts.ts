// The alert rules section of the settings page: a boundary the alerting work fills in.
//
// Contract: `mountAlertRules(container, ctx)` renders into the settings page's <section id="alert-rules">
// and returns a cleanup. `ctx.call` is the dashboard's JSON client (session cookie + CSRF header, one error
// shape), e.g. ctx.call("GET", "/api/alert-rules"). The section itself is alertrules.ts (alerting's).
import { renderAlertRules } from "./alertrules";
import type { api } from "./api";

export interface AlertsContext {
  call: typeof api.call;
}

export function mountAlertRules(container: HTMLElement, ctx: AlertsContext): () => void {
  return renderAlertRules(container, ctx);
}
