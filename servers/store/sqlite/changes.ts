/**
 * CONDSTORE/QRESYNC (RFC 7162): what changed in a mailbox after a MODSEQ, and \Recent claims
 * (RFC 3501 §2.3.2) for IMAP4rev1 sessions.
 */
import type { Changes } from "../types.ts";
import type { Database } from "./database.ts";
import { requireMailbox } from "./mailboxes.ts";
import type { MessageRow } from "./message-rows.ts";
import { toSummary } from "./read.ts";

export function changesSince(d: Database, mailboxId: number, modseq: number): Changes {
  return d.read(() => {
    const mailbox = requireMailbox(d, mailboxId);
    const changed = d
      .stmt(
        `SELECT uid, modseq, flags, keywords, internal_time, internal_zone, size, content_id
         FROM messages WHERE mailbox_id = ? AND modseq > ? ORDER BY uid`,
      )
      .all(mailboxId, modseq) as unknown as MessageRow[];
    const vanished = d
      .stmt("SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid")
      .all(mailboxId, modseq) as { uid: number }[];
    return {
      highestModseq: Math.max(1, mailbox.highestmodseq),
      changed: changed.map(toSummary),
      vanished: vanished.map((r) => r.uid),
    };
  });
}

export function claimRecent(d: Database, mailboxId: number): number[] {
  return d.write(() => {
    const mailbox = requireMailbox(d, mailboxId);
    if (mailbox.recent_uid >= mailbox.uidnext) return [];
    d.stmt("UPDATE mailboxes SET recent_uid = ? WHERE id = ?").run(mailbox.uidnext, mailboxId);
    const rows = d
      .stmt("SELECT uid FROM messages WHERE mailbox_id = ? AND uid >= ? ORDER BY uid")
      .all(mailboxId, mailbox.recent_uid) as { uid: number }[];
    return rows.map((r) => r.uid);
  });
}
