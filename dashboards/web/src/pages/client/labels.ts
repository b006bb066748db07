// The client page's labels: each key=value with where it comes from (the agent's config or an admin), an
// admin's label removable, and a field to set one (an admin's value wins over the agent's for the same key).
import { api, describe } from "../../api";
import { h } from "../../dom";
import type { ClientView } from "../../types";
import { parsePair } from "../../labels";

export class ClientLabels {
  private readonly list = h("ul", { class: "label-list", "aria-label": "Labels" });
  private readonly input = h("input", { type: "text", id: "label-input", placeholder: "key=value", autocomplete: "off", spellcheck: "false", "aria-label": "Set a label" });
  private readonly status = h("p", { class: "form-status", role: "status" });
  readonly el: HTMLElement;

  constructor(private readonly id: string, private readonly changed: (c: ClientView) => void) {
    const form = h("form", { class: "label-form" }, this.input, h("button", { type: "submit" }, "Set label"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const pair = parsePair(this.input.value);
      if (!pair) {
        this.say("A label is key=value: a key of a-z, 0-9, _ . - (a letter first), a value of letters, digits, _ . - : /", true);
        return;
      }
      void this.patch({ [pair[0]]: pair[1] }, () => { this.input.value = ""; });
    });
    this.el = h("section", { class: "client-labels", id: "client-labels", "aria-label": "Labels" }, this.list, form, this.status);
  }

  paint(c: ClientView): void {
    const labels = Object.entries(c.labels ?? {});
    this.list.replaceChildren(...labels.map(([k, v]) => {
      const admin = c.label_sources?.[k] === "admin";
      return h("li", { class: `label-chip ${admin ? "admin" : "agent"}`, "data-key": k, title: admin ? "set by an admin" : "from the agent's config" },
        `${k}=${v}`, admin
          ? h("button", { type: "button", class: "link", "aria-label": `Remove label ${k}`, onclick: () => void this.patch({ [k]: null }) }, "×")
          : null);
    }));
    if (!labels.length) this.list.append(h("li", { class: "muted small" }, "No labels"));
  }

  private async patch(change: Record<string, string | null>, done?: () => void): Promise<void> {
    try {
      const c = await api.patchLabels(this.id, change);
      done?.();
      this.say("Saved.", false);
      this.paint(c);
      this.changed(c);
    } catch (e) {
      this.say(describe(e), true);
    }
  }

  private say(text: string, bad: boolean): void {
    this.status.textContent = text;
    this.status.className = `form-status ${bad ? "bad" : "ok"}`;
  }
}
