// The settings page's notification channels: one form per channel, drawn from the channel registry's field
// list (GET /api/alerts/channels), each with its state (working / failing with the last error / disabled with
// the reason), Save, Remove and "Send test message". Secrets come back masked: an empty secret field keeps
// the saved value.
import { describe } from "./api";
import type { api } from "./api";
import { errorBox, fill, h, loading } from "./dom";

export interface ChannelField {
  name: string; setting: string; label: string; description: string;
  kind: "url" | "host" | "text" | "int" | "choice"; secret: boolean; required: boolean;
  default: string | number | null; bounds: [number, number] | null; choices: string[]; placeholder: string;
  value: string | number | null; set: boolean;
}

export interface ChannelView {
  name: string; title: string; configured: boolean; fields: ChannelField[]; groups: boolean;
  state: "working" | "failing" | "disabled" | "unconfigured";
  disabled_reason: string | null; last_error: string | null; last_sent_at: number | null;
}

const STATE_TEXT = { working: "working", failing: "failing", disabled: "disabled", unconfigured: "not set up" };

export function mountChannels(el: HTMLElement, call: typeof api.call): void {
  async function load(): Promise<void> {
    try {
      const r = await call<{ channels: ChannelView[] }>("GET", "/api/alerts/channels");
      fill(el, h("h2", { id: "h-notifications" }, "Notifications"),
        h("p", { class: "muted" }, "One form per channel. Saved secrets are never shown again; leave a secret empty to keep it."),
        r.channels.map((c) => channelForm(c)));
    } catch (e) {
      fill(el, errorBox(`Could not load the channels: ${describe(e)}`, () => void load()));
    }
  }

  function channelForm(c: ChannelView): HTMLElement {
    const st = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
    const inputs = c.fields.map((f) => fieldInput(c, f));
    const saveBtn = h("button", { type: "submit", class: "primary" }, "Save");
    const testBtn = h("button", { type: "button", "data-action": "test" }, "Send test message");
    const removeBtn = h("button", { type: "button", class: "danger-outline", "data-action": "remove" }, "Remove");
    testBtn.hidden = removeBtn.hidden = !c.configured;
    const detail = c.state === "disabled" ? c.disabled_reason : c.state === "failing" ? c.last_error : null;
    const form = h("form", { class: "form channel", "data-channel": c.name, "aria-labelledby": `h-ch-${c.name}` },
      h("h3", { id: `h-ch-${c.name}` }, c.title, " ", h("span", { class: `badge state-${c.state}`, "data-state": c.state }, STATE_TEXT[c.state])),
      detail ? h("p", { class: "muted channel-detail" }, c.state === "disabled" ? `Disabled: ${detail}` : `Last error: ${detail}`) : null,
      inputs.map((i) => i.node), h("div", { class: "actions" }, saveBtn, testBtn, removeBtn), st);

    const run = async (btn: HTMLButtonElement, busy: string, work: () => Promise<string>) => {
      btn.disabled = true;
      st.className = "form-status";
      st.textContent = busy;
      try {
        st.textContent = await work();
        st.classList.add("ok");
        return true;
      } catch (e) {
        st.textContent = describe(e);
        st.classList.add("bad");
        return false;
      } finally {
        btn.disabled = false;
      }
    };
    const redraw = async (message: string) => {
      await load();
      const again = el.querySelector<HTMLElement>(`form[data-channel="${c.name}"] .form-status`);
      if (again) { again.textContent = message; again.classList.add("ok"); }
    };
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const changes: Record<string, unknown> = {};
      for (const i of inputs) {
        const v = i.read();
        if (v !== undefined) changes[i.field.setting] = v;
      }
      if (!Object.keys(changes).length) { st.textContent = "Nothing to save."; return; }
      if (await run(saveBtn, "Saving…", async () => { await call("POST", "/api/settings", changes); return "Saved."; })) await redraw("Saved.");
    });
    testBtn.addEventListener("click", async () => {
      if (await run(testBtn, "Sending…", async () => { await call("POST", "/api/alerts/test", { channel: c.name }); return "Test message sent."; })) await redraw("Test message sent.");
      else await load().then(() => undefined);
    });
    removeBtn.addEventListener("click", async () => {
      const changes: Record<string, string> = {};
      for (const f of c.fields) if (f.kind === "url" || f.kind === "host" || f.kind === "text") changes[f.setting] = "";
      if (await run(removeBtn, "Removing…", async () => { await call("POST", "/api/settings", changes); return "Removed."; })) await redraw("Removed.");
    });
    return form;
  }

  void load();
  fill(el, loading());
}

function fieldInput(c: ChannelView, f: ChannelField): { field: ChannelField; node: HTMLElement; read: () => unknown } {
  const id = `ch-${f.setting}`;
  const hint = h("p", { class: "muted", id: `${id}-hint` }, f.description);
  if (f.kind === "choice") {
    const sel = h("select", { id, name: f.setting, "aria-describedby": `${id}-hint` },
      f.choices.map((o) => h("option", { value: o, selected: (f.value ?? f.default) === o }, o)));
    return { field: f, node: h("div", { class: "field" }, h("label", { for: id }, f.label), sel, hint), read: () => sel.value === (f.value ?? f.default) ? undefined : sel.value };
  }
  const type = f.kind === "int" ? "number" : f.secret ? "password" : f.kind === "url" ? "url" : "text";
  const shown = f.secret ? "" : f.value === null || f.value === undefined ? "" : String(f.value);
  const input = h("input", { id, name: f.setting, type, autocomplete: "off", spellcheck: "false", value: shown, "aria-describedby": `${id}-hint`,
    placeholder: f.secret && f.set ? `Saved${f.value && f.kind === "url" ? ` (${f.value})` : ""} — type to replace` : f.placeholder || (f.default !== null ? String(f.default) : ""),
    min: f.bounds ? String(f.bounds[0]) : null, max: f.bounds ? String(f.bounds[1]) : null });
  const read = (): unknown => {
    const v = input.value.trim();
    if (f.secret) return v ? v : undefined; // empty: keep what is saved
    if (v === shown) return undefined;
    return f.kind === "int" ? Number(v) : v;
  };
  const label = h("label", { for: id }, f.label, f.required ? "" : " (optional)");
  return { field: f, node: h("div", { class: "field", "data-field": f.setting, "data-channel": c.name }, label, input, hint), read };
}
