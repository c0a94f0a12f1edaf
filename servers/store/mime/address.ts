/**
 * RFC 5322 §3.4 address lists, parsed into the address structures of the IMAP ENVELOPE (RFC 9051
 * §7.5.2): personal name, at-domain-list (source route), mailbox and host. Names keep their
 * encoded words (clients decode them); quoted strings lose their quotes. Group syntax becomes a
 * start marker (host NIL, mailbox = group name) and an end marker (all NIL), as the RFC says.
 *
 * Real headers break the grammar; the parser never throws and keeps whatever it can.
 */
import { binaryToText } from "./header.ts";
import { readQuoted } from "./params.ts";

export interface Address {
  readonly name: string | null;
  /** Obsolete source route, e.g. "@relay1,@relay2". */
  readonly adl: string | null;
  readonly mailbox: string | null;
  readonly host: string | null;
}

type Token =
  | { readonly kind: "atom"; readonly text: string }
  | { readonly kind: "quoted"; readonly text: string }
  | { readonly kind: "comment"; readonly text: string }
  | { readonly kind: "special"; readonly text: string };

const SPECIALS = '<>:;@,."[]';

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      const [text, next] = readQuoted(s, i);
      tokens.push({ kind: "quoted", text });
      i = next;
    } else if (c === "(") {
      let depth = 0;
      const start = i;
      while (i < s.length) {
        const d = s.charAt(i);
        if (d === "\\") i++;
        else if (d === "(") depth++;
        else if (d === ")" && --depth === 0) break;
        i++;
      }
      tokens.push({ kind: "comment", text: s.slice(start + 1, i).trim() });
      i++;
    } else if (c === "[") {
      // A domain literal is one atom, brackets included.
      const end = s.indexOf("]", i);
      const stop = end < 0 ? s.length : end + 1;
      tokens.push({ kind: "atom", text: s.slice(i, stop) });
      i = stop;
    } else if (SPECIALS.includes(c)) {
      tokens.push({ kind: "special", text: c });
      i++;
    } else {
      const start = i;
      while (i < s.length && !SPECIALS.includes(s.charAt(i)) && !/[\s()]/.test(s.charAt(i))) i++;
      tokens.push({ kind: "atom", text: s.slice(start, i) });
    }
  }
  return tokens;
}

function isSpecial(token: Token | undefined, text: string): boolean {
  return token?.kind === "special" && token.text === text;
}

/** A display name: words joined by single spaces, dots glued (obsolete "John Q. Public"). */
function phrase(tokens: readonly Token[]): string | null {
  let out = "";
  for (const token of tokens) {
    if (token.kind === "comment") continue;
    if (token.text === "." && token.kind === "special") out += ".";
    else out += out === "" ? token.text : ` ${token.text}`;
  }
  return out === "" ? null : binaryToText(out);
}

/** The local part as written (quoted parts keep their quotes) and the domain. */
function addrSpec(tokens: readonly Token[]): { mailbox: string; host: string } {
  const words = tokens.filter((t) => t.kind !== "comment");
  let at = -1;
  for (let i = words.length - 1; i >= 0; i--) if (isSpecial(words[i], "@")) at = i;
  const text = (list: readonly Token[]): string =>
    list
      .map((t) => (t.kind === "quoted" ? `"${t.text.replace(/(["\\])/g, "\\$1")}"` : t.text))
      .join("");
  if (at < 0) return { mailbox: binaryToText(text(words)), host: "" };
  return {
    mailbox: binaryToText(text(words.slice(0, at))),
    host: binaryToText(text(words.slice(at + 1))),
  };
}

function mailboxFrom(tokens: readonly Token[]): Address | null {
  if (tokens.length === 0) return null;
  const open = tokens.findIndex((t) => isSpecial(t, "<"));
  if (open < 0) {
    if (!tokens.some((t) => t.kind !== "comment")) return null;
    const comment = tokens.filter((t) => t.kind === "comment").at(-1);
    const { mailbox, host } = addrSpec(tokens);
    // Old style "user@host (Full Name)": the comment is the only name there is.
    return { name: comment ? binaryToText(comment.text) : null, adl: null, mailbox, host };
  }
  let close = tokens.findIndex((t, i) => i > open && isSpecial(t, ">"));
  if (close < 0) close = tokens.length;
  let inner = tokens.slice(open + 1, close);
  let adl: string | null = null;
  const colon = inner.findIndex((t) => isSpecial(t, ":"));
  if (colon >= 0 && isSpecial(inner[0], "@")) {
    adl = inner
      .slice(0, colon)
      .map((t) => t.text)
      .join("");
    inner = inner.slice(colon + 1);
  }
  const { mailbox, host } = addrSpec(inner);
  return { name: phrase(tokens.slice(0, open)), adl, mailbox, host };
}

/** Parses an unfolded header value (binary string); null when it holds no address (NIL). */
export function parseAddressList(value: string | null): Address[] | null {
  if (value === null) return null;
  const tokens = tokenize(value);
  const out: Address[] = [];
  let current: Token[] = [];
  let inGroup = false;
  let inAngle = false;
  const flush = (): void => {
    const address = mailboxFrom(current);
    if (address) out.push(address);
    current = [];
  };
  for (const token of tokens) {
    if (isSpecial(token, "<")) inAngle = true;
    if (isSpecial(token, ">")) inAngle = false;
    if (inAngle) {
      current.push(token);
      continue;
    }
    if (isSpecial(token, ":") && !inGroup && !current.some((t) => isSpecial(t, "@"))) {
      out.push({ name: null, adl: null, mailbox: phrase(current) ?? "", host: null });
      inGroup = true;
      current = [];
    } else if (isSpecial(token, ";") && inGroup) {
      flush();
      out.push({ name: null, adl: null, mailbox: null, host: null });
      inGroup = false;
    } else if (isSpecial(token, ",")) {
      flush();
    } else {
      current.push(token);
    }
  }
  flush();
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out.length === 0 ? null : out;
}
