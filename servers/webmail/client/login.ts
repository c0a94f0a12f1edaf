/** The login form: labelled fields, errors announced, focus on the first field. */
import { api, ApiError, setCsrfToken } from "./api.ts";
import { h } from "./dom.ts";

export function showLogin(root: HTMLElement, onLogin: (address: string) => Promise<void>): void {
  const address = h("input", {
    id: "login-address",
    name: "address",
    type: "email",
    autocomplete: "username",
    required: true,
  });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("p", { class: "error", role: "alert", id: "login-error" });
  const submit = h("button", { type: "submit" }, "Log in");
  const form = h(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Mail"),
    h("label", { for: "login-address" }, "Email address"),
    address,
    h("label", { for: "login-password" }, "Password"),
    password,
    submit,
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    performance.mark("webmail:login");
    submit.disabled = true;
    error.textContent = "";
    api
      .post<{ address: string; csrfToken: string }>("/api/login", {
        address: address.value,
        password: password.value,
      })
      .then(async (session) => {
        setCsrfToken(session.csrfToken);
        await onLogin(session.address);
      })
      .catch((e: unknown) => {
        error.textContent = e instanceof ApiError ? e.message : "The server cannot be reached.";
        submit.disabled = false;
        password.select();
      });
  });
  root.replaceChildren(h("main", { class: "login-page" }, form));
  address.focus();
}
