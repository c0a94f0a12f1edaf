/**
 * APPEND and delivery with group commit. Appends that arrive while the event loop is busy (the
 * MDA's concurrent LMTP sessions, an IMAP client's MULTIAPPEND) are queued and committed together
 * in one transaction: one WAL fsync makes them all durable. Each append runs in its own
 * savepoint, so one that fails (over quota, mailbox gone) fails alone.
 *
 * A large body is first written to its own file (blobs.ts), off the event loop; the append joins
 * the queue once the file is durable.
 *
 * When another process (another MDA worker, IMAP) holds the account's write lock, the batch
 * waits on the event loop, not in SQLite's busy handler: the process goes on serving its other
 * sessions and accounts meanwhile, and appends that arrive join the waiting batch.
 */
import { StoreError } from "../errors.ts";
import { splitFlags, joinKeywords } from "../flags.ts";
import { prepareMessage, type PreparedMessage } from "../prepare.ts";
import type { AppendOptions, AppendResult, InternalDate } from "../types.ts";
import { FILE_BODY_MIN_BYTES, type BlobWriter } from "./blobs.ts";
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
  /** The file holding the body, when it is kept in one. */
  readonly blob: string | undefined;
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
  blob?: string,
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
      content_id: insertContent(d, message, blob),
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
  /** Appends whose body file is being written. */
  private writing = 0;

  constructor(
    private readonly d: Database,
    /** Called after each commit, to tell this process's watchers. */
    private readonly committed: () => void,
    private readonly blobs: BlobWriter,
    private readonly fileBodyMinBytes = FILE_BODY_MIN_BYTES,
  ) {}

  append(mailbox: string | number, raw: Uint8Array, options: AppendOptions): Promise<AppendResult> {
    let message: PreparedMessage;
    try {
      // Validated and parsed before queueing, so a bad flag fails without touching the batch.
      splitFlags(options.flags ?? []);
      message = prepareMessage(raw);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const bodyStart = message.mime.bodyStart;
    if (raw.byteLength - bodyStart < this.fileBodyMinBytes) {
      return this.enqueue(mailbox, message, options, undefined);
    }
    this.writing++;
    return this.blobs.write(raw.subarray(bodyStart)).then(
      (blob) => {
        this.writing--;
        return this.enqueue(mailbox, message, options, blob);
      },
      (error: unknown) => {
        this.writing--;
        throw error;
      },
    );
  }

  private enqueue(
    mailbox: string | number,
    message: PreparedMessage,
    options: AppendOptions,
    blob: string | undefined,
  ): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ mailbox, message, options, blob, resolve, reject });
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
    return this.queue.length > 0 || this.writing > 0;
  }

  /** Commits everything queued, including appends still writing their body files. */
  async drain(): Promise<void> {
    while (this.writing > 0) await new Promise((resolve) => setTimeout(resolve, 2));
    while (this.queue.length > 0) this.flush();
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    // Take the write lock first, without blocking the process while another one commits.
    let locked: boolean;
    try {
      locked = this.d.tryBegin();
    } catch (error) {
      this.fail(this.queue.splice(0), error); // closed, I/O error
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
      this.fail(this.queue.splice(0), error);
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
              appendOne(this.d, job.mailbox, job.message, job.options, job.blob),
            );
            outcomes.push({ ok: true, value });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored, as far as SQLite could tell.
      // Body files stay in incoming/: the collector deletes them unless a row names them after
      // all (a commit record that did reach the disk).
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (job.blob !== undefined) {
        if (outcome?.ok && !outcome.value.duplicate) this.blobs.committed(job.blob);
        else this.blobs.abandoned(job.blob);
      }
      if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome?.error);
    });
    this.committed();
  }

  /** Appends that will not be stored: their body files go, their callers hear why. */
  private fail(jobs: readonly Job[], error: unknown): void {
    for (const job of jobs) {
      if (job.blob !== undefined) this.blobs.abandoned(job.blob);
      job.reject(error);
    }
  }
}
