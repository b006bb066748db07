// The login page: one admin password; on success go where the user was heading.
import { api, describe } from "../api";
import { h } from "../dom";
import { app } from "../app";

export function mountLogin(root: HTMLElement): void {
  const next = new URLSearchParams(location.search).get("next");
  const target = next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/";
  const error = h("p", { class: "form-error", role: "alert", id: "login-error" });
  const password = h("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true, autofocus: true });
  const button = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h("form", { class: "card login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Status Monitor"),
    h("label", { for: "password" }, "Admin password"), password, error, button);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    error.textContent = "";
    try {
      const s = await api.login(password.value);
      app.loggedIn(s.csrf_token!);
      app.navigate(target, true);
    } catch (e) {
      error.textContent = describe(e);
      password.select();
    } finally {
      button.disabled = false;
    }
  });
  root.append(h("div", { class: "login-wrap" }, form));
  password.focus();
}
