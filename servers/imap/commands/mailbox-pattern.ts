/**
 * LIST patterns (RFC 9051 §6.3.9): the reference and the pattern joined into one name, where
 * "*" matches anything and "%" anything but the hierarchy delimiter. INBOX matches in any case.
 */
import { DELIMITER } from "../limits.ts";

export type Matcher = (name: string) => boolean;

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\/]/g, "\\$&");
}

/** A matcher for one pattern under a reference. */
export function patternMatcher(reference: string, pattern: string): Matcher {
  const full = reference + pattern;
  const source = [...full]
    .map((c) => (c === "*" ? ".*" : c === "%" ? `[^${escape(DELIMITER)}]*` : escape(c)))
    .join("");
  const regex = new RegExp(`^${source}$`, "s");
  const inbox = /^inbox(?=$|\/)/i.test(full)
    ? new RegExp(`^${source.replace(/^[iI][nN][bB][oO][xX]/, "INBOX")}$`, "s")
    : undefined;
  return (name) => regex.test(name) || (inbox !== undefined && inbox.test(name));
}

export function anyMatch(matchers: readonly Matcher[], name: string): boolean {
  return matchers.some((m) => m(name));
}

/** "a/b/c" gives ["a", "a/b"]. */
export function parentsOf(name: string): string[] {
  const parts = name.split(DELIMITER);
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join(DELIMITER));
}
