/**
 * One user's open database in this process, shared by every handle (IMAP sessions, deliveries)
 * that opened the account: one connection, one group-commit queue, one change notifier.
 */
import { StoreError } from "../errors.ts";
import { AppendQueue } from "./append.ts";
import { BlobWriter, collectBlobs } from "./blobs.ts";
import { dirname } from "node:path";
import { Database, syncDirectory, type Durability } from "./database.ts";
import { createDefaultMailboxes } from "./mailboxes.ts";
import { Notifier } from "./notify.ts";
import { SCHEMA_VERSION, migrate } from "./schema.ts";

/** How often an open account's body files are collected (see blobs.ts). */
const COLLECT_INTERVAL_MS = 60_000;

export class AccountCore {
  readonly d: Database;
  readonly appends: AppendQueue;
  readonly notifier: Notifier;
  private readonly collector: NodeJS.Timeout;
  /** Open handles; the store closes the core some time after this drops to zero. */
  handles = 0;
  idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly userId: string,
    path: string,
    pollIntervalMs?: number,
    cacheKiB?: number,
    fileBodyMinBytes?: number,
  ) {
    this.d = new Database(path, cacheKiB);
    try {
      this.initialize(path);
    } catch (error) {
      this.d.close();
      throw error;
    }
    this.notifier = new Notifier(this.d, pollIntervalMs);
    this.appends = new AppendQueue(
      this.d,
      () => this.notifier.changed(),
      new BlobWriter(dirname(path)),
      fileBodyMinBytes,
    );
    // Released and abandoned body files are deleted now and then while the account is open.
    this.collect();
    this.collector = setInterval(() => this.collect(), COLLECT_INTERVAL_MS);
    this.collector.unref();
  }

  private collect(): void {
    // A failure (disk, lock held for long) only postpones the cleanup to the next round.
    collectBlobs(this.d).catch(() => undefined);
  }

  private initialize(path: string): void {
    const version = this.d.db.prepare("PRAGMA user_version").get() as { user_version: number };
    if (version.user_version === 0) {
      // Two processes may open a new account at once: the schema check repeats inside the
      // write lock, and only the first creates the tables, the account row and the mailboxes.
      const created = this.d.write(() => {
        if (!migrate(this.d.db)) return false;
        const now = Date.now();
        this.d
          .stmt(
            `INSERT INTO account (id, user_id, modseq, next_uidvalidity, created)
             VALUES (1, ?, 0, ?, ?)`,
          )
          .run(this.userId, Math.floor(now / 1000), now);
        createDefaultMailboxes(this.d);
        return true;
      });
      // The database and WAL files are new: their directory entries must reach the disk too.
      if (created) syncDirectory(dirname(path));
    } else if (version.user_version < SCHEMA_VERSION) {
      this.d.write(() => migrate(this.d.db));
    }
    const row = this.d.stmt("SELECT user_id FROM account").get() as { user_id: string } | undefined;
    if (row?.user_id !== this.userId) {
      throw new StoreError("UNAVAILABLE", `${this.d.path} belongs to another account`);
    }
  }

  /** A write transaction; this process's watchers hear of it afterwards. */
  write<T>(fn: () => T, durability?: Durability): T {
    const result = this.d.write(fn, durability);
    this.notifier.changed();
    return result;
  }

  close(): void {
    clearTimeout(this.idleTimer);
    clearInterval(this.collector);
    this.notifier.stop();
    this.d.close();
  }
}
