/** Reading messages: summaries for SELECT/FETCH FLAGS, parsed metadata, raw bytes and sections. */
import { flagList } from "../flags.ts";
import type { MimePart } from "../mime/mime-tree.ts";
import { sectionRange } from "../mime/sections.ts";
import type { MessageMetadata, MessageSummary, Section, UidSet } from "../types.ts";
import { readContent, type ContentRef } from "./contents.ts";
import type { Database } from "./database.ts";
import { MAX_UID, selectRows, type MessageRow } from "./message-rows.ts";
import { inUidSet, normalizeUidSet } from "../uid-set.ts";

export function toSummary(row: MessageRow): MessageSummary {
  return {
    uid: row.uid,
    modseq: row.modseq,
    flags: flagList(row.flags, row.keywords),
    size: row.size,
    internalDate: { time: row.internal_time, zoneMinutes: row.internal_zone },
  };
}

const LIST_SQL = `SELECT uid, modseq, flags, keywords, internal_time, internal_zone, size
  FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid`;

type ListRow = [number, number, number, string, number, number, number];

/**
 * The hot path of SELECT and FETCH 1:* FLAGS on large mailboxes: rows come as arrays and become
 * summaries directly, one object per message fewer, which halves the garbage of 100,000 rows.
 */
export function listMessages(d: Database, mailboxId: number, uids?: UidSet): MessageSummary[] {
  const ranges = uids ? normalizeUidSet(uids) : [[1, MAX_UID] as [number, number]];
  const first = ranges[0];
  const last = ranges.at(-1);
  if (!first || !last) return [];
  const statement = d.stmt(LIST_SQL);
  statement.setReturnArrays(true);
  const rows = statement.all(mailboxId, first[0], last[1]) as unknown as ListRow[];
  const out: MessageSummary[] = [];
  for (const [uid, modseq, flags, keywords, time, zoneMinutes, size] of rows) {
    if (ranges.length > 1 && !inUidSet(ranges, uid)) continue;
    out.push({
      uid,
      modseq,
      flags: flagList(flags, keywords),
      size,
      internalDate: { time, zoneMinutes },
    });
  }
  return out;
}

export function messageMetadata(d: Database, mailboxId: number, uids: UidSet): MessageMetadata[] {
  return d.read(() => {
    const rows = selectRows(d, mailboxId, uids);
    const get = d.stmt("SELECT envelope, mime FROM contents WHERE id = ?");
    const out: MessageMetadata[] = [];
    for (const row of rows) {
      const content = get.get(row.content_id) as { envelope: string; mime: string } | undefined;
      if (!content) continue;
      out.push({
        uid: row.uid,
        envelope: JSON.parse(content.envelope) as MessageMetadata["envelope"],
        mime: JSON.parse(content.mime) as MimePart,
      });
    }
    return out;
  });
}

function contentOf(d: Database, mailboxId: number, uid: number): ContentRef | undefined {
  return d
    .stmt(
      `SELECT m.content_id, c.size, c.header_size, c.blob FROM messages m
       JOIN contents c ON c.id = m.content_id WHERE m.mailbox_id = ? AND m.uid = ?`,
    )
    .get(mailboxId, uid) as ContentRef | undefined;
}

export function readMessage(
  d: Database,
  mailboxId: number,
  uid: number,
  range?: { start: number; end: number },
): Uint8Array | undefined {
  return d.read(() => {
    const ref = contentOf(d, mailboxId, uid);
    if (!ref) return undefined;
    return readContent(d, ref, range?.start, range?.end);
  });
}

export function readSection(
  d: Database,
  mailboxId: number,
  uid: number,
  section: Section,
): Uint8Array | undefined {
  return d.read(() => {
    const ref = contentOf(d, mailboxId, uid);
    if (!ref) return undefined;
    const content = d.stmt("SELECT mime FROM contents WHERE id = ?").get(ref.content_id) as {
      mime: string;
    };
    const range = sectionRange(JSON.parse(content.mime) as MimePart, section);
    // RFC 9051 §6.4.5: a section that does not exist is returned empty, not as an error.
    if (!range) return new Uint8Array(0);
    return readContent(d, ref, range.start, range.end);
  });
}
