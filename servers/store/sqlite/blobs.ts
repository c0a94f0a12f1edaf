/**
 * Large message bodies as files beside the account's database. In the database (WAL mode) every
 * byte is written twice, once to the log and once more at the checkpoint, and a large body
 * crowds the page cache and the backups' VACUUM. A body of at least FILE_BODY_MIN_BYTES is
 * written once, to its own file; the header stays in the database (header fetches and searches
 * never open the file).
 *
 * Where the line is, measured end to end on this project's 2-core VM (bench/lmtp-throughput.ts,
 * our MDA with every body in the database against every body from 64 KiB in a file, 20 LMTP
 * sessions, fsync on, see bench/README.md): 100 KB messages in the database 428-532 msg/s against
 * 334-383 as files with a new connection per message (the machine is CPU-bound there and a file
 * costs more CPU: open, write, fsync, close, rename, directory fsync), about even at 256 KB, and
 * 1 MB messages 47-81 msg/s in the database against 76-109 as files (and 2.6 MB of disk writes
 * per message against 1.55 MB). So messages with attachments go to files, text and HTML mail
 * stays in the database.
 *
 * The commit protocol, so that a crash at any moment leaves nothing half-visible:
 * 1. the body is written to `incoming/<name>` and fsynced, then `incoming/` itself (one
 *    directory fsync shared by the appends that ask at once), on libuv's threads, off the
 *    event loop and in parallel;
 * 2. the index row naming the file is committed (the WAL fsync);
 * 3. the file is renamed into `blobs/<name>`. A reader looks in `blobs/`, then `incoming/`, so a
 *    crash between 2 and 3 loses nothing; the collector finishes the rename later.
 * A file in `incoming/` that no row names is an append that never committed: the collector
 * deletes it once it is older than any append in flight could be.
 *
 * When the last message referring to a body goes (expunge, mailbox delete), its name is put in
 * `released_blobs` in the same transaction and the file is deleted RELEASE_DELAY_MS later, so a
 * reader in a snapshot taken before the expunge, and a backup copying files after its database
 * snapshot, still find it.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync } from "node:fs";
import { copyFile, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fsyncDirectory } from "../../shared/fs/atomic-write.ts";
import { StoreError } from "../errors.ts";
import { syncDirectory, type Database } from "./database.ts";

/** Bodies from this size on are kept in files (see above for the measurement behind it). */
export const FILE_BODY_MIN_BYTES = 256 * 1024;
/** How long a released body file is kept before it is deleted. */
export const RELEASE_DELAY_MS = 15 * 60_000;
/** An uncommitted file in incoming/ older than this is an abandoned append. */
export const INCOMING_GRACE_MS = 10 * 60_000;

/** A name never used before in this account: time, then randomness. */
export function newBlobName(): string {
  return `${Date.now().toString(36)}-${randomBytes(8).toString("hex")}`;
}

/** The account's directory (where index.sqlite lives). */
export function accountDir(d: Database): string {
  return dirname(d.path);
}

/** Opens a body file for reading, wherever the commit protocol left it. */
function openBlob(dir: string, name: string): number {
  // Tried twice: another process may rename incoming/ -> blobs/ between the two looks.
  for (let attempt = 0; attempt < 2; attempt++) {
    for (const folder of ["blobs", "incoming"]) {
      try {
        return openSync(join(dir, folder, name), "r");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw unavailable(name, error);
      }
    }
  }
  throw new StoreError("UNAVAILABLE", `message body file ${name} is missing`);
}

/** Bytes [start, end) of a body file; the whole file without a range. */
export function readBlob(dir: string, name: string, start = 0, end?: number): Uint8Array {
  const fd = openBlob(dir, name);
  try {
    end ??= fstatSync(fd).size;
    const out = new Uint8Array(Math.max(0, end - start));
    let done = 0;
    while (done < out.byteLength) {
      const n = readSync(fd, out, done, out.byteLength - done, start + done);
      if (n === 0) throw new StoreError("UNAVAILABLE", `message body file ${name} is short`);
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies a body file of the account in `dir` to `target` (backup, restore) and fsyncs the copy;
 * the caller fsyncs the target's directory. Returns the size.
 */
export async function copyBlob(dir: string, name: string, target: string): Promise<number> {
  for (let attempt = 0; attempt < 2; attempt++) {
    for (const folder of ["blobs", "incoming"]) {
      try {
        await copyFile(join(dir, folder, name), target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const handle = await open(target, "r");
      try {
        await handle.sync();
        return (await handle.stat()).size;
      } finally {
        await handle.close();
      }
    }
  }
  throw new Error(`message body file ${name} is missing in ${dir}`);
}

/** A body file's size in bytes (for the consistency checks). */
export function blobSize(dir: string, name: string): number {
  const fd = openBlob(dir, name);
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

function unavailable(name: string, error: unknown): StoreError {
  return new StoreError("UNAVAILABLE", `cannot read message body file ${name}`, { cause: error });
}

/**
 * Writes bodies into incoming/ (step 1 of the protocol) and moves committed ones into blobs/
 * (step 3). One per open account.
 */
export class BlobWriter {
  private ready: Promise<void> | undefined;
  /** The directory fsync that has not started yet; appends asking now share it. */
  private queuedSync: Promise<void> | undefined;
  private runningSync: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {}

  /** Writes `body` durably into incoming/ and returns its name. */
  async write(body: Uint8Array): Promise<string> {
    await (this.ready ??= this.makeFolders());
    const name = newBlobName();
    const path = join(this.dir, "incoming", name);
    try {
      const handle = await open(path, "wx", 0o600);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.syncIncoming();
    } catch (error) {
      await rm(path, { force: true });
      throw new StoreError("UNAVAILABLE", `cannot store a message body: ${String(error)}`, {
        cause: error,
      });
    }
    return name;
  }

  /** Step 3 for a committed body; a failure only leaves it for the collector. */
  committed(name: string): void {
    try {
      renameSync(join(this.dir, "incoming", name), join(this.dir, "blobs", name));
    } catch {
      // Readers look in incoming/ too; the collector retries the move.
    }
  }

  /** A body whose append did not commit (refused, duplicate, failed transaction). */
  abandoned(name: string): void {
    try {
      unlinkSync(join(this.dir, "incoming", name));
    } catch {
      // Already gone; or left for the collector.
    }
  }

  private async makeFolders(): Promise<void> {
    for (const folder of ["incoming", "blobs"]) {
      const created = await mkdir(join(this.dir, folder), { recursive: true, mode: 0o700 });
      if (created !== undefined) syncDirectory(this.dir);
    }
  }

  /**
   * fsync of incoming/, so the new files' names are durable before their rows commit. A sync
   * asked for while one runs waits for the next, which then covers every file written so far.
   * A failed sync fails the appends that waited for it, not the ones after.
   */
  private syncIncoming(): Promise<void> {
    this.queuedSync ??= this.runningSync
      .catch(() => undefined)
      .then(() => {
        this.queuedSync = undefined;
        this.runningSync = fsyncDirectory(join(this.dir, "incoming"));
        return this.runningSync;
      });
    return this.queuedSync;
  }
}

/** Marks a body file for deletion; called in the transaction that drops its last reference. */
export function releaseBlob(d: Database, name: string): void {
  d.stmt("INSERT OR REPLACE INTO released_blobs (name, time) VALUES (?, ?)").run(name, Date.now());
}

/**
 * Deletes released body files whose delay has passed, finishes renames a crash interrupted, and
 * deletes abandoned uncommitted files. Safe to run in several processes at once.
 */
export async function collectBlobs(d: Database, now = Date.now()): Promise<void> {
  const dir = accountDir(d);
  const incoming = await readdir(join(dir, "incoming")).catch(() => [] as string[]);
  const expired = d.read(
    () =>
      d.stmt("SELECT name FROM released_blobs WHERE time <= ?").all(now - RELEASE_DELAY_MS) as {
        name: string;
      }[],
  );
  if (expired.length > 0) {
    // The rows go first: a name whose row is gone is never looked for again.
    d.write(() => {
      const remove = d.stmt("DELETE FROM released_blobs WHERE name = ?");
      for (const { name } of expired) remove.run(name);
    }, "relaxed");
    for (const { name } of expired) {
      await rm(join(dir, "blobs", name), { force: true });
      await rm(join(dir, "incoming", name), { force: true });
    }
  }
  const referenced = d.stmt("SELECT 1 FROM contents WHERE blob = ?");
  for (const name of incoming) {
    const path = join(dir, "incoming", name);
    const info = await stat(path).catch(() => undefined);
    if (!info || now - info.mtimeMs < INCOMING_GRACE_MS) continue;
    if (d.read(() => referenced.get(name))) {
      try {
        renameSync(path, join(dir, "blobs", name));
      } catch {
        // Moved by another process meanwhile.
      }
    } else {
      await rm(path, { force: true });
    }
  }
}
