/**
 * Address autocompletion on a To/Cc/Bcc field, as the ARIA combobox pattern describes it: the
 * input is a `combobox` that owns a `listbox` of suggestions; ArrowDown/ArrowUp move through them
 * (aria-activedescendant, focus stays in the field), Enter or Tab takes one, Escape closes the
 * list (and only the list: the dialog stays open). The suggestions are for the address being
 * typed after the last comma, asked of the server (past correspondents, then the directory)
 * once typing pauses, then the senders of the folder pages the user has looked at (no request).
 */
import { api, query } from "./api.ts";
import { h } from "./dom.ts";

export interface Suggestion {
  readonly address: string;
  readonly name: string;
  readonly source: "sent" | "directory" | "folder";
}

/** Senders of the folder pages shown in this tab, newest last; bounded. */
const seen = new Map<string, Suggestion>();
const MAX_SEEN = 500;
/** At most this many suggestions at once, as the server gives. */
const MAX_SHOWN = 10;

/** Remembers the senders of a page of messages, for suggestions. */
export function noteSeenAddresses(list: readonly { name: string; address: string }[]): void {
  for (const a of list) {
    const address = a.address.toLowerCase();
    if (!address.includes("@")) continue;
    seen.delete(address);
    seen.set(address, { address, name: a.name, source: "folder" });
  }
  for (const key of seen.keys()) {
    if (seen.size <= MAX_SEEN) break;
    seen.delete(key);
  }
}

/** The seen senders whose address, name or a word of the name starts with `text`. */
function seenMatching(text: string): Suggestion[] {
  const prefix = text.toLowerCase();
  return [...seen.values()].reverse().filter(
    (s) =>
      s.address.startsWith(prefix) ||
      s.name
        .toLowerCase()
        .split(/[\s,.;:()"'<>/-]+/)
        .some((w) => w.startsWith(prefix)),
  );
}

/** Typing pauses this long before the server is asked. */
const DEBOUNCE_MS = 200;
/** Fewer characters than this suggest nothing (every address would match one letter). */
const MIN_CHARS = 2;

let lists = 0;

/** The address being typed: after the last comma or semicolon, trimmed. */
function currentToken(value: string): { start: number; text: string } {
  const start = Math.max(value.lastIndexOf(","), value.lastIndexOf(";")) + 1;
  return { start, text: value.slice(start).trim() };
}

const label = (s: Suggestion) => (s.name ? `${s.name} <${s.address}>` : s.address);

/** Makes `input` a combobox; returns the element to place after it (the list). */
export function attachAddressCompletion(input: HTMLInputElement): HTMLElement {
  const listId = `address-suggestions-${++lists}`;
  const list = h("ul", {
    id: listId,
    role: "listbox",
    class: "suggestions",
    "aria-label": "Suggested addresses",
    hidden: true,
  });
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", listId);
  input.setAttribute("aria-expanded", "false");
  input.autocomplete = "off";

  let shown: Suggestion[] = [];
  let active = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;

  const optionId = (i: number) => `${listId}-${i}`;
  const render = () => {
    list.replaceChildren(
      ...shown.map((s, i) =>
        h(
          "li",
          {
            id: optionId(i),
            role: "option",
            "aria-selected": i === active ? "true" : "false",
            class: i === active ? "active" : undefined,
            // Keep the focus in the field; the click then takes the suggestion.
            onmousedown: (e: Event) => e.preventDefault(),
            onclick: () => choose(i),
          },
          s.name ? h("span", { class: "name" }, s.name) : null,
          h("span", { class: "address" }, s.address),
        ),
      ),
    );
    const open = shown.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && active >= 0) input.setAttribute("aria-activedescendant", optionId(active));
    else input.removeAttribute("aria-activedescendant");
  };
  const close = () => {
    shown = [];
    active = -1;
    render();
  };
  const choose = (i: number) => {
    const s = shown[i];
    if (s === undefined) return;
    const { start } = currentToken(input.value);
    const before = input.value.slice(0, start).trimEnd();
    input.value = `${before}${before ? " " : ""}${label(s)}, `;
    close();
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  };
  const ask = async (text: string) => {
    const mine = ++asked;
    try {
      const { suggestions } = await api.get<{ suggestions: Suggestion[] }>(
        `/api/addresses?${query({ q: text })}`,
      );
      // A later keystroke asked again: this answer is stale.
      if (mine !== asked || currentToken(input.value).text !== text) return;
      const known = new Set(suggestions.map((s) => s.address));
      const extra = seenMatching(text).filter((s) => !known.has(s.address));
      shown = [...suggestions, ...extra].slice(0, MAX_SHOWN);
      active = -1;
      render();
    } catch {
      close();
    }
  };

  input.addEventListener("input", (event) => {
    // Our own event after choosing: nothing to look up.
    if (!event.isTrusted) return;
    clearTimeout(timer);
    const { text } = currentToken(input.value);
    if (text.length < MIN_CHARS) {
      asked++;
      close();
      return;
    }
    timer = setTimeout(() => void ask(text), DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (shown.length === 0) return;
    switch (event.key) {
      case "ArrowDown":
        active = (active + 1) % shown.length;
        break;
      case "ArrowUp":
        active = active <= 0 ? shown.length - 1 : active - 1;
        break;
      case "Enter":
        if (active < 0) return;
        choose(active);
        break;
      case "Tab":
        if (active >= 0) choose(active);
        else close();
        return;
      case "Escape":
        close();
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
    render();
  });
  input.addEventListener("blur", () => close());
  return list;
}
