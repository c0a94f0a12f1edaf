/**
 * Message flags (RFC 9051 §2.3.2): five system flags kept as bits, so counting unseen messages
 * or searching \Deleted is arithmetic, and keywords kept as text. `\Recent` is not stored: it is
 * session state (and IMAP4rev2 removed it); see MailboxView.claimRecent.
 */
import { StoreError } from "./errors.ts";

export const SEEN = 1;
export const ANSWERED = 2;
export const FLAGGED = 4;
export const DELETED = 8;
export const DRAFT = 16;

const SYSTEM: readonly (readonly [string, number])[] = [
  ["\\Seen", SEEN],
  ["\\Answered", ANSWERED],
  ["\\Flagged", FLAGGED],
  ["\\Deleted", DELETED],
  ["\\Draft", DRAFT],
];
const SYSTEM_BY_LOWER = new Map(SYSTEM.map(([name, bit]) => [name.toLowerCase(), bit]));

/** The bit of a system flag (case-insensitive), or undefined for a keyword. */
export function systemFlagBit(flag: string): number | undefined {
  return SYSTEM_BY_LOWER.get(flag.toLowerCase());
}

/** RFC 9051 flag-keyword is an atom: no specials, controls, spaces or 8-bit characters. */

const KEYWORD = /^[^(){ %*"\\\]\x00-\x1f\x7f-\uffff]+$/;

export interface SplitFlags {
  readonly bits: number;
  /** Keywords as given (spelling unresolved). */
  readonly keywords: readonly string[];
}

/** Splits flags into bits and keywords; throws INVALID for a flag that is neither. */
export function splitFlags(flags: readonly string[]): SplitFlags {
  let bits = 0;
  const keywords: string[] = [];
  for (const flag of flags) {
    const bit = systemFlagBit(flag);
    if (bit !== undefined) bits |= bit;
    else if (flag.toLowerCase() === "\\recent") continue;
    else if (flag.startsWith("\\") || !KEYWORD.test(flag) || flag.length > 200) {
      throw new StoreError("INVALID", `not a flag or keyword: ${JSON.stringify(flag)}`);
    } else if (!keywords.some((k) => k.toLowerCase() === flag.toLowerCase())) keywords.push(flag);
  }
  return { bits, keywords };
}

/** Keywords as stored: " a b " (space-delimited with both ends, so instr(' a ') is exact). */
export function joinKeywords(keywords: readonly string[]): string {
  return keywords.length === 0 ? "" : ` ${keywords.join(" ")} `;
}

export function parseKeywords(stored: string): string[] {
  return stored === "" ? [] : stored.trim().split(" ");
}

const cache = new Map<string, readonly string[]>();

/** The flag list of a message; identical lists are shared, which keeps a 100,000-row list small. */
export function flagList(bits: number, keywords: string): readonly string[] {
  const key = `${bits}${keywords}`;
  let list = cache.get(key);
  if (!list) {
    list = Object.freeze([
      ...SYSTEM.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name),
      ...parseKeywords(keywords),
    ]);
    if (cache.size > 10_000) cache.clear();
    cache.set(key, list);
  }
  return list;
}
