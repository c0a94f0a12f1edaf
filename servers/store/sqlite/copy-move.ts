/**
 * COPY (RFC 9051 §6.4.7) and MOVE (RFC 6851) with the UID mapping for COPYUID (RFC 4315).
 * A copy shares the stored bytes (a content reference), keeps flags and INTERNALDATE, counts
 * against the quota like any message; a move is copy plus expunge in one transaction, so the
 * message is never in both mailboxes or in neither, and it changes no quota usage.
 */
import type { CopyResult, UidSet } from "../types.ts";
import { addContentRef } from "./contents.ts";
import type { Database } from "./database.ts";
import { requireMailbox } from "./mailboxes.ts";
import { insertMessage, removeMessages, selectRows } from "./message-rows.ts";
import { nextModseq } from "./modseq.ts";
import { checkQuota } from "./quota.ts";

function copyRows(
  d: Database,
  sourceId: number,
  uids: UidSet,
  targetId: number,
  isMove: boolean,
): CopyResult {
  requireMailbox(d, sourceId);
  const target = requireMailbox(d, targetId);
  const rows = selectRows(d, sourceId, uids);
  if (!isMove) {
    checkQuota(
      d,
      rows.reduce((sum, r) => sum + r.size, 0),
      rows.length,
    );
  }
  const pairs: [number, number][] = [];
  if (rows.length === 0) return { uidValidity: target.uidvalidity, pairs };
  const modseq = nextModseq(d);
  for (const row of rows) {
    addContentRef(d, row.content_id);
    pairs.push([row.uid, insertMessage(d, target.id, row, modseq)]);
  }
  if (isMove) {
    removeMessages(d, sourceId, { uids: pairs.map(([s]) => [s, s]), recordVanished: true });
  }
  return { uidValidity: target.uidvalidity, pairs };
}

export function copyMessages(
  d: Database,
  sourceId: number,
  uids: UidSet,
  targetId: number,
): CopyResult {
  return d.write(() => copyRows(d, sourceId, uids, targetId, false));
}

export function moveMessages(
  d: Database,
  sourceId: number,
  uids: UidSet,
  targetId: number,
): CopyResult {
  // Moving within one mailbox is allowed; the messages get new UIDs at its end.
  return d.write(() => copyRows(d, sourceId, uids, targetId, true));
}

/** Moves every message of INBOX to `targetId` (RENAME INBOX, RFC 9051 §6.3.6). */
export function moveAll(d: Database, sourceId: number, targetId: number): void {
  copyRows(d, sourceId, [[1, 4_294_967_295]], targetId, true);
}
