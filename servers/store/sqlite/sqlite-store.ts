/**
 * The embedded MailStore: one SQLite database per user under `<dataDir>/mail/`, shared by the
 * MDA, IMAP and POP3 processes. Within a process an account's database is opened once and shared
 * by every handle; it stays open a while after the last handle closes, since the MDA opens and
 * closes accounts per delivery.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Account, MailStore, OpenAccountOptions } from "../types.ts";
import { settle } from "./settle.ts";
import { SqliteAccount } from "./account.ts";
import { AccountCore } from "./account-core.ts";
import { accountPath } from "./database.ts";
import { quotaDiffers, setQuota } from "./quota.ts";

export interface SqliteStoreOptions {
  /** The shared data directory; mail lives under `<dataDir>/mail/`. */
  readonly dataDir: string;
  /** How long an account without handles stays open, in milliseconds. Default 30 s. */
  readonly idleCloseMs?: number;
  /** Change-notification poll interval in milliseconds. Default 200. */
  readonly pollIntervalMs?: number;
  /**
   * SQLite page cache per open account, in KiB. Default 16,000 (IMAP sessions re-read listings
   * and search columns); a process that only delivers needs far less.
   */
  readonly cacheKiB?: number;
  /** Message bodies from this many bytes on are kept in files of their own. Default 256 KiB. */
  readonly fileBodyMinBytes?: number;
}

export class SqliteMailStore implements MailStore {
  private readonly cores = new Map<string, AccountCore>();
  private closed = false;

  constructor(private readonly options: SqliteStoreOptions) {}

  openAccount(userId: string, options: OpenAccountOptions = {}): Promise<Account> {
    return settle(() => {
      if (this.closed) throw new Error("the store is closed");
      let core = this.cores.get(userId);
      if (!core) {
        core = new AccountCore(
          userId,
          accountPath(this.options.dataDir, userId),
          this.options.pollIntervalMs,
          this.options.cacheKiB,
          this.options.fileBodyMinBytes,
        );
        this.cores.set(userId, core);
      }
      clearTimeout(core.idleTimer);
      core.handles++;
      const quota = options.quota;
      if (quota && quotaDiffers(core.d, quota)) core.write(() => setQuota(core.d, quota));
      const opened = core;
      return new SqliteAccount(opened, () => this.release(opened));
    });
  }

  private release(core: AccountCore): void {
    core.handles--;
    if (core.handles > 0) return;
    clearTimeout(core.idleTimer);
    core.idleTimer = setTimeout(() => this.closeIfIdle(core), this.options.idleCloseMs ?? 30_000);
    core.idleTimer.unref();
  }

  private closeIfIdle(core: AccountCore): void {
    if (core.handles > 0) return;
    if (core.appends.pending) {
      core.idleTimer = setTimeout(() => this.closeIfIdle(core), 100);
      core.idleTimer.unref();
      return;
    }
    if (this.cores.get(core.userId) === core) this.cores.delete(core.userId);
    core.close();
  }

  async listAccounts(): Promise<string[]> {
    const root = join(this.options.dataDir, "mail");
    const users: string[] = [];
    for (const shard of await readdir(root).catch(() => [])) {
      for (const hash of await readdir(join(root, shard)).catch(() => [])) {
        const path = join(root, shard, hash, "index.sqlite");
        try {
          const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
          try {
            const row = db.prepare("SELECT user_id FROM account").get() as
              { user_id: string } | undefined;
            if (row) users.push(row.user_id);
          } finally {
            db.close();
          }
        } catch {
          // Not an account database (or not readable): skip it.
        }
      }
    }
    return users.sort();
  }

  /** Commits what is queued and closes every database. Open handles become unusable. */
  async close(): Promise<void> {
    this.closed = true;
    const cores = [...this.cores.values()];
    this.cores.clear();
    for (const core of cores) {
      await core.appends.drain();
      core.close();
    }
  }
}
