// A tiny view layer: element builder and small helpers. No framework.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (k === "class") el.className = String(v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(typeof c === "object" ? c : String(c));
  }
}

/** Replace an element's content. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Set text only when it changed (avoids needless style and layout work on live updates). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function loading(label = "Loading…"): HTMLElement {
  return h("div", { class: "state loading", role: "status", "aria-live": "polite" }, h("span", { class: "spinner", "aria-hidden": "true" }), label);
}

export function empty(message: string, ...extra: Child[]): HTMLElement {
  return h("div", { class: "state empty" }, h("p", {}, message), ...extra);
}

export function errorBox(message: string, retry?: () => void): HTMLElement {
  return h("div", { class: "state error", role: "alert" }, h("p", {}, message),
    retry ? h("button", { type: "button", onclick: () => retry() }, "Retry") : null);
}
