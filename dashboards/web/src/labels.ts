// Host labels (key=value) as the server's rule has them (statusmon/labels.py): parsing what a visitor types.
export const KEY_RE = /^[a-z][a-z0-9_.-]{0,62}$/;
const VALUE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}$/;

/** One `key=value` as the server's rule has it (statusmon/labels.py), or null. */
export function parsePair(text: string): [string, string] | null {
  const i = text.indexOf("=");
  if (i < 0) return null;
  const k = text.slice(0, i).trim();
  const v = text.slice(i + 1).trim();
  return KEY_RE.test(k) && VALUE_RE.test(v) ? [k, v] : null;
}

/** "env=prod role=gpu" (spaces or commas between): the selector, and the parts that are no key=value. */
export function parseSelector(text: string): { labels: Record<string, string>; bad: string[] } {
  const labels: Record<string, string> = {};
  const bad: string[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const p = parsePair(part);
    if (p) labels[p[0]] = p[1];
    else bad.push(part);
  }
  return { labels, bad };
}

export function selectorText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(" ");
}

