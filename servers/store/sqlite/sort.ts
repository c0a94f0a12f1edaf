/**
 * SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO) and the facts THREAD needs, on the sort
 * keys computed at append time (strings already folded). Those keys skip a leading group, but
 * RFC 5256 and RFC 5957 key on the first address, and a group counts as one named by the group
 * (as Dovecot does; imaptest sort-addresses, sort-display-to): for a list that starts with a
 * group, the key comes from the stored ENVELOPE (mime/address-keys.ts). Ties fall back to UID
 * order, which is sequence order (RFC 5256 §3: "the sequence number").
 */
import { decodeHeaderValue, searchForm } from "../mime/encoding.ts";
import { subjectFacts } from "../mime/subject.ts";
import type { SearchKey } from "../search-key.ts";
import type { SortCriterion, SortKey, ThreadFacts } from "../types.ts";
import type { Database } from "./database.ts";
import { fromClause, withSearch } from "./search.ts";

/** The append-time key, unless the field's first address is a group start (host NIL). */
function addressKey(field: string, column: string, groupKey: string): string {
  const first = `json_extract(c.envelope, '$.${field}[0]')`;
  return `CASE WHEN json_extract(c.envelope, '$.${field}[0].host') IS NULL
    AND json_extract(c.envelope, '$.${field}[0].mailbox') IS NOT NULL
    THEN ${groupKey}(${first}) ELSE ${column} END`;
}

const EXPRESSIONS: Readonly<Record<SortKey, string>> = {
  arrival: "m.internal_time",
  cc: addressKey("cc", "c.sort_cc", "address_sort_key"),
  // RFC 5256: the sent date, or INTERNALDATE when the Date header is missing or unparsable.
  date: "coalesce(c.sent_time, m.internal_time)",
  from: addressKey("from", "c.sort_from", "address_sort_key"),
  size: "m.size",
  subject: "c.sort_subject",
  to: addressKey("to", "c.sort_to", "address_sort_key"),
  displayfrom: addressKey("from", "c.sort_display_from", "display_sort_key"),
  displayto: addressKey("to", "c.sort_display_to", "display_sort_key"),
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
