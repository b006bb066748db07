// The overview's early listing (pages/overview/prefetch.ts), with fetch replaced by a recorder and localStorage
// by a map: what node lacks (the e2e test in tests/e2e/test_fleet_view.py loads the page against a server).
import { test } from "node:test";
import assert from "node:assert/strict";
import { EARLY_FRESH_MS, prefetchListing, sessionSeen, takeListing } from "../src/pages/overview/prefetch";

const stored = new Map<string, string>();
Object.defineProperty(globalThis, "localStorage", { configurable: true, value: {
  getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v),
  removeItem: (k: string) => void stored.delete(k),
} });

function recordFetch(status: number[], session = true): string[] {
  sessionSeen(session);
  const asked: string[] = [];
  globalThis.fetch = (async (url: string) => {
    asked.push(String(url));
    const s = status.shift() ?? 200;
    return new Response(JSON.stringify(s === 200 ? { clients: [{ id: String(asked.length) }] } : { error: { code: "unauthorized" } }),
      { status: s, headers: { "Content-Type": "application/json" } });
  }) as typeof fetch;
  return asked;
}

test("the listing asked for at boot is the one the overview uses: one request, not two", async () => {
  const asked = recordFetch([200]);
  prefetchListing(1000);
  const list = await takeListing(1500);
  assert.deepEqual(asked, ["/api/clients?fields=overview"]);
  assert.equal(list.clients[0].id, "1");
});

test("the early listing is used once: the next load asks again", async () => {
  const asked = recordFetch([200, 200]);
  prefetchListing(0);
  await takeListing(1);
  const again = await takeListing(2);
  assert.equal(asked.length, 2);
  assert.equal(again.clients[0].id, "2");
});

test("an early listing too old is not used", async () => {
  const asked = recordFetch([200, 200]);
  prefetchListing(0);
  const list = await takeListing(EARLY_FRESH_MS + 1);
  assert.equal(asked.length, 2);
  assert.equal(list.clients[0].id, "2");
});

test("an early listing that failed (a 401 before the log-in) is asked for again", async () => {
  const asked = recordFetch([401, 200]);
  prefetchListing(0);
  await new Promise((r) => setTimeout(r, 0)); // the 401 has arrived before the overview asks
  const list = await takeListing(100);
  assert.equal(asked.length, 2);
  assert.equal(list.clients[0].id, "2");
});

test("without an early listing the overview asks for its own", async () => {
  const asked = recordFetch([200]);
  await takeListing(0);
  assert.deepEqual(asked, ["/api/clients?fields=overview"]);
});

test("a browser that holds no session asks nothing early (it would only meet a 401 on its way to the log-in)", async () => {
  const asked = recordFetch([200], false);
  prefetchListing(0);
  assert.deepEqual(asked, []);
  await takeListing(1);
  assert.equal(asked.length, 1);
});
