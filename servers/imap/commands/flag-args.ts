/** Flag arguments of STORE and APPEND (RFC 9051 §9 flag, flag-list). */
import { bad } from "../protocol/errors.ts";
import { isAtom, type Token } from "../protocol/tokens.ts";

const SYSTEM = new Map(
  ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"].map((f) => [f.toLowerCase(), f]),
);
/** flag-keyword = atom: no specials, no controls, no 8-bit. */
const KEYWORD = /^[^(){ %*"\\\]\x00-\x1f\x7f-\xff]+$/;

/** One flag in canonical spelling; \Recent is refused (it cannot be stored, RFC 3501 §2.3.2). */
export function flag(token: Token | undefined): string {
  if (!isAtom(token) || token.section) throw bad("Invalid flag");
  const value = token.value;
  const system = SYSTEM.get(value.toLowerCase());
  if (system) return system;
  if (value.startsWith("\\") || !KEYWORD.test(value) || value.length > 200) {
    throw bad(`Invalid flag ${value}`);
  }
  return value;
}

/** `(flag ...)` or, for STORE, flags as separate arguments. */
export function flags(tokens: readonly Token[]): string[] {
  if (tokens.length === 1 && tokens[0]?.kind === "list") return tokens[0].items.map(flag);
  return tokens.map(flag);
}
