// The client page's tab list (WAI-ARIA tabs: arrows, Home and End move between them).
import { h } from "../../dom";
import { TABS, tabAfterKey, type Tab } from "./route";

export class Tabs {
  readonly el = h("div", { role: "tablist", "aria-label": "Views", class: "tabs" });
  private readonly buttons: HTMLButtonElement[];

  /** `onSelect` runs on a click or key; it shows the tab and calls `mark`. */
  constructor(onSelect: (t: Tab) => void) {
    this.buttons = TABS.map(([t, label], i) => {
      const b = h("button", { type: "button", role: "tab", id: `tab-${t}`, "aria-controls": "panel", "data-tab": t }, label);
      b.addEventListener("click", () => onSelect(t));
      b.addEventListener("keydown", (ev) => {
        const j = tabAfterKey((ev as KeyboardEvent).key, i);
        if (j < 0) return;
        ev.preventDefault();
        onSelect(TABS[j][0]);
        this.buttons[j].focus();
      });
      this.el.append(b);
      return b;
    });
  }

  /** Mark `t` as the selected tab (the only one reached by Tab). */
  mark(t: Tab): void {
    for (const b of this.buttons) {
      const on = b.dataset.tab === t;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    }
  }
}
