/**
 * Mailbox operations (RFC 9051 §6.3: CREATE, DELETE, RENAME, SUBSCRIBE, STATUS) on a user's
 * database. Each runs in one write transaction; the callers wrap them in Database.write.
 */
import { StoreError } from "../errors.ts";
import {
  DEFAULT_ROLE_NAMES,
  DELIMITER,
  SPECIAL_USES,
  isSpecialUse,
  normalizeMailboxName,
  parentNames,
} from "../mailbox-name.ts";
import type { MailboxInfo, MailboxStatus, SpecialUse } from "../types.ts";
import type { Database } from "./database.ts";
import { removeMessages } from "./message-rows.ts";
import { nextModseq } from "./modseq.ts";

export interface MailboxRow {
  readonly id: number;
  readonly name: string;
  readonly special_use: string | null;
  readonly uidvalidity: number;
  readonly uidnext: number;
  readonly highestmodseq: number;
  readonly recent_uid: number;
  readonly messages: number;
  readonly unseen: number;
  readonly deleted: number;
  readonly size: number;
}

const COLUMNS =
  "id, name, special_use, uidvalidity, uidnext, highestmodseq, recent_uid, messages, unseen, deleted, size";

export function findMailbox(d: Database, ref: string | number): MailboxRow | undefined {
  if (typeof ref === "number") {
    return d.stmt(`SELECT ${COLUMNS} FROM mailboxes WHERE id = ?`).get(ref) as
      MailboxRow | undefined;
  }
  let name: string;
  try {
    name = normalizeMailboxName(ref);
  } catch {
    return undefined;
  }
  return d.stmt(`SELECT ${COLUMNS} FROM mailboxes WHERE name = ?`).get(name) as
    MailboxRow | undefined;
}

export function requireMailbox(d: Database, ref: string | number): MailboxRow {
  const row = findMailbox(d, ref);
  if (!row) throw new StoreError("NONEXISTENT", `no mailbox ${JSON.stringify(ref)}`);
  return row;
}

function isSubscribed(d: Database, name: string): boolean {
  return d.stmt("SELECT 1 FROM subscriptions WHERE name = ?").get(name) !== undefined;
}

export function toInfo(row: MailboxRow, subscribed: boolean): MailboxInfo {
  return {
    id: row.id,
    name: row.name,
    specialUse: isSpecialUse(row.special_use) ? row.special_use : null,
    subscribed,
    uidValidity: row.uidvalidity,
    uidNext: row.uidnext,
    highestModseq: Math.max(1, row.highestmodseq),
  };
}

export function toStatus(d: Database, row: MailboxRow): MailboxStatus {
  return {
    ...toInfo(row, isSubscribed(d, row.name)),
    messages: row.messages,
    unseen: row.unseen,
    size: row.size,
    deleted: row.deleted,
    recent:
      row.recent_uid >= row.uidnext
        ? 0
        : (
            d
              .stmt("SELECT count(*) AS n FROM messages WHERE mailbox_id = ? AND uid >= ?")
              .get(row.id, row.recent_uid) as { n: number }
          ).n,
  };
}

export function mailboxInfo(d: Database, ref: string | number): MailboxInfo | undefined {
  const row = findMailbox(d, ref);
  return row && toInfo(row, isSubscribed(d, row.name));
}

export function listMailboxes(d: Database): MailboxInfo[] {
  const rows = d
    .stmt(
      `SELECT ${COLUMNS}, EXISTS (SELECT 1 FROM subscriptions s WHERE s.name = m.name) AS sub
       FROM mailboxes m ORDER BY name`,
    )
    .all() as unknown as (MailboxRow & { sub: number })[];
  return rows.map((row) => toInfo(row, row.sub === 1));
}

export function listSubscriptions(d: Database): string[] {
  return (d.stmt("SELECT name FROM subscriptions ORDER BY name").all() as { name: string }[]).map(
    (r) => r.name,
  );
}

function bumpMailboxVersion(d: Database): void {
  d.stmt("UPDATE account SET mailbox_version = mailbox_version + 1").run();
}

/**
 * UIDVALIDITY (RFC 9051 §2.3.1.1) must differ from that of any earlier mailbox of the same name:
 * a per-account counter that starts at the current time in seconds and only goes up.
 */
function allocateUidValidity(d: Database): number {
  const now = Math.floor(Date.now() / 1000);
  const row = d
    .stmt(
      `UPDATE account SET next_uidvalidity = max(next_uidvalidity, ?) + 1
       RETURNING next_uidvalidity - 1 AS value`,
    )
    .get(now) as { value: number };
  return row.value;
}

function insertMailbox(d: Database, name: string, specialUse: SpecialUse | null): MailboxRow {
  const modseq = nextModseq(d);
  d.stmt(
    `INSERT INTO mailboxes (name, special_use, uidvalidity, highestmodseq, created)
     VALUES (?, ?, ?, ?, ?)`,
  ).run(name, specialUse, allocateUidValidity(d), modseq, Date.now());
  bumpMailboxVersion(d);
  return requireMailbox(d, name);
}

export function createMailbox(
  d: Database,
  rawName: string,
  specialUse: SpecialUse | null = null,
): MailboxRow {
  const name = normalizeMailboxName(rawName);
  if (findMailbox(d, name)) throw new StoreError("ALREADYEXISTS", `${name} already exists`);
  if (specialUse !== null) {
    const holder = d.stmt("SELECT name FROM mailboxes WHERE special_use = ?").get(specialUse) as
      { name: string } | undefined;
    if (holder) throw new StoreError("CANNOT", `${holder.name} already has ${specialUse}`);
  }
  // RFC 9051 §6.3.4: the server creates the superiors a name needs.
  for (const parent of parentNames(name)) {
    if (!findMailbox(d, parent)) insertMailbox(d, parent, null);
  }
  return insertMailbox(d, name, specialUse);
}

/** The mailbox holding `role`; adopts a mailbox of the default name, or creates it. */
export function mailboxByRole(d: Database, role: SpecialUse): MailboxRow {
  const row = d.stmt(`SELECT ${COLUMNS} FROM mailboxes WHERE special_use = ?`).get(role) as
    MailboxRow | undefined;
  if (row) return row;
  const name = DEFAULT_ROLE_NAMES[role];
  const existing = findMailbox(d, name);
  if (existing && existing.special_use === null) {
    d.stmt("UPDATE mailboxes SET special_use = ? WHERE id = ?").run(role, existing.id);
    bumpMailboxVersion(d);
    return requireMailbox(d, existing.id);
  }
  if (existing) return createMailbox(d, `${name}-${role.slice(1).toLowerCase()}`, role);
  const created = createMailbox(d, name, role);
  d.stmt("INSERT OR IGNORE INTO subscriptions (name) VALUES (?)").run(created.name);
  return created;
}

/** INBOX and the RFC 6154 roles, created with a new account and subscribed. */
export function createDefaultMailboxes(d: Database): void {
  for (const role of SPECIAL_USES) mailboxByRole(d, role);
}

export function setSubscribed(d: Database, rawName: string, subscribed: boolean): void {
  const name = normalizeMailboxName(rawName);
  if (subscribed) d.stmt("INSERT OR IGNORE INTO subscriptions (name) VALUES (?)").run(name);
  else d.stmt("DELETE FROM subscriptions WHERE name = ?").run(name);
  bumpMailboxVersion(d);
}

/** RFC 9051 §6.3.5: messages go with the mailbox; inferiors stay; INBOX stays. */
export function deleteMailbox(d: Database, rawName: string): void {
  const row = requireMailbox(d, rawName);
  if (row.name === "INBOX") throw new StoreError("CANNOT", "INBOX cannot be deleted");
  removeMessages(d, row.id, { recordVanished: false });
  d.stmt("DELETE FROM expunged WHERE mailbox_id = ?").run(row.id);
  d.stmt("DELETE FROM dedupe WHERE mailbox_id = ?").run(row.id);
  d.stmt("DELETE FROM mailboxes WHERE id = ?").run(row.id);
  nextModseq(d);
  bumpMailboxVersion(d);
}

/**
 * RFC 9051 §6.3.6: renames the mailbox and its inferiors (ids, UIDVALIDITY and messages stay),
 * and their subscriptions with them. Superiors of the new name are created as needed.
 */
export function renameMailbox(
  d: Database,
  rawFrom: string,
  rawTo: string,
  moveInbox: (inbox: MailboxRow, target: MailboxRow) => void,
): void {
  const from = requireMailbox(d, rawFrom);
  const to = normalizeMailboxName(rawTo);
  if (findMailbox(d, to)) throw new StoreError("ALREADYEXISTS", `${to} already exists`);
  if (to === "INBOX") throw new StoreError("CANNOT", "cannot rename onto INBOX");
  if (from.name === "INBOX") {
    // Renaming INBOX moves its messages to the new name and leaves INBOX empty.
    moveInbox(from, createMailbox(d, to));
    return;
  }
  if (to.startsWith(from.name + DELIMITER)) {
    throw new StoreError("CANNOT", "cannot rename a mailbox into itself");
  }
  for (const parent of parentNames(to)) if (!findMailbox(d, parent)) insertMailbox(d, parent, null);
  const family = d
    .stmt("SELECT id, name FROM mailboxes WHERE name = ? OR substr(name, 1, ?) = ?")
    .all(from.name, from.name.length + 1, from.name + DELIMITER) as { id: number; name: string }[];
  // Two passes through temporary names keep the UNIQUE constraint happy whatever the order.
  for (const m of family) {
    d.stmt("UPDATE mailboxes SET name = ? WHERE id = ?").run(`\u0000${m.id}`, m.id);
  }
  for (const m of family) {
    const newName = to + m.name.slice(from.name.length);
    d.stmt("UPDATE mailboxes SET name = ? WHERE id = ?").run(newName, m.id);
    const moved = d.stmt("DELETE FROM subscriptions WHERE name = ?").run(m.name);
    if (moved.changes > 0) {
      d.stmt("INSERT OR IGNORE INTO subscriptions (name) VALUES (?)").run(newName);
    }
  }
  nextModseq(d);
  bumpMailboxVersion(d);
}
