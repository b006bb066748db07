// How a client's view changes with a new client list or a live frame. Pure: unit-tested in
// test/overview.test.ts.
import { applySamples } from "../shape";
import type { ClientView, LiveFrame } from "../types";

type StatusFrame = Extract<LiveFrame, { type: "status" }>;

/** A client after a status frame: online or not, and the last seen time when the frame has one. */
export function withStatus(client: ClientView, f: Pick<StatusFrame, "online" | "last_seen">): ClientView {
  return { ...client, online: f.online, last_seen: f.last_seen ?? client.last_seen };
}

/**
 * A listed client over the one shown: the list's fields, but the newer latest sample of the two (a live
 * frame may have arrived after the server wrote the list).
 */
export function mergeListed(listed: ClientView, shown: ClientView): ClientView {
  const keep = listed.latest && shown.latest && shown.latest.ts > listed.latest.ts;
  return { ...listed, latest: keep ? shown.latest : listed.latest };
}

/** A client after a live frame about it: its newest state, or null once it was removed. */
export function afterFrame(client: ClientView, f: LiveFrame): ClientView | null {
  if (f.type === "samples") return applySamples(client, f.samples);
  if (f.type === "status") return withStatus(client, f);
  if (f.type === "removed") return null;
  return client;
}
