/**
 * Message rows and the counters that must move with them in the same transaction: the mailbox's
 * messages/unseen/deleted/size and UIDNEXT, the account's quota usage, and content references.
 */
import { StoreError } from "../errors.ts";
import { DELETED, SEEN } from "../flags.ts";
import { inUidSet, normalizeUidSet } from "../uid-set.ts";
import type { UidSet } from "../types.ts";
import { releaseContent } from "./contents.ts";
import type { Database } from "./database.ts";
import { nextModseq } from "./modseq.ts";

export interface MessageRow {
  readonly uid: number;
  readonly modseq: number;
  readonly flags: number;
  readonly keywords: string;
  readonly internal_time: number;
  readonly internal_zone: number;
  readonly size: number;
  readonly content_id: number;
}

/** UIDs are 32-bit (RFC 9051 §2.3.1.1); past that the mailbox would need a new UIDVALIDITY. */
export const MAX_UID = 4_294_967_295;

const ROW_COLUMNS = "uid, modseq, flags, keywords, internal_time, internal_zone, size, content_id";

/** Rows of a mailbox in UID order, all or those in `uids`, optionally with an extra condition. */
export function selectRows(
  d: Database,
  mailboxId: number,
  uids?: UidSet,
  where = "",
): MessageRow[] {
  if (!uids) {
    return d
      .stmt(`SELECT ${ROW_COLUMNS} FROM messages WHERE mailbox_id = ? ${where} ORDER BY uid`)
      .all(mailboxId) as unknown as MessageRow[];
  }
  const ranges = normalizeUidSet(uids);
  const first = ranges[0];
  const last = ranges.at(-1);
  if (!first || !last) return [];
  const rows = d
    .stmt(
      `SELECT ${ROW_COLUMNS} FROM messages
       WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ${where} ORDER BY uid`,
    )
    .all(mailboxId, first[0], last[1]) as unknown as MessageRow[];
  return ranges.length === 1 ? rows : rows.filter((r) => inUidSet(ranges, r.uid));
}

export interface CounterDelta {
  messages?: number;
  unseen?: number;
  deleted?: number;
  size?: number;
}

export function adjustMailbox(
  d: Database,
  mailboxId: number,
  delta: CounterDelta,
  modseq: number,
): void {
  d.stmt(
    `UPDATE mailboxes SET messages = messages + ?, unseen = unseen + ?, deleted = deleted + ?,
       size = size + ?, highestmodseq = max(highestmodseq, ?) WHERE id = ?`,
  ).run(
    delta.messages ?? 0,
    delta.unseen ?? 0,
    delta.deleted ?? 0,
    delta.size ?? 0,
    modseq,
    mailboxId,
  );
}

export function adjustUsage(d: Database, bytes: number, messages: number): void {
  d.stmt("UPDATE account SET used_bytes = used_bytes + ?, used_messages = used_messages + ?").run(
    bytes,
    messages,
  );
}

/** Reserves the next UID of a mailbox. */
export function takeUid(d: Database, mailboxId: number): number {
  const row = d
    .stmt("UPDATE mailboxes SET uidnext = uidnext + 1 WHERE id = ? RETURNING uidnext - 1 AS uid")
    .get(mailboxId) as { uid: number } | undefined;
  if (!row) throw new StoreError("NONEXISTENT", `no mailbox ${mailboxId}`);
  if (row.uid > MAX_UID) throw new StoreError("CANNOT", "the mailbox has used up its UIDs");
  return row.uid;
}

export interface NewMessage {
  readonly flags: number;
  readonly keywords: string;
  readonly internal_time: number;
  readonly internal_zone: number;
  readonly size: number;
  readonly content_id: number;
}

/** Inserts a message row with the next UID and moves the counters; returns the UID. */
export function insertMessage(
  d: Database,
  mailboxId: number,
  message: NewMessage,
  modseq: number,
): number {
  const uid = takeUid(d, mailboxId);
  d.stmt(
    `INSERT INTO messages (mailbox_id, uid, modseq, flags, keywords, internal_time,
       internal_zone, size, content_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    mailboxId,
    uid,
    modseq,
    message.flags,
    message.keywords,
    message.internal_time,
    message.internal_zone,
    message.size,
    message.content_id,
  );
  adjustMailbox(
    d,
    mailboxId,
    {
      messages: 1,
      unseen: message.flags & SEEN ? 0 : 1,
      deleted: message.flags & DELETED ? 1 : 0,
      size: message.size,
    },
    modseq,
  );
  adjustUsage(d, message.size, 1);
  return uid;
}

export interface RemoveOptions {
  readonly uids?: UidSet;
  /** Only messages flagged \Deleted (EXPUNGE); default false. */
  readonly onlyDeleted?: boolean;
  /** Keep the UIDs for QRESYNC VANISHED; false when the mailbox itself goes. */
  readonly recordVanished: boolean;
}

/** Deletes message rows with their counters and content references; returns the UIDs. */
export function removeMessages(d: Database, mailboxId: number, options: RemoveOptions): number[] {
  const rows = selectRows(d, mailboxId, options.uids, options.onlyDeleted ? "AND flags & 8" : "");
  if (rows.length === 0) return [];
  const modseq = nextModseq(d);
  const del = d.stmt("DELETE FROM messages WHERE mailbox_id = ? AND uid = ?");
  const vanish = d.stmt(
    "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
  );
  const delta = { messages: 0, unseen: 0, deleted: 0, size: 0 };
  for (const row of rows) {
    del.run(mailboxId, row.uid);
    if (options.recordVanished) vanish.run(mailboxId, row.uid, modseq);
    releaseContent(d, row.content_id);
    delta.messages--;
    delta.size -= row.size;
    if (!(row.flags & SEEN)) delta.unseen--;
    if (row.flags & DELETED) delta.deleted--;
  }
  adjustMailbox(d, mailboxId, delta, modseq);
  adjustUsage(d, delta.size, delta.messages);
  return rows.map((r) => r.uid);
}
