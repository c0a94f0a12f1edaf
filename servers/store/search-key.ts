/**
 * The search criteria the store evaluates, one variant per IMAP SEARCH key family (RFC 9051
 * §6.4.4, RFC 7162 MODSEQ, RFC 5032 OLDER/YOUNGER). The IMAP server parses SEARCH into this tree
 * and resolves sequence sets to UIDs first. String matches are case-insensitive substring matches
 * on decoded text (RFC 2047 words, transfer encodings and charsets undone).
 */
import type { UidSet } from "./types.ts";

/** A calendar day as IMAP dates name it: "disregarding time and timezone". */
export interface Day {
  readonly year: number;
  /** 1-12. */
  readonly month: number;
  readonly day: number;
}

export type SearchKey =
  | { readonly type: "all" }
  /** SEEN/UNSEEN, ANSWERED, FLAGGED, DELETED, DRAFT and KEYWORD/UNKEYWORD alike. */
  | { readonly type: "flag"; readonly flag: string; readonly set: boolean }
  | { readonly type: "uid"; readonly uids: UidSet }
  /**
   * HEADER field string; FROM, TO, CC, BCC and SUBJECT are this with the field name. An empty
   * value matches every message that has the field.
   */
  | { readonly type: "header"; readonly field: string; readonly value: string }
  /** BODY: the decoded text of the message's text parts. */
  | { readonly type: "body"; readonly value: string }
  /** TEXT: header or body. */
  | { readonly type: "text"; readonly value: string }
  /** BEFORE/ON/SINCE (INTERNALDATE) and SENTBEFORE/SENTON/SENTSINCE (Date header). */
  | {
      readonly type: "date";
      readonly field: "internal" | "sent";
      readonly op: "before" | "on" | "since";
      readonly day: Day;
    }
  /** RFC 5032 OLDER/YOUNGER: INTERNALDATE at least / less than this many seconds ago. */
  | { readonly type: "age"; readonly op: "older" | "younger"; readonly seconds: number }
  | { readonly type: "size"; readonly op: "larger" | "smaller"; readonly bytes: number }
  /** RFC 7162 MODSEQ: messages whose MODSEQ is at least this. */
  | { readonly type: "modseq"; readonly modseq: number }
  | { readonly type: "not"; readonly key: SearchKey }
  | { readonly type: "or"; readonly left: SearchKey; readonly right: SearchKey }
  | { readonly type: "and"; readonly keys: readonly SearchKey[] };
