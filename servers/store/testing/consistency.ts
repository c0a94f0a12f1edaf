/**
 * Checks a user's database the way the crash and concurrency tests need: every counter equals
 * what the rows say, every reference resolves, every message's bytes are complete (in chunks, or
 * a body in its file), and no body file is left that nothing names. Returns the problems found
 * (an empty list when consistent).
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { blobSize } from "../sqlite/blobs.ts";
import { CHUNK_SPAN } from "../sqlite/schema.ts";

type Row = Record<string, number | string | null>;

export function checkConsistency(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  const problems: string[] = [];
  const all = (sql: string): Row[] => db.prepare(sql).all() as Row[];
  try {
    const integrity = all("PRAGMA integrity_check");
    if (integrity[0]?.integrity_check !== "ok")
      problems.push(`integrity: ${JSON.stringify(integrity)}`);
    for (const m of all(`
      SELECT b.id, b.name, b.uidnext, b.messages, b.unseen, b.deleted, b.size, b.highestmodseq,
        (SELECT count(*) FROM messages WHERE mailbox_id = b.id) AS n,
        (SELECT count(*) FROM messages WHERE mailbox_id = b.id AND flags & 1 = 0) AS u,
        (SELECT count(*) FROM messages WHERE mailbox_id = b.id AND flags & 8 != 0) AS d,
        (SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = b.id) AS s,
        (SELECT coalesce(max(uid), 0) FROM messages WHERE mailbox_id = b.id) AS maxuid,
        (SELECT coalesce(max(uid), 0) FROM expunged WHERE mailbox_id = b.id) AS maxgone,
        (SELECT coalesce(max(modseq), 0) FROM messages WHERE mailbox_id = b.id) AS maxmodseq
      FROM mailboxes b`)) {
      const name = String(m.name);
      if (m.messages !== m.n) problems.push(`${name}: messages ${m.messages} != ${m.n}`);
      if (m.unseen !== m.u) problems.push(`${name}: unseen ${m.unseen} != ${m.u}`);
      if (m.deleted !== m.d) problems.push(`${name}: deleted ${m.deleted} != ${m.d}`);
      if (m.size !== m.s) problems.push(`${name}: size ${m.size} != ${m.s}`);
      if (Number(m.uidnext) <= Math.max(Number(m.maxuid), Number(m.maxgone))) {
        problems.push(`${name}: uidnext ${m.uidnext} not above UIDs used`);
      }
      if (Number(m.highestmodseq) < Number(m.maxmodseq)) {
        problems.push(`${name}: highestmodseq ${m.highestmodseq} < ${m.maxmodseq}`);
      }
    }
    const account = all(`SELECT used_bytes, used_messages, modseq,
        (SELECT coalesce(sum(size), 0) FROM messages) AS s, (SELECT count(*) FROM messages) AS n,
        (SELECT coalesce(max(modseq), 0) FROM messages) AS m FROM account`)[0];
    if (account?.used_bytes !== account?.s)
      problems.push(`quota bytes ${account?.used_bytes} != ${account?.s}`);
    if (account?.used_messages !== account?.n)
      problems.push(`quota count ${account?.used_messages} != ${account?.n}`);
    if (Number(account?.modseq) < Number(account?.m))
      problems.push("account modseq behind a message");
    for (const c of all(`SELECT c.id, c.refs, (SELECT count(*) FROM messages WHERE content_id = c.id) AS n
        FROM contents c WHERE c.refs != (SELECT count(*) FROM messages WHERE content_id = c.id)`)) {
      problems.push(`content ${c.id}: refs ${c.refs} != ${c.n}`);
    }
    for (const m of all(`SELECT mailbox_id, uid FROM messages
        WHERE content_id NOT IN (SELECT id FROM contents)`)) {
      problems.push(`message ${m.mailbox_id}/${m.uid} without content`);
    }
    for (const c of all(`SELECT c.id, c.size, c.header_size, c.chunks, c.blob,
        (SELECT coalesce(sum(length(data)), 0) FROM chunks WHERE id >= c.id * ${CHUNK_SPAN}
           AND id < (c.id + 1) * ${CHUNK_SPAN}) AS bytes,
        (SELECT count(*) FROM chunks WHERE id >= c.id * ${CHUNK_SPAN}
           AND id < (c.id + 1) * ${CHUNK_SPAN}) AS n
        FROM contents c`)) {
      const inFile = c.blob === null ? 0 : fileSize(dirname(path), String(c.blob));
      if (Number(c.bytes) + inFile !== c.size || c.n !== c.chunks)
        problems.push(`content ${c.id}: bytes incomplete`);
    }
    // A body file in blobs/ is named by a content or waiting for its deletion; incoming/ may
    // hold uncommitted files (the collector's business).
    const named = new Set(
      all(
        "SELECT blob AS name FROM contents WHERE blob IS NOT NULL UNION SELECT name FROM released_blobs",
      ).map((r) => String(r.name)),
    );
    for (const name of listFiles(join(dirname(path), "blobs"))) {
      if (!named.has(name)) problems.push(`body file ${name} named by nothing`);
    }
    const orphans = all(`SELECT count(*) AS n FROM chunks
        WHERE id / ${CHUNK_SPAN} NOT IN (SELECT id FROM contents)`)[0];
    if (Number(orphans?.n) > 0) problems.push(`${orphans?.n} orphan chunks`);
  } finally {
    db.close();
  }
  return problems;
}

function fileSize(dir: string, name: string): number {
  try {
    return blobSize(dir, name);
  } catch {
    return -1;
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
