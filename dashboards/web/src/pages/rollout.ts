// Settings, "Agent updates": the target version of each channel (from the signed releases the server holds) and
// its rollout percentage, saved with PUT /api/updates/policy. Per-host pin and hold are set through the API.
import { api, describe } from "../api";
import { empty, errorBox, fill, h, loading } from "../dom";

interface ChannelPolicy { version: string | null; rollout_percent: number }
interface PolicyView {
  channels: Record<string, ChannelPolicy>;
  hosts: Record<string, { channel: string; pin: string | null; hold: boolean }>;
  releases: { version: string; targets: { python: string; machine: string; length: number }[] }[];
}

const CHANNELS = ["stable", "canary"] as const;

export function mountRollout(el: HTMLElement): void {
  fill(el, h("h2", { id: "h-updates" }, "Agent updates"), loading());
  void load();

  async function load(): Promise<void> {
    try {
      render(await api.call<PolicyView>("GET", "/api/updates/policy"));
    } catch (e) {
      fill(el, h("h2", { id: "h-updates" }, "Agent updates"), errorBox(`Could not load the update policy: ${describe(e)}`, () => void load()));
    }
  }

  function render(p: PolicyView): void {
    const rows = CHANNELS.map((ch) => {
      const current = p.channels[ch] ?? { version: null, rollout_percent: 100 };
      const versions = p.releases.map((r) => r.version);
      if (current.version && !versions.includes(current.version)) versions.unshift(current.version);
      const select = h("select", { id: `update-${ch}`, name: `${ch}-version` },
        h("option", { value: "" }, "none (stay)"),
        versions.map((v) => h("option", { value: v, selected: v === current.version }, v)));
      const pct = h("input", { type: "number", id: `update-${ch}-pct`, name: `${ch}-rollout`, min: "0", max: "100", step: "1",
        value: String(current.rollout_percent), required: true, class: "num-input" });
      return { ch, select, pct, node: h("div", { class: "field-row" },
        h("label", { for: `update-${ch}` }, `${ch[0].toUpperCase()}${ch.slice(1)} version`), select,
        h("label", { for: `update-${ch}-pct` }, "rollout %"), pct) };
    });
    const st = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
    const btn = h("button", { type: "submit", class: "primary" }, "Save");
    const form = h("form", { class: "form", id: "update-policy" }, rows.map((r) => r.node), h("div", { class: "actions" }, btn), st);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      btn.disabled = true;
      st.className = "form-status";
      st.textContent = "Saving…";
      const channels = Object.fromEntries(rows.map((r) => [r.ch, { version: r.select.value || null, rollout_percent: Number(r.pct.value) }]));
      try {
        await api.call("PUT", "/api/updates/policy", { channels });
        st.textContent = "Saved.";
        st.classList.add("ok");
      } catch (e) {
        st.textContent = describe(e);
        st.classList.add("bad");
      } finally {
        btn.disabled = false;
      }
    });
    const held = Object.entries(p.hosts).filter(([, hst]) => hst.hold || hst.pin || hst.channel !== "stable").length;
    fill(el, h("h2", { id: "h-updates" }, "Agent updates"),
      h("p", { class: "muted" }, "Hosts take their channel's version when a hash of their id falls under the rollout percentage. " +
        `${held} host(s) have their own channel, pin or hold (set through PUT /api/updates/policy).`),
      p.releases.length ? form : h("div", {}, empty("No signed releases on this server (STATUSMON_UPDATES_DIR)."), form));
  }
}
