/**
 * `mailstack backup` / `restore` for the embedded backend.
 *
 * Backup: `VACUUM INTO` copies each user's database inside one read transaction, so the copy
 * is a consistent snapshot while the MDA and IMAP keep writing (WAL readers do not block them),
 * and most messages travel with it since they live in the database; the body files the snapshot
 * names (blobs.ts) are copied after it: a file released after the snapshot is kept for minutes,
 * so it is still there. Users are independent, so one consistent snapshot per user is a
 * consistent backup. The manifest is written last: a backup directory without one is incomplete.
 *
 * Restore: inside one write transaction on the live database (so it works while servers run,
 * and they see it as an ordinary commit), every table is replaced by the backup's rows. Every
 * mailbox then gets a new UIDVALIDITY: UIDs handed out after the snapshot was taken would be
 * handed out again, and clients must not mistake the new messages for the ones they cached
 * (RFC 9051 §2.3.1.1). Body files are copied in under new names before that transaction, and
 * the files of the replaced contents are released, so nothing a running server reads vanishes.
 */
import { copyFile, mkdir, open, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fsyncDirectory, writeFileAtomic } from "../../shared/fs/atomic-write.ts";
import { copyBlob, newBlobName, releaseBlob } from "./blobs.ts";
import { accountPath, Database } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";
import { migrate } from "./schema.ts";

export const BACKUP_FORMAT = "mailstack-backup/1";

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly created: string;
  readonly accounts: readonly {
    readonly userId: string;
    /** Path of the snapshot, relative to the backup directory. */
    readonly file: string;
    readonly messages: number;
    /** Size of the snapshot file. */
    readonly bytes: number;
    /** The large bodies kept as files (blobs.ts), relative to the backup directory. */
    readonly bodyFiles?: readonly { readonly file: string; readonly bytes: number }[];
  }[];
}

/** Tables copied on restore, in an order that needs no deferred checks. */
const TABLES = [
  "account",
  "mailboxes",
  "subscriptions",
  "keywords",
  "contents",
  "chunks",
  "header_texts",
  "body_texts",
  "messages",
  "expunged",
  "dedupe",
];

export async function backupStore(
  dataDir: string,
  backupDir: string,
  options: { users?: readonly string[] } = {},
): Promise<BackupManifest> {
  const store = new SqliteMailStore({ dataDir });
  const users = options.users ?? (await store.listAccounts());
  await store.close();
  const accounts: BackupManifest["accounts"][number][] = [];
  for (const userId of users) {
    const source = accountPath(dataDir, userId);
    const target = accountPath(backupDir, userId);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.partial`;
    await rm(temp, { force: true });
    const db = new DatabaseSync(source, { timeout: 15_000 });
    try {
      db.prepare("VACUUM INTO ?").run(temp);
      // Counted in the snapshot itself: the live database has moved on meanwhile.
      const copy = new DatabaseSync(temp, { readOnly: true });
      const row = copy.prepare("SELECT used_messages AS n FROM account").get() as { n: number };
      const blobs = blobNames(copy);
      copy.close();
      const bodyFiles: { file: string; bytes: number }[] = [];
      if (blobs.length > 0) {
        const folder = join(dirname(target), "blobs");
        await mkdir(folder, { recursive: true });
        for (const name of blobs) {
          const bytes = await copyBlob(dirname(source), name, join(folder, name));
          bodyFiles.push({ file: relative(backupDir, join(folder, name)), bytes });
        }
        await fsyncDirectory(folder);
      }
      await syncFile(temp);
      await rename(temp, target);
      await fsyncDirectory(dirname(target));
      accounts.push({
        userId,
        file: relative(backupDir, target),
        messages: row.n,
        bytes: (await stat(target)).size,
        ...(bodyFiles.length > 0 ? { bodyFiles } : {}),
      });
    } finally {
      db.close();
    }
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    created: new Date().toISOString(),
    accounts,
  };
  await writeFileAtomic(join(backupDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

export async function readManifest(backupDir: string): Promise<BackupManifest> {
  const manifest = JSON.parse(
    await readFile(join(backupDir, "manifest.json"), "utf8"),
  ) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT) {
    throw new Error(`${backupDir}: not a mailstack backup (format ${String(manifest.format)})`);
  }
  return manifest;
}

export async function restoreStore(
  backupDir: string,
  dataDir: string,
  options: { users?: readonly string[] } = {},
): Promise<string[]> {
  const manifest = await readManifest(backupDir);
  const wanted = options.users && new Set(options.users);
  const restored: string[] = [];
  for (const entry of manifest.accounts) {
    if (wanted && !wanted.has(entry.userId)) continue;
    // Upgrade a copy of an older snapshot first, never the backup itself.
    const snapshot = join(dataDir, `.restore-${process.pid}.sqlite`);
    await mkdir(dataDir, { recursive: true });
    await copyFile(join(backupDir, entry.file), snapshot);
    try {
      const upgrade = new Database(snapshot);
      upgrade.write(() => migrate(upgrade.db));
      const blobs = blobNames(upgrade.db);
      upgrade.close();
      // Opening through the store creates the live database (and its schema) if missing.
      const store = new SqliteMailStore({ dataDir });
      await (await store.openAccount(entry.userId)).close();
      await store.close();
      const live = accountPath(dataDir, entry.userId);
      const renamed = await copyBlobsIn(dirname(join(backupDir, entry.file)), dirname(live), blobs);
      replaceContents(live, snapshot, entry.userId, renamed);
      for (const name of renamed.values()) {
        await rename(join(dirname(live), "incoming", name), join(dirname(live), "blobs", name));
      }
      restored.push(entry.userId);
    } finally {
      await rm(snapshot, { force: true });
      await rm(`${snapshot}-wal`, { force: true });
      await rm(`${snapshot}-shm`, { force: true });
    }
  }
  return restored;
}

function blobNames(db: DatabaseSync): string[] {
  const rows = db.prepare("SELECT blob FROM contents WHERE blob IS NOT NULL").all() as {
    blob: string;
  }[];
  return rows.map((r) => r.blob);
}

/**
 * Copies a snapshot's body files into the live account's incoming/ under new names (a name is
 * never used twice, so none can collide with a live file, released or not). Returns old -> new.
 */
async function copyBlobsIn(
  fromDir: string,
  liveDir: string,
  names: readonly string[],
): Promise<Map<string, string>> {
  const renamed = new Map<string, string>();
  if (names.length === 0) return renamed;
  for (const folder of ["incoming", "blobs"])
    await mkdir(join(liveDir, folder), { recursive: true });
  for (const name of names) {
    const fresh = newBlobName();
    await copyBlob(fromDir, name, join(liveDir, "incoming", fresh));
    renamed.set(name, fresh);
  }
  // A running server's collector deletes unnamed files in incoming/ once they look abandoned
  // (INCOMING_GRACE_MS old); copying a large account can take longer than that, so every copy
  // is made recent again just before the transaction that names them.
  const now = new Date();
  for (const fresh of renamed.values()) await utimes(join(liveDir, "incoming", fresh), now, now);
  await fsyncDirectory(join(liveDir, "incoming"));
  return renamed;
}

function replaceContents(
  livePath: string,
  snapshot: string,
  userId: string,
  renamed: ReadonlyMap<string, string>,
): void {
  const live = new Database(livePath);
  try {
    live.db.prepare("ATTACH DATABASE ? AS snap").run(snapshot);
    live.write(() => {
      const owner = live.db.prepare("SELECT user_id FROM snap.account").get() as
        { user_id: string } | undefined;
      if (owner?.user_id !== userId) throw new Error(`the snapshot belongs to ${owner?.user_id}`);
      const before = live.db
        .prepare("SELECT next_uidvalidity AS n, modseq, mailbox_version AS v FROM account")
        .get() as { n: number; modseq: number; v: number };
      // The live body files are no longer named once the contents are replaced.
      for (const { blob } of live.db
        .prepare("SELECT blob FROM main.contents WHERE blob IS NOT NULL")
        .all() as { blob: string }[]) {
        releaseBlob(live, blob);
      }
      for (const table of TABLES) {
        live.db.exec(
          `DELETE FROM main.${table}; INSERT INTO main.${table} SELECT * FROM snap.${table};`,
        );
      }
      const rename = live.db.prepare("UPDATE main.contents SET blob = ? WHERE blob = ?");
      for (const [from, to] of renamed) rename.run(to, from);
      // Mailbox ids are never reused: keep the higher AUTOINCREMENT high-water mark.
      live.db.exec(`UPDATE main.sqlite_sequence SET seq = max(seq,
        coalesce((SELECT seq FROM snap.sqlite_sequence WHERE name = 'mailboxes'), 0))
        WHERE name = 'mailboxes'`);
      let next = Math.max(before.n, Math.floor(Date.now() / 1000));
      const ids = live.db.prepare("SELECT id FROM mailboxes ORDER BY id").all() as { id: number }[];
      const setValidity = live.db.prepare(
        "UPDATE mailboxes SET uidvalidity = ?, recent_uid = uidnext WHERE id = ?",
      );
      for (const { id } of ids) setValidity.run(next++, id);
      // MODSEQ and the mailbox version move past both histories, so watchers in running
      // servers notice the change.
      live.db
        .prepare(
          `UPDATE account SET next_uidvalidity = max(next_uidvalidity, ?),
             mailbox_version = max(mailbox_version, ?) + 1, modseq = max(modseq, ?) + 1`,
        )
        .run(next, before.v, before.modseq);
      live.db.exec("UPDATE mailboxes SET highestmodseq = (SELECT modseq FROM account)");
    });
  } finally {
    if (live.db.isOpen) {
      if (!live.db.isTransaction) live.db.exec("DETACH DATABASE snap");
      live.close();
    }
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
