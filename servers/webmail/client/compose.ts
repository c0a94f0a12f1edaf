/**
 * The compose dialog: a modal <dialog> (focus stays inside), labelled fields, attachments read
 * in the browser and sent base64 in the JSON body, drafts saved every 30 s while it changes.
 * To, Cc and Bcc suggest addresses as they are typed (address-complete.ts); the user's signature
 * (settings) goes into every new message, reply and forward, above the quoted text.
 */
import { attachAddressCompletion } from "./address-complete.ts";
import { api, ApiError, postWithProgress } from "./api.ts";
import { formatSize, h } from "./dom.ts";

interface ComposeSettings {
  readonly signature: string;
}

let composeSettings: Promise<ComposeSettings> | undefined;

/** The settings compose uses, asked once per page; the settings page replaces them when saved. */
function loadComposeSettings(): Promise<ComposeSettings> {
  composeSettings ??= api.get<ComposeSettings>("/api/settings").catch(() => {
    composeSettings = undefined;
    return { signature: "" };
  });
  return composeSettings;
}

export function setComposeSettings(settings: ComposeSettings): void {
  composeSettings = Promise.resolve(settings);
}

/** `text` with the signature above it (and above any quote), after the usual "-- " line. */
export function withSignature(text: string, signature: string): string {
  if (signature.trim() === "") return text;
  const gap = text === "" || text.startsWith("\n") ? "" : "\n\n";
  return `\n\n-- \n${signature}${gap}${text}`;
}

export interface ComposeInit {
  to?: string;
  cc?: string;
  subject?: string;
  text?: string;
  inReplyTo?: string;
  references?: string;
  answering?: { folder: string; uid: number };
  /** Forwarding: the original's attachments go along (the server adds them). */
  forwarding?: { folder: string; uid: number };
  forwardedFiles?: string[];
}

interface Upload {
  filename: string;
  contentType: string;
  content: string;
  size: number;
}

const split = (s: string) =>
  s
    .split(/[,;]/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve((reader.result as string).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error("read failed"));
    reader.readAsDataURL(file);
  });
}

let counter = 0;

export function openCompose(init: ComposeInit, onDone: (message: string) => void): void {
  const id = `compose-${++counter}`;
  const field = (name: string, label: string, value = "", addresses = false) => {
    const input = h("input", {
      id: `${id}-${name}`,
      name,
      type: "text",
      value,
      autocomplete: name === "subject" ? "off" : "email",
    });
    const suggestions = addresses ? attachAddressCompletion(input) : null;
    return {
      input,
      row: h(
        "div",
        { class: addresses ? "field address-field" : "field" },
        h("label", { for: input.id }, label),
        input,
        suggestions,
      ),
    };
  };
  const to = field("to", "To", init.to ?? "", true);
  const cc = field("cc", "Cc", init.cc ?? "", true);
  const bcc = field("bcc", "Bcc", "", true);
  const subject = field("subject", "Subject", init.subject ?? "");
  const text = h("textarea", { id: `${id}-text`, name: "text", rows: 14 });
  text.value = init.text ?? "";
  const initialText = text.value;
  void loadComposeSettings().then(({ signature }) => {
    // Only into a message nobody has typed in yet.
    if (text.value === initialText && !dirty) {
      text.value = withSignature(initialText, signature);
      text.setSelectionRange(0, 0);
    }
    dialog.dataset.signature = "ready";
  });
  const files = h("input", { id: `${id}-files`, type: "file", multiple: true });
  const fileList = h("ul", { class: "uploads", "aria-label": "Attachments" });
  const status = h("p", { class: "status", role: "status" });
  const uploads: Upload[] = [];
  let draft: { folder: string; uid: number } | undefined;
  let dirty = false;

  const renderUploads = () =>
    fileList.replaceChildren(
      ...uploads.map((u, i) =>
        h(
          "li",
          {},
          `${u.filename} (${formatSize(u.size)}) `,
          h(
            "button",
            {
              type: "button",
              "aria-label": `Remove ${u.filename}`,
              onclick: () => {
                uploads.splice(i, 1);
                renderUploads();
              },
            },
            "×",
          ),
        ),
      ),
    );
  files.addEventListener("change", () => {
    const chosen = [...(files.files ?? [])];
    status.textContent = `Reading ${chosen.length} file(s)…`;
    void Promise.all(
      chosen.map(async (f) => ({
        filename: f.name,
        contentType: f.type || "application/octet-stream",
        content: await readBase64(f),
        size: f.size,
      })),
    ).then((read) => {
      uploads.push(...read);
      files.value = "";
      status.textContent = "";
      dirty = true;
      renderUploads();
    });
  });

  const payload = () => ({
    to: split(to.input.value),
    cc: split(cc.input.value),
    bcc: split(bcc.input.value),
    subject: subject.input.value,
    text: text.value,
    ...(init.inReplyTo ? { inReplyTo: init.inReplyTo } : {}),
    ...(init.references ? { references: init.references } : {}),
    ...(init.answering ? { answering: init.answering } : {}),
    ...(init.forwarding ? { forwarding: init.forwarding } : {}),
    ...(draft ? { draft } : {}),
    attachments: uploads.map(({ filename, contentType, content }) => ({
      filename,
      contentType,
      content,
    })),
  });

  const saveDraft = async () => {
    const saved = await api.post<{ draft: { folder: string; uid: number } | null }>(
      "/api/drafts",
      payload(),
    );
    draft = saved.draft ?? undefined;
    dirty = false;
    status.textContent = `Draft saved at ${new Date().toLocaleTimeString()}`;
  };
  const autosave = setInterval(() => {
    if (dirty) saveDraft().catch(() => (status.textContent = "Could not save the draft."));
  }, 30_000);

  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const form = h(
    "form",
    { method: "dialog", class: "compose", "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, init.answering ? "Reply" : "New message"),
    to.row,
    cc.row,
    bcc.row,
    subject.row,
    h("div", { class: "field" }, h("label", { for: text.id }, "Message"), text),
    h("div", { class: "field" }, h("label", { for: files.id }, "Attach files"), files),
    init.forwardedFiles && init.forwardedFiles.length > 0
      ? h("p", { class: "forwarded" }, `Forwarded with: ${init.forwardedFiles.join(", ")}`)
      : null,
    fileList,
    status,
    h(
      "div",
      { class: "actions" },
      send,
      h(
        "button",
        {
          type: "button",
          onclick: () => void saveDraft().catch(() => (status.textContent = "Not saved.")),
        },
        "Save draft",
      ),
      h("button", { type: "button", onclick: () => close() }, "Discard"),
    ),
  );
  form.addEventListener("input", () => (dirty = true));
  const dialog = h("dialog", { class: "compose-dialog", "aria-labelledby": `${id}-title` }, form);
  const close = () => {
    clearInterval(autosave);
    dialog.close();
    dialog.remove();
  };
  dialog.addEventListener("cancel", () => clearInterval(autosave));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send.disabled = true;
    status.textContent = "Sending…";
    postWithProgress("/api/send", payload(), (share) => {
      status.textContent = share < 1 ? `Sending… ${Math.round(share * 100)} %` : "Sending…";
    })
      .then(() => {
        close();
        onDone("Message sent.");
      })
      .catch((e: unknown) => {
        send.disabled = false;
        status.textContent = e instanceof ApiError ? e.message : "Could not send.";
      });
  });
  document.body.append(dialog);
  dialog.showModal();
  (init.to ? text : to.input).focus();
}
