/**
 * Stored message texts: the raw bytes in chunks (a large body in a file, see blobs.ts), the
 * parsed metadata and the search text, shared by every message row (copy) that refers to them
 * and removed with the last reference.
 */
import type { PreparedMessage } from "../prepare.ts";
import { accountDir, readBlob, releaseBlob } from "./blobs.ts";
import { CHUNK_SIZE, CHUNK_SPAN } from "./schema.ts";
import type { Database } from "./database.ts";

/**
 * Inserts a message's content. `blob` names the file already holding its body (written and
 * fsynced before this transaction); without it the body goes into chunks.
 */
export function insertContent(d: Database, message: PreparedMessage, blob?: string): number {
  const { raw, search: s } = message;
  const headerSize = message.mime.bodyStart;
  const bodyChunks = blob === undefined ? Math.ceil((raw.byteLength - headerSize) / CHUNK_SIZE) : 0;
  // A raw body searchable as it is: in one chunk, or in its file (read by blob_text).
  const rawSearchable = bodyChunks <= 1;
  const row = d
    .stmt(
      `INSERT INTO contents (refs, size, header_size, chunks, sent_time, sent_zone, s_subject,
         s_from, s_to, s_cc, s_bcc, sort_subject, sort_from, sort_to, sort_cc, sort_display_from,
         sort_display_to, base_subject, message_id, thread_refs, envelope, mime, body_raw, blob)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(
      raw.byteLength,
      headerSize,
      1 + bodyChunks,
      s.sentTime,
      s.sentZone,
      s.subject,
      s.from,
      s.to,
      s.cc,
      s.bcc,
      s.sortSubject,
      s.sortFrom,
      s.sortTo,
      s.sortCc,
      s.sortDisplayFrom,
      s.sortDisplayTo,
      s.baseSubject,
      s.messageId,
      JSON.stringify(s.references),
      JSON.stringify(message.envelope),
      JSON.stringify(message.mime),
      s.bodyIsRaw && rawSearchable ? 1 : 0,
      blob ?? null,
    ) as { id: number };
  const id = row.id;
  const insertChunk = d.stmt("INSERT INTO chunks (id, data) VALUES (?, ?)");
  insertChunk.run(id * CHUNK_SPAN, raw.subarray(0, headerSize));
  for (let n = 0; n < bodyChunks; n++) {
    const start = headerSize + n * CHUNK_SIZE;
    insertChunk.run(id * CHUNK_SPAN + n + 1, raw.subarray(start, start + CHUNK_SIZE));
  }
  d.stmt("INSERT INTO header_texts (content_id, text) VALUES (?, ?)").run(id, s.headers);
  // Search reads a raw body from its one chunk; were chunks ever smaller than the body text
  // kept (MAX_BODY_TEXT), such a body would get its lowercased text stored like any other.
  const body =
    s.bodyIsRaw && !rawSearchable
      ? Buffer.from(raw.subarray(headerSize)).toString("latin1").toLowerCase()
      : s.body;
  if (body !== "") d.stmt("INSERT INTO body_texts (content_id, text) VALUES (?, ?)").run(id, body);
  return id;
}

export function addContentRef(d: Database, contentId: number, count = 1): void {
  d.stmt("UPDATE contents SET refs = refs + ? WHERE id = ?").run(count, contentId);
}

/** Drops one reference; the last one takes the bytes and texts with it. */
export function releaseContent(d: Database, contentId: number): void {
  const row = d
    .stmt("UPDATE contents SET refs = refs - 1 WHERE id = ? RETURNING refs, blob")
    .get(contentId) as { refs: number; blob: string | null } | undefined;
  if (!row || row.refs > 0) return;
  if (row.blob !== null) releaseBlob(d, row.blob);
  d.stmt("DELETE FROM contents WHERE id = ?").run(contentId);
  d.stmt("DELETE FROM chunks WHERE id >= ? AND id < ?").run(
    contentId * CHUNK_SPAN,
    (contentId + 1) * CHUNK_SPAN,
  );
  d.stmt("DELETE FROM header_texts WHERE content_id = ?").run(contentId);
  d.stmt("DELETE FROM body_texts WHERE content_id = ?").run(contentId);
}

/** Where a message's bytes are: its content row's columns. */
export interface ContentRef {
  readonly content_id: number;
  readonly size: number;
  readonly header_size: number;
  readonly blob: string | null;
}

/** Bytes [start, end) of a stored message, reading only the chunks (or file) that hold them. */
export function readContent(d: Database, ref: ContentRef, start = 0, end = ref.size): Uint8Array {
  const { content_id: contentId, size, header_size: headerSize, blob } = ref;
  start = Math.max(0, Math.min(start, size));
  end = Math.max(start, Math.min(end, size));
  if (start === end) return new Uint8Array(0);
  if (blob !== null && end > headerSize) {
    const head =
      start < headerSize ? readContent(d, { ...ref, blob: null }, start, headerSize) : undefined;
    const from = Math.max(start, headerSize);
    const body = readBlob(accountDir(d), blob, from - headerSize, end - headerSize);
    if (!head) return body;
    const out = new Uint8Array(end - start);
    out.set(head);
    out.set(body, head.byteLength);
    return out;
  }
  const chunkOf = (offset: number): number =>
    offset < headerSize ? 0 : 1 + Math.floor((offset - headerSize) / CHUNK_SIZE);
  const first = chunkOf(start);
  const last = chunkOf(end - 1);
  const rows = d
    .stmt("SELECT id, data FROM chunks WHERE id >= ? AND id <= ? ORDER BY id")
    .all(contentId * CHUNK_SPAN + first, contentId * CHUNK_SPAN + last) as {
    id: number;
    data: Uint8Array;
  }[];
  const out = new Uint8Array(end - start);
  for (const { id, data } of rows) {
    const n = id - contentId * CHUNK_SPAN;
    const chunkStart = n === 0 ? 0 : headerSize + (n - 1) * CHUNK_SIZE;
    const from = Math.max(start, chunkStart);
    const to = Math.min(end, chunkStart + data.byteLength);
    if (to > from) out.set(data.subarray(from - chunkStart, to - chunkStart), from - start);
  }
  return out;
}
