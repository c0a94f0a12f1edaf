/**
 * APPEND and delivery with group commit. Appends that arrive while the event loop is busy (the
 * MDA's concurrent LMTP sessions, an IMAP client's MULTIAPPEND) are queued and committed together
 * in one transaction: one WAL fsync makes them all durable. Each append runs in its own
 * savepoint, so one that fails (over quota, mailbox gone) fails alone.
 *
 * When another process (another MDA worker, IMAP) holds the account's write lock, the batch
 * waits on the event loop, not in SQLite's busy handler: the process goes on serving its other
 * sessions and accounts meanwhile, and appends that arrive join the waiting batch.
 */
import { StoreError } from "../errors.ts";
import { splitFlags, joinKeywords } from "../flags.ts";
import { prepareMessage, type PreparedMessage } from "../prepare.ts";
import type { AppendOptions, AppendResult, InternalDate } from "../types.ts";
import { insertContent } from "./contents.ts";
import { BUSY_TIMEOUT_MS, type Database } from "./database.ts";
import { resolveKeywords } from "./keywords.ts";
import { requireMailbox } from "./mailboxes.ts";
import { insertMessage } from "./message-rows.ts";
import { nextModseq } from "./modseq.ts";
import { checkQuota } from "./quota.ts";

/** Bounds on one group commit, so a burst of large messages does not make one huge transaction. */
const MAX_BATCH_MESSAGES = 500;
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/**
 * While another process holds the write lock, the batch waits on the event loop (and keeps
 * growing) and tries again after this, doubling up to the max; after BUSY_TIMEOUT_MS, as long
 * as a blocking write would wait, its appends fail with UNAVAILABLE.
 */
const LOCK_RETRY_MS = 1;
const LOCK_RETRY_MAX_MS = 16;

interface Job {
  readonly mailbox: string | number;
  readonly message: PreparedMessage;
  readonly options: AppendOptions;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

export function toInternalDate(value: InternalDate | Date | undefined): InternalDate {
  if (value === undefined) value = new Date();
  if (value instanceof Date) {
    return { time: value.getTime(), zoneMinutes: -value.getTimezoneOffset() };
  }
  return value;
}

/** One append inside the batch's transaction. */
export function appendOne(
  d: Database,
  mailboxRef: string | number,
  message: PreparedMessage,
  options: AppendOptions,
): AppendResult {
  const mailbox = requireMailbox(d, mailboxRef);
  const now = Date.now();
  if (options.dedupe) {
    const { key, windowMs } = options.dedupe;
    d.stmt("DELETE FROM dedupe WHERE time < ?").run(now - windowMs);
    const seen = d
      .stmt("SELECT 1 FROM dedupe WHERE key = ? AND mailbox_id = ?")
      .get(key, mailbox.id);
    if (seen) return { duplicate: true, mailboxId: mailbox.id };
    d.stmt("INSERT OR REPLACE INTO dedupe (key, mailbox_id, time) VALUES (?, ?, ?)").run(
      key,
      mailbox.id,
      now,
    );
  }
  const size = message.raw.byteLength;
  checkQuota(d, size, 1);
  const flags = splitFlags(options.flags ?? []);
  const date = toInternalDate(options.internalDate);
  const modseq = nextModseq(d);
  const uid = insertMessage(
    d,
    mailbox.id,
    {
      flags: flags.bits,
      keywords: joinKeywords(resolveKeywords(d, flags.keywords)),
      internal_time: date.time,
      internal_zone: date.zoneMinutes,
      size,
      content_id: insertContent(d, message),
    },
    modseq,
  );
  return { duplicate: false, mailboxId: mailbox.id, uidValidity: mailbox.uidvalidity, uid, modseq };
}

export class AppendQueue {
  private queue: Job[] = [];
  private scheduled = false;
  /** Since when the batch waits for another process's write lock. */
  private lockWaitSince: number | undefined;
  private lockRetryMs = LOCK_RETRY_MS;

  constructor(
    private readonly d: Database,
    /** Called after each commit, to tell this process's watchers. */
    private readonly committed: () => void,
  ) {}

  append(mailbox: string | number, raw: Uint8Array, options: AppendOptions): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      // Validated and parsed before queueing, so a bad flag fails without touching the batch;
      // a throw here rejects the promise.
      splitFlags(options.flags ?? []);
      const message = prepareMessage(raw);
      this.queue.push({ mailbox, message, options, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the I/O events of this loop turn: every append that arrived
        // with them joins this batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Whether appends are waiting (the account stays open until they are committed). */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    // Take the write lock first, without blocking the process while another one commits.
    let locked: boolean;
    try {
      locked = this.d.tryBegin();
    } catch (error) {
      for (const job of this.queue.splice(0)) job.reject(error); // closed, I/O error
      return;
    }
    if (!locked) {
      const since = (this.lockWaitSince ??= Date.now());
      if (Date.now() - since < BUSY_TIMEOUT_MS) {
        this.scheduled = true;
        setTimeout(() => this.flush(), this.lockRetryMs);
        this.lockRetryMs = Math.min(this.lockRetryMs * 2, LOCK_RETRY_MAX_MS);
        return;
      }
      this.lockWaitSince = undefined;
      const error = new StoreError("UNAVAILABLE", `${this.d.path}: write lock busy for too long`);
      for (const job of this.queue.splice(0)) job.reject(error);
      return;
    }
    this.lockWaitSince = undefined;
    this.lockRetryMs = LOCK_RETRY_MS;
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && count < MAX_BATCH_MESSAGES && bytes < MAX_BATCH_BYTES) {
      bytes += this.queue[count]?.message.raw.byteLength ?? 0;
      count++;
    }
    const batch = this.queue.splice(0, count);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    const outcomes: ({ ok: true; value: AppendResult } | { ok: false; error: unknown })[] = [];
    try {
      this.d.commit(() => {
        for (const job of batch) {
          try {
            const value = this.d.savepoint(() =>
              appendOne(this.d, job.mailbox, job.message, job.options),
            );
            outcomes.push({ ok: true, value });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome?.error);
    });
    this.committed();
  }
}
