// The REST client's cancel and hold at logout (src/api.ts), with fetch replaced by a recorder: what node lacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, ApiError, cancelPending, releasePending } from "../src/api";

function recordFetch(): string[] {
  const asked: string[] = [];
  globalThis.fetch = (async (url: string) => {
    asked.push(String(url));
    return new Response(JSON.stringify({ clients: [], authenticated: false }), { status: 200, headers: { "Content-Type": "application/json" } });
  }) as typeof fetch;
  return asked;
}

test("during a logout a new request is refused as cancelled, the logout goes out, and after it requests go again", async () => {
  const asked = recordFetch();
  cancelPending(true);
  await assert.rejects(api.overviewClients(), (e: unknown) => e instanceof ApiError && e.code === "aborted");
  await api.logout();
  assert.deepEqual(asked, ["/api/logout"]);
  releasePending();
  await api.overviewClients();
  assert.deepEqual(asked, ["/api/logout", "/api/clients?fields=overview"]);
});

test("cancelling without a hold lets the next request go out", async () => {
  const asked = recordFetch();
  cancelPending();
  await api.overviewClients();
  assert.deepEqual(asked, ["/api/clients?fields=overview"]);
});
