// Settings: notification channels (one form per channel, from the channel registry; secrets masked), global thresholds, general settings, client management
// (add shows the token once with the install command; remove with confirmation; rotate token), alert rules.
import { api, describe } from "../api";
import { mountAlertRules } from "../alerts";
import { mountChannels } from "../channels";
import { mountSilences } from "../silences";
import { empty, errorBox, fill, h, loading } from "../dom";
import { formatAgo } from "../format";
import { ALERT_LABELS } from "../metrics";
import { mountRollout } from "./rollout";
import { naturalCompare } from "../shape";
import type { ClientView, NewClient, SettingsView, Threshold } from "../types";

export function mountSettings(root: HTMLElement): () => void {
  const cleanups: (() => void)[] = [];
  const notifications = h("section", { class: "card", id: "notifications", "aria-labelledby": "h-notifications" }, loading());
  const thresholds = h("section", { class: "card", id: "thresholds", "aria-labelledby": "h-thresholds" }, loading());
  const general = h("section", { class: "card", id: "general", "aria-labelledby": "h-general" }, loading());
  const clients = h("section", { class: "card", id: "clients", "aria-labelledby": "h-clients" }, loading());
  const alertRules = h("section", { class: "card", id: "alert-rules" });
  const updates = h("section", { class: "card", id: "updates", "aria-labelledby": "h-updates" });
  root.append(h("div", { class: "page-head" }, h("h1", {}, "Settings")),
    h("div", { class: "settings" }, clients, notifications, thresholds, general, updates, alertRules));
  cleanups.push(mountAlertRules(alertRules, { call: api.call }));
  mountChannels(notifications, api.call);
  notifications.after(mountSilences(api.call));

  async function loadSettings(): Promise<void> {
    try {
      const s = await api.settings();
      renderThresholds(thresholds, s);
      renderGeneral(general, s);
    } catch (e) {
      for (const el of [thresholds, general]) fill(el, errorBox(`Could not load the settings: ${describe(e)}`, () => void loadSettings()));
    }
  }

  void loadSettings();
  mountClients(clients);
  mountRollout(updates);
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  return () => cleanups.forEach((fn) => fn());
}

function status(): HTMLElement {
  return h("p", { class: "form-status", role: "status", "aria-live": "polite" });
}

async function save(statusEl: HTMLElement, button: HTMLButtonElement, changes: Parameters<typeof api.saveSettings>[0]): Promise<SettingsView | null> {
  button.disabled = true;
  statusEl.className = "form-status";
  statusEl.textContent = "Saving…";
  try {
    const s = await api.saveSettings(changes);
    statusEl.textContent = "Saved.";
    statusEl.classList.add("ok");
    return s;
  } catch (e) {
    statusEl.textContent = describe(e);
    statusEl.classList.add("bad");
    return null;
  } finally {
    button.disabled = false;
  }
}

function renderThresholds(el: HTMLElement, s: SettingsView): void {
  const rows = Object.entries(s.thresholds);
  const inputs = new Map<string, { enabled: HTMLInputElement; direction: HTMLSelectElement; threshold: HTMLInputElement; duration: HTMLInputElement }>();
  const tbody = h("tbody", {});
  for (const [key, t] of rows) {
    const label = ALERT_LABELS[key] ?? key;
    const enabled = h("input", { type: "checkbox", "aria-label": `${label}: enabled`, checked: t.enabled });
    const direction = h("select", { "aria-label": `${label}: direction` },
      h("option", { value: "above", selected: t.direction === "above" }, "above"),
      h("option", { value: "below", selected: t.direction === "below" }, "below"));
    const threshold = h("input", { type: "number", step: "any", required: true, value: String(t.threshold), "aria-label": `${label}: threshold`, class: "num-input" });
    const duration = h("input", { type: "number", min: "0", step: "1", required: true, value: String(t.duration_sec), "aria-label": `${label}: held for seconds`, class: "num-input" });
    inputs.set(key, { enabled, direction, threshold, duration });
    tbody.append(h("tr", { "data-threshold": key }, h("th", { scope: "row" }, label), h("td", {}, enabled), h("td", {}, direction), h("td", {}, threshold), h("td", {}, duration)));
  }
  const st = status();
  const btn = h("button", { type: "submit", class: "primary" }, "Save thresholds");
  const form = h("form", { class: "form" },
    h("div", { class: "table-scroll" }, h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["Metric", "On", "When", "Threshold", "Held for (s)"].map((c) => h("th", { scope: "col" }, c)))), tbody)),
    h("div", { class: "actions" }, btn), st);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const changes: Record<string, Threshold> = {};
    for (const [key, i] of inputs) {
      changes[key] = { enabled: i.enabled.checked, direction: i.direction.value as Threshold["direction"], threshold: Number(i.threshold.value), duration_sec: Math.round(Number(i.duration.value)) };
    }
    await save(st, btn, { thresholds: changes });
  });
  fill(el, h("h2", { id: "h-thresholds" }, "Alert thresholds"), h("p", { class: "muted" }, "Global: they apply to every client."), rows.length ? form : empty("No thresholds defined."));
}

function renderGeneral(el: HTMLElement, s: SettingsView): void {
  // A setting this server does not act on (GET /api/settings' `unsupported`, e.g. retention_days on InfluxDB)
  // is shown disabled with the server's reason, and left out of what is saved.
  type Key = "online_timeout_seconds" | "retention_days" | "minute_retention_days" | "hour_retention_days" | "alert_repeat_hours";
  const field = (key: Key, id: string, label: string, min: number, max: number, step = "1") => {
    const why = s.unsupported[key];
    const input = h("input", { type: "number", id, name: key, min: String(min), max: String(max), step, value: String(s[key]), required: true, class: "num-input",
      disabled: why !== undefined, "aria-describedby": why !== undefined ? `${id}-why` : null });
    const row = h("div", { class: "field-row" }, h("label", { for: id }, label), input);
    if (why === undefined) return { key, input, node: row };
    return { key, input, node: h("div", { "data-unsupported": key }, row, h("p", { class: "muted", id: `${id}-why` }, `Not changeable on this server: ${why}`)) };
  };
  const fields = [
    field("online_timeout_seconds", "online-timeout", "Offline after (seconds without a report)", 5, 86400),
    field("retention_days", "retention", "Keep raw samples (days)", 1, 3650),
    field("minute_retention_days", "retention-minute", "Keep 1-minute history (days)", 1, 3650),
    field("hour_retention_days", "retention-hour", "Keep 1-hour history (days)", 1, 36500),
    field("alert_repeat_hours", "repeat", "Repeat an ongoing alert every (hours, 0 = never)", 0, 720, "any"),
  ];
  const st = status();
  const btn = h("button", { type: "submit", class: "primary" }, "Save");
  const form = h("form", { class: "form" }, fields.map((f) => f.node), h("div", { class: "actions" }, btn), st);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const changes: Partial<Record<Key, number>> = {};
    for (const f of fields) if (!f.input.disabled) changes[f.key] = Number(f.input.value);
    await save(st, btn, changes);
  });
  fill(el, h("h2", { id: "h-general" }, "General"), form);
}

// --- Clients ---------------------------------------------------------------------------------------------

function mountClients(el: HTMLElement): void {
  const list = h("div", { class: "client-list" }, loading("Loading clients…"));
  const reveal = h("div", { id: "new-token", "aria-live": "polite" });
  const hostname = h("input", { type: "text", id: "new-hostname", name: "hostname", required: true, autocomplete: "off", spellcheck: "false", placeholder: "web-1.example.org", pattern: "[A-Za-z0-9][A-Za-z0-9._-]{0,252}" });
  const addBtn = h("button", { type: "submit", class: "primary" }, "Add client");
  const st = status();
  const form = h("form", { class: "form inline", id: "add-client" },
    h("label", { for: "new-hostname" }, "Hostname"), h("div", { class: "row" }, hostname, addBtn), st);
  const dialog = h("dialog", { id: "confirm", "aria-labelledby": "confirm-title" });
  fill(el, h("h2", { id: "h-clients" }, "Clients"), form, reveal, list, dialog);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    addBtn.disabled = true;
    st.className = "form-status";
    st.textContent = "";
    try {
      const created = await api.addClient(hostname.value.trim());
      showToken(reveal, created, "added");
      hostname.value = "";
      await refresh();
    } catch (e) {
      st.textContent = describe(e);
      st.classList.add("bad");
    } finally {
      addBtn.disabled = false;
    }
  });

  async function refresh(): Promise<void> {
    try {
      const r = await api.clients();
      renderList(r.clients.sort((a, b) => naturalCompare(a.hostname, b.hostname)), r.now);
    } catch (e) {
      fill(list, errorBox(`Could not load the clients: ${describe(e)}`, () => void refresh()));
    }
  }

  function renderList(clients: ClientView[], now: number): void {
    if (!clients.length) return fill(list, empty("No clients yet. Add the first one above."));
    fill(list, h("div", { class: "table-scroll" }, h("table", { class: "table", id: "client-table" },
      h("thead", {}, h("tr", {}, ["Hostname", "Status", "Last seen", "Agent", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, clients.map((c) => h("tr", { "data-id": c.id, "data-hostname": c.hostname },
        h("th", { scope: "row" }, h("a", { href: `/client/${encodeURIComponent(c.id)}` }, c.hostname)),
        h("td", {}, h("span", { class: `badge ${c.online ? "on" : "off"}` }, c.online ? "online" : "offline")),
        h("td", {}, formatAgo(c.last_seen, now)),
        h("td", { class: "muted" }, c.agent_version ?? "—"),
        h("td", { class: "row-actions" },
          h("button", { type: "button", class: "small", "data-action": "rotate", onclick: () => confirmThen(`Rotate the token of ${c.hostname}?`, "The agent on the host stops reporting until it gets the new token.", "Rotate token", async () => {
            showToken(reveal, await api.rotateToken(c.id), "rotated");
          }) }, "Rotate token"),
          h("button", { type: "button", class: "small danger-outline", "data-action": "remove", onclick: () => confirmThen(`Remove ${c.hostname}?`, "Its token stops working and all of its history is deleted. This cannot be undone.", "Remove", async () => {
            await api.removeClient(c.id);
            reveal.replaceChildren();
            await refresh();
          }) }, "Remove"))))))));
  }

  function confirmThen(title: string, text: string, action: string, run: () => Promise<void>): void {
    const st2 = status();
    const ok = h("button", { type: "button", class: "danger", id: "confirm-ok" }, action);
    const cancel = h("button", { type: "button", id: "confirm-cancel" }, "Cancel");
    fill(dialog, h("h3", { id: "confirm-title" }, title), h("p", {}, text), st2, h("div", { class: "actions" }, cancel, ok));
    cancel.addEventListener("click", () => dialog.close());
    ok.addEventListener("click", async () => {
      ok.disabled = true;
      try {
        await run();
        dialog.close();
      } catch (e) {
        st2.textContent = describe(e);
        st2.classList.add("bad");
      } finally {
        ok.disabled = false;
      }
    });
    dialog.showModal();
    cancel.focus(); // the safe choice has the focus
  }

  void refresh();
}

function showToken(el: HTMLElement, created: NewClient, verb: "added" | "rotated"): void {
  const copy = (text: string, btn: HTMLButtonElement) => {
    void navigator.clipboard?.writeText(text).then(() => { btn.textContent = "Copied"; }, () => { btn.textContent = "Select and copy"; });
  };
  const copyCmd = h("button", { type: "button", class: "small" }, "Copy command");
  copyCmd.addEventListener("click", () => copy(created.install_command, copyCmd));
  fill(el, h("div", { class: "token-box", role: "region", "aria-label": "New agent token" },
    h("p", {}, h("strong", {}, created.client.hostname), verb === "added" ? " was added." : ": the token was rotated.",
      " This token is shown ", h("strong", {}, "once"), ": copy it now."),
    h("label", { for: "token-value" }, "Token"),
    h("input", { type: "text", id: "token-value", readonly: true, value: created.token, class: "mono", spellcheck: "false" }),
    h("label", { for: "install-command" }, "Run on the host (from a checkout of this repository)"),
    h("pre", { id: "install-command", class: "mono", tabindex: "0" }, created.install_command),
    h("div", { class: "actions" }, copyCmd,
      h("button", { type: "button", class: "small", onclick: () => el.replaceChildren() }, "Done, hide it"))));
}
