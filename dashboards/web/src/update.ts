// A client's agent update in words, for the client page's header and the overview card. Pure: unit-tested in
// test/client.test.ts.
import type { ClientView } from "./types";

const WORDS: Record<string, string> = {
  installed: "installed", rolled_back: "rolled back", refused: "refused", failed: "failed", skipped: "skipped",
};
const FAILED = new Set(["rolled_back", "refused", "failed"]);

/** The last attempt and any pending target: "update 1.4.0 rolled back", "updating to 1.5.0", or "". */
export function updateNote(client: ClientView, full = false): string {
  const u = client.update;
  if (!u) return "";
  const last = u.last_attempt;
  const parts: string[] = [];
  if (last && (full || FAILED.has(last.result))) {
    parts.push(`update ${last.version} ${WORDS[last.result] ?? last.result}`);
  }
  const failedTarget = last && FAILED.has(last.result) && last.version === u.target;
  if (u.target && u.target !== client.agent_version && !failedTarget) parts.push(`updating to ${u.target}`);
  return parts.join(" · ");
}
