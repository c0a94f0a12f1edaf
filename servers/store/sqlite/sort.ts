/**
 * SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO) and the facts THREAD needs. SUBJECT uses
 * the key computed at append time (already i;ascii-casemap folded); the address keys come from
 * the first address of the stored ENVELOPE (mime/address-keys.ts), where a group counts as an
 * address named by the group. Ties fall back to UID order, which is sequence order (RFC 5256
 * §3: "the sequence number").
 */
import { decodeHeaderValue, searchForm } from "../mime/encoding.ts";
import { subjectFacts } from "../mime/subject.ts";
import type { SearchKey } from "../search-key.ts";
import type { SortCriterion, SortKey, ThreadFacts } from "../types.ts";
import type { Database } from "./database.ts";
import { fromClause, withSearch } from "./search.ts";

const EXPRESSIONS: Readonly<Record<SortKey, string>> = {
  arrival: "m.internal_time",
  cc: "address_sort_key(json_extract(c.envelope, '$.cc[0]'))",
  // RFC 5256: the sent date, or INTERNALDATE when the Date header is missing or unparsable.
  date: "coalesce(c.sent_time, m.internal_time)",
  from: "address_sort_key(json_extract(c.envelope, '$.from[0]'))",
  size: "m.size",
  subject: "c.sort_subject",
  to: "address_sort_key(json_extract(c.envelope, '$.to[0]'))",
  displayfrom: "display_sort_key(json_extract(c.envelope, '$.from[0]'))",
  displayto: "display_sort_key(json_extract(c.envelope, '$.to[0]'))",
};

export function sort(
  d: Database,
  mailboxId: number,
  criteria: readonly SortCriterion[],
  keys: readonly SearchKey[],
): number[] {
  return withSearch(d, keys, ({ where, params, joins }) => {
    const order = criteria
      .map((c) => `${EXPRESSIONS[c.key]} ${c.reverse ? "DESC" : "ASC"}`)
      .concat("m.uid ASC")
      .join(", ");
    const all = new Set(joins);
    all.add("c");
    const rows = d.db
      .prepare(
        `SELECT m.uid FROM ${fromClause(all)} WHERE m.mailbox_id = ? AND (${where}) ORDER BY ${order}`,
      )
      .all(mailboxId, ...params) as { uid: number }[];
    return rows.map((r) => r.uid);
  });
}

export function threadFacts(
  d: Database,
  mailboxId: number,
  keys: readonly SearchKey[],
): ThreadFacts[] {
  return withSearch(d, keys, ({ where, params, joins }) => {
    const all = new Set(joins);
    all.add("c");
    const rows = d.db
      .prepare(
        `SELECT m.uid, c.message_id, c.thread_refs, c.base_subject,
           json_extract(c.envelope, '$.subject') AS subject,
           coalesce(c.sent_time, m.internal_time) AS sent
         FROM ${fromClause(all)} WHERE m.mailbox_id = ? AND (${where}) ORDER BY m.uid`,
      )
      .all(mailboxId, ...params) as {
      uid: number;
      message_id: string | null;
      thread_refs: string;
      base_subject: string;
      subject: string | null;
      sent: number;
    }[];
    return rows.map((r) => ({
      uid: r.uid,
      messageId: r.message_id,
      references: JSON.parse(r.thread_refs) as string[],
      // RFC 5256 §2.1: base subjects compare case-insensitively; search form folds them.
      baseSubject: searchForm(r.base_subject),
      isReply: r.subject !== null && subjectFacts(decodeHeaderValue(r.subject)).isReply,
      sentTime: r.sent,
    }));
  });
}
