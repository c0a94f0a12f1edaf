/**
 * Opening a user's database and running transactions on it.
 *
 * - WAL: readers (IMAP sessions in other processes) never wait for the writer, nor it for them.
 * - synchronous=FULL: a commit fsyncs the WAL, so an acknowledged delivery survives a power cut,
 *   not only a process crash (NORMAL would lose the last commits on power loss). Flag changes,
 *   expunges and \Recent claims may ask for `relaxed` commits (NORMAL: no fsync of their own),
 *   as Dovecot's `mail_fsync = optimized` does: a process crash still loses nothing and leaves the
 *   file consistent; a power cut may undo the last of them (a flag comes back), never a delivery,
 *   and the next full commit (any append) makes them durable too. They were 58% of an IMAP
 *   server's time in imaptest's benchmark, all of it waiting for fsync.
 * - busy timeout: several processes write the same file (MDA, IMAP, POP3); a writer waits for
 *   the lock rather than failing. Writes take the lock up front (BEGIN IMMEDIATE), so a reader
 *   never has to upgrade to a writer mid-transaction, which SQLite can only refuse.
 * - wal_autocheckpoint 4000 pages (16 MB): fewer, larger checkpoints; measured +10-20% append
 *   throughput over the default 1000 with 100 KB messages. Larger pages (16/64 KB) were slower
 *   for 1 KB messages and no faster for 100 KB ones, so the 4 KB default stays.
 */
import { createHash } from "node:crypto";
import { mkdirSync, openSync, fsyncSync, closeSync, existsSync } from "node:fs";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname, join } from "node:path";
import { StoreError } from "../errors.ts";

/**
 * Page cache per connection, in KiB: room for the mailbox listings and search columns an IMAP
 * session reads again and again. The MDA, which only appends, asks for less.
 */
export const DEFAULT_CACHE_KIB = 16_000;

/** How long a writer waits for another process's transaction, in milliseconds. */
export const BUSY_TIMEOUT_MS = 15_000;

/**
 * `<dataDir>/mail/<2 hex>/<32 hex>/index.sqlite`: a hash keeps user ids (which may hold any
 * character) out of paths, and the shard level keeps directories small with many users.
 */
export function accountPath(dataDir: string, userId: string): string {
  const hash = createHash("sha256").update(userId, "utf8").digest("hex").slice(0, 32);
  return join(dataDir, "mail", hash.slice(0, 2), hash, "index.sqlite");
}

/**
 * `full`: the commit is fsynced before it returns (deliveries, appends, copies, mailbox changes).
 * `relaxed`: no fsync of its own; survives a process crash, may be undone by a power cut.
 */
export type Durability = "full" | "relaxed";

export class Database {
  readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  /**
   * @param cacheKiB SQLite page cache of this connection (default DEFAULT_CACHE_KIB). Each open
   *   account has one, so a process with many accounts open multiplies it.
   */
  constructor(
    readonly path: string,
    cacheKiB = DEFAULT_CACHE_KIB,
  ) {
    const dir = dirname(path);
    const created = !existsSync(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The new directories must survive a power cut once the first delivery is acknowledged.
    if (created) for (const d of [dir, dirname(dir), dirname(dirname(dir))]) syncDirectory(d);
    try {
      this.db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
      configure(this.db, cacheKiB);
    } catch (error) {
      throw new StoreError("UNAVAILABLE", `cannot open ${path}`, { cause: error });
    }
  }

  /** A prepared statement, cached for the life of the connection. */
  stmt(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `fn` in a write transaction and commits (durably) before returning. Nested calls join
   * the outer transaction.
   */
  write<T>(fn: () => T, durability: Durability = "full"): T {
    if (this.db.isTransaction) return fn();
    if (durability === "relaxed") this.db.exec("PRAGMA synchronous = NORMAL");
    try {
      try {
        this.db.exec("BEGIN IMMEDIATE");
      } catch (error) {
        throw wrap(error); // the lock was not obtained within the busy timeout
      }
      return this.commit(fn);
    } finally {
      if (durability === "relaxed") this.db.exec("PRAGMA synchronous = FULL");
    }
  }

  /**
   * Takes the write lock (BEGIN IMMEDIATE) without waiting: false when another connection,
   * usually another process, holds it. The caller then retries later from the event loop
   * instead of sleeping in SQLite's busy handler, which would stall every session of this
   * process; `commit` ends the transaction begun here.
   */
  tryBegin(): boolean {
    if (this.db.isTransaction) throw new Error("a transaction is already open");
    this.db.exec("PRAGMA busy_timeout = 0");
    try {
      this.db.exec("BEGIN IMMEDIATE");
      return true;
    } catch (error) {
      if (isBusy(error)) return false;
      throw wrap(error);
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** Runs `fn` in the transaction begun by tryBegin and commits it (durably), or rolls back. */
  commit<T>(fn: () => T): T {
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw wrap(error);
    }
  }

  /** Runs `fn` on one consistent snapshot (a read transaction). */
  read<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec("BEGIN");
    try {
      return fn();
    } finally {
      if (this.db.isTransaction) this.db.exec("COMMIT");
    }
  }

  /** A savepoint inside the current transaction: `fn`'s changes are undone if it throws. */
  savepoint<T>(fn: () => T): T {
    this.db.exec("SAVEPOINT one");
    try {
      const result = fn();
      this.db.exec("RELEASE one");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK TO one");
      this.db.exec("RELEASE one");
      throw error;
    }
  }

  /** Changes when another connection (any process) commits to this database. */
  dataVersion(): number {
    const row = this.stmt("PRAGMA data_version").get() as { data_version: number } | undefined;
    return row?.data_version ?? 0;
  }

  close(): void {
    this.statements.clear();
    if (this.db.isOpen) this.db.close();
  }
}

/**
 * Sets the connection up. Switching a new file to WAL takes a lock for which SQLite does not call
 * the busy handler, so when two processes open the same new account at once (two MDA workers
 * delivering to a new user) one gets SQLITE_BUSY at once: it waits a little and tries again, up
 * to the busy timeout. This blocks the thread only in that rare race on a new account.
 */
function configure(db: DatabaseSync, cacheKiB: number): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      db.exec(`
        PRAGMA journal_mode = WAL;
        PRAGMA wal_autocheckpoint = 4000;
        PRAGMA synchronous = FULL;
        PRAGMA foreign_keys = OFF;
        PRAGMA temp_store = MEMORY;
        PRAGMA cache_size = -${Math.max(64, Math.floor(cacheKiB))};
        PRAGMA journal_size_limit = 67108864;
      `);
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      sleepSync(Math.min(5 * attempt, 50) + Math.random() * 5);
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SQLITE_BUSY: another connection holds the lock this one asked for. */
function isBusy(error: unknown): boolean {
  return error instanceof Error && "errcode" in error && ((error.errcode as number) & 0xff) === 5;
}

/** SQLite failures (I/O, disk full, lock timeout) become UNAVAILABLE; our own errors pass. */
function wrap(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  if (error instanceof Error && "code" in error && error.code === "ERR_SQLITE_ERROR") {
    return new StoreError("UNAVAILABLE", error.message, { cause: error });
  }
  return error;
}

export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse to fsync a directory; nothing more can be done there.
  }
}
