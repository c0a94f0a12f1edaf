/**
 * SEARCH criteria (RFC 9051 §6.4.4, RFC 3501 NEW/OLD/RECENT, RFC 7162 MODSEQ, RFC 5032
 * OLDER/YOUNGER, RFC 5182 "$") parsed into a tree. Sequence sets and \Recent depend on the
 * session's view, so they stay symbolic here and `resolveCriteria` turns the tree into the
 * store's SearchKey once the mailbox is known. Shared by SEARCH, SORT and THREAD.
 */
import type { SearchKey } from "../../store/index.ts";
import { parseDate } from "../protocol/date-time.ts";
import { bad, no } from "../protocol/errors.ts";
import { isSequenceSet, sequenceSet, type SequenceSet } from "../protocol/sequence-set.ts";
import { astring, astringBytes, keyword, modseq, number, type Token } from "../protocol/tokens.ts";
import type { SelectedMailbox } from "../session/selected-mailbox.ts";
import { flag } from "../commands/flag-args.ts";

export type Criterion =
  | SearchKey
  | { readonly type: "set"; readonly set: SequenceSet; readonly uid: boolean }
  | { readonly type: "recent" }
  | { readonly type: "any-of"; readonly left: Criterion; readonly right: Criterion }
  | { readonly type: "none-of"; readonly key: Criterion }
  | { readonly type: "all-of"; readonly keys: readonly Criterion[] };

export interface ParsedCriteria {
  readonly criteria: readonly Criterion[];
  /** A MODSEQ key was used (RFC 7162 §3.1.5: the response then carries the highest MODSEQ). */
  readonly usesModseq: boolean;
}

const FLAG_KEYS: Readonly<Record<string, readonly [string, boolean]>> = {
  ANSWERED: ["\\Answered", true],
  DELETED: ["\\Deleted", true],
  DRAFT: ["\\Draft", true],
  FLAGGED: ["\\Flagged", true],
  SEEN: ["\\Seen", true],
  UNANSWERED: ["\\Answered", false],
  UNDELETED: ["\\Deleted", false],
  UNDRAFT: ["\\Draft", false],
  UNFLAGGED: ["\\Flagged", false],
  UNSEEN: ["\\Seen", false],
};

const HEADER_KEYS = new Set(["BCC", "CC", "FROM", "SUBJECT", "TO"]);
const DATE_KEYS: Readonly<
  Record<string, readonly ["internal" | "sent", "before" | "on" | "since"]>
> = {
  BEFORE: ["internal", "before"],
  ON: ["internal", "on"],
  SINCE: ["internal", "since"],
  SENTBEFORE: ["sent", "before"],
  SENTON: ["sent", "on"],
  SENTSINCE: ["sent", "since"],
};

const CHARSETS = new Set(["UTF-8", "US-ASCII"]);

export function checkCharset(name: string): void {
  if (!CHARSETS.has(name.toUpperCase())) {
    throw no("Unsupported charset", "BADCHARSET (UTF-8 US-ASCII)");
  }
}

class KeyReader {
  i = 0;
  usesModseq = false;
  depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  next(): Token {
    const token = this.tokens[this.i++];
    if (!token) throw bad("Missing search key argument");
    return token;
  }

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  text(): string {
    return astringBytes(this.next(), "search string").toString("utf8");
  }

  key(): Criterion {
    const token = this.next();
    if (token.kind === "list") {
      if (token.items.length === 0) throw bad("Empty search key list");
      if (++this.depth > 32) throw bad("Search keys nested too deep");
      const inner = new KeyReader(token.items);
      inner.depth = this.depth;
      const keys: Criterion[] = [];
      while (!inner.done) keys.push(inner.key());
      this.usesModseq ||= inner.usesModseq;
      this.depth--;
      return keys.length === 1 ? (keys[0] as Criterion) : { type: "all-of", keys };
    }
    if (isSequenceSet(token)) return { type: "set", set: sequenceSet(token), uid: false };
    const name = keyword(token, "search key");
    const flagKey = FLAG_KEYS[name];
    if (flagKey) return { type: "flag", flag: flagKey[0], set: flagKey[1] };
    if (HEADER_KEYS.has(name))
      return { type: "header", field: name.toLowerCase(), value: this.text() };
    const date = DATE_KEYS[name];
    if (date) {
      return { type: "date", field: date[0], op: date[1], day: parseDate(astring(this.next())) };
    }
    switch (name) {
      case "ALL":
        return { type: "all" };
      case "NEW":
        return {
          type: "all-of",
          keys: [{ type: "recent" }, { type: "flag", flag: "\\Seen", set: false }],
        };
      case "OLD":
        return { type: "none-of", key: { type: "recent" } };
      case "RECENT":
        return { type: "recent" };
      case "KEYWORD":
      case "UNKEYWORD":
        return { type: "flag", flag: flag(this.next()), set: name === "KEYWORD" };
      case "HEADER": {
        const field = this.text();
        return { type: "header", field: field.toLowerCase(), value: this.text() };
      }
      case "BODY":
        return { type: "body", value: this.text() };
      case "TEXT":
        return { type: "text", value: this.text() };
      case "LARGER":
      case "SMALLER":
        return {
          type: "size",
          op: name === "LARGER" ? "larger" : "smaller",
          bytes: number(this.next()),
        };
      case "UID":
        return { type: "set", set: sequenceSet(this.next()), uid: true };
      case "NOT":
        return { type: "none-of", key: this.key() };
      case "OR":
        return { type: "any-of", left: this.key(), right: this.key() };
      case "OLDER":
      case "YOUNGER":
        return {
          type: "age",
          op: name === "OLDER" ? "older" : "younger",
          seconds: number(this.next(), { nonZero: true }),
        };
      case "MODSEQ": {
        // RFC 7162: MODSEQ [entry-name entry-type] value; the entry is accepted and ignored.
        if (this.tokens[this.i]?.kind === "string") {
          this.i++;
          keyword(this.next(), "entry type");
        }
        this.usesModseq = true;
        return { type: "modseq", modseq: modseq(this.next(), { allowZero: true }) };
      }
      default:
        throw bad(`Unknown search key ${name}`);
    }
  }
}

/** Keys until the end of the arguments (an implicit AND). */
export function parseCriteria(tokens: readonly Token[]): ParsedCriteria {
  const reader = new KeyReader(tokens);
  const criteria: Criterion[] = [];
  while (!reader.done) criteria.push(reader.key());
  if (criteria.length === 0) throw bad("Missing search keys");
  return { criteria, usesModseq: reader.usesModseq };
}

const NOTHING: SearchKey = { type: "not", key: { type: "all" } };

/** The store's keys for these criteria, sequence sets and \Recent resolved against the view. */
export function resolveCriteria(
  criteria: readonly Criterion[],
  mailbox: SelectedMailbox,
): SearchKey[] {
  const resolve = (c: Criterion): SearchKey => {
    switch (c.type) {
      case "set": {
        const positions = mailbox.view.resolve(c.set, c.uid, mailbox.saved, { clip: true });
        return positions.length === 0
          ? NOTHING
          : { type: "uid", uids: mailbox.view.uidSet(positions) };
      }
      case "recent": {
        const positions = mailbox.view.positionsOfUids(mailbox.recent);
        return positions.length === 0
          ? NOTHING
          : { type: "uid", uids: mailbox.view.uidSet(positions) };
      }
      case "any-of":
        return { type: "or", left: resolve(c.left), right: resolve(c.right) };
      case "none-of":
        return { type: "not", key: resolve(c.key) };
      case "all-of":
        return { type: "and", keys: c.keys.map(resolve) };
      default:
        return c;
    }
  };
  return criteria.map(resolve);
}
