/**
 * The settings dialog: the display name (the From name of sent mail) and the signature, saved
 * to the server; and, when the webmail has a directory, the user's own password change, after
 * which the session ends and the user logs in with the new password.
 */
import { api, ApiError } from "./api.ts";
import { setComposeSettings } from "./compose.ts";
import { h } from "./dom.ts";

interface Settings {
  readonly displayName: string;
  readonly signature: string;
  readonly passwordChange: boolean;
  readonly minPasswordLength: number;
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : "Something went wrong.");

export async function openSettings(onSaved: (text: string) => void): Promise<void> {
  const current = await api.get<Settings>("/api/settings");

  const displayName = h("input", {
    id: "settings-name",
    name: "displayName",
    type: "text",
    value: current.displayName,
    autocomplete: "name",
    maxlength: 256,
  });
  const signature = h("textarea", {
    id: "settings-signature",
    name: "signature",
    rows: 5,
    maxlength: 4000,
  });
  signature.value = current.signature;
  const status = h("p", { class: "status", role: "status" });
  const profile = h(
    "form",
    { class: "settings-profile", "aria-labelledby": "settings-title" },
    h("h2", { id: "settings-title" }, "Settings"),
    h("div", { class: "field" }, h("label", { for: displayName.id }, "Display name"), displayName),
    h("p", { class: "hint" }, "Shown as the sender's name on the mail you send."),
    h("div", { class: "field" }, h("label", { for: signature.id }, "Signature"), signature),
    h("p", { class: "hint" }, "Added to new messages and replies, above the quoted text."),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Save settings"),
      h("button", { type: "button", onclick: () => close() }, "Close"),
    ),
    status,
  );
  profile.addEventListener("submit", (event) => {
    event.preventDefault();
    status.textContent = "Saving…";
    api
      .post<{ displayName: string; signature: string }>("/api/settings", {
        displayName: displayName.value,
        signature: signature.value,
      })
      .then((saved) => {
        setComposeSettings({ signature: saved.signature });
        status.textContent = "Settings saved.";
        onSaved("Settings saved.");
      })
      .catch((e: unknown) => (status.textContent = message(e)));
  });

  const passwordForm = current.passwordChange ? passwordSection(current.minPasswordLength) : null;
  const dialog = h(
    "dialog",
    { class: "compose-dialog settings-dialog", "aria-labelledby": "settings-title" },
    profile,
    passwordForm,
  );
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  displayName.focus();
}

function passwordSection(minLength: number): HTMLFormElement {
  const input = (id: string, name: string, autocomplete: string) =>
    h("input", { id, name, type: "password", autocomplete, required: true });
  const current = input("password-current", "currentPassword", "current-password");
  const next = input("password-new", "newPassword", "new-password");
  const again = input("password-again", "confirm", "new-password");
  next.minLength = minLength;
  const status = h("p", { class: "status", role: "status" });
  const row = (el: HTMLInputElement, text: string) =>
    h("div", { class: "field" }, h("label", { for: el.id }, text), el);
  const form = h(
    "form",
    { class: "settings-password", "aria-labelledby": "password-title" },
    h("h3", { id: "password-title" }, "Change password"),
    row(current, "Current password"),
    row(next, "New password"),
    h("p", { class: "hint", id: "password-hint" }, `At least ${minLength} characters.`),
    row(again, "New password again"),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Change password"),
    ),
    status,
  );
  next.setAttribute("aria-describedby", "password-hint");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (next.value !== again.value) {
      status.textContent = "The new passwords differ.";
      again.focus();
      return;
    }
    status.textContent = "Changing…";
    api
      .post("/api/password", { currentPassword: current.value, newPassword: next.value })
      .then(() => {
        status.textContent = "Password changed. Log in again with the new password.";
        // The session has ended on the server: back to the login form.
        setTimeout(() => location.reload(), 1500);
      })
      .catch((e: unknown) => {
        status.textContent = message(e);
        current.select();
      });
  });
  return form;
}
