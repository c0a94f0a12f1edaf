/**
 * The scheduler: keeps every queued message's state in memory (the spool has the truth), runs
 * due messages with bounded concurrency, and after each destination's answer writes the new
 * state at once, so the window in which a delivered recipient is still recorded as pending is
 * one state write long (see README: the duplicate window).
 *
 * A round for a message: its due recipients grouped by destination (each local recipient to
 * LMTP, each remote domain to its MX), delivered in parallel under the per-destination throttle;
 * then the DSN it owes (notices.ts); then removal when every recipient is final.
 */
import type { Logger } from "../../shared/log.ts";
import type { Deliverer } from "../outbound/delivery.ts";
import type { QueueConfig } from "./config.ts";
import { logDelivery } from "./delivery-log.ts";
import { dueByDestination } from "./destinations.ts";
import { ERROR_RETRY_MS, MAX_SLEEP_MS } from "./limits.ts";
import { buildEnvelope } from "./envelope.ts";
import { MessageNotFoundError, QueueClosedError } from "./errors.ts";
import { markNoticesSent, noticeMessage, pendingNotice } from "./notices.ts";
import type { MessageState, StoredEnvelope } from "./records.ts";
import { applyOutcome, initialState, isDone, nextDueAt, retryNow } from "./recipient-state.ts";
import { Schedule } from "./schedule.ts";
import { newQueueId, noticeQueueId, type Spool, type SpooledMessage } from "./spool.ts";
import { DestinationThrottle } from "./throttle.ts";
import type { EnqueueInput } from "./types.ts";

interface Entry {
  envelope: StoredEnvelope;
  state: MessageState;
  running: boolean;
  /** Why it must leave the queue without further work (operator delete, file gone). */
  deleted: string | undefined;
  /** State writes of this message, one after the other. */
  writes: Promise<void>;
}

export interface ManagerDeps {
  readonly spool: Spool;
  readonly config: QueueConfig;
  readonly deliverer: Deliverer;
  readonly log: Logger;
  readonly clock?: () => number;
  /** Where a DSN for mail sent with this sender goes (SRS: the original sender). */
  readonly returnPath?: (from: string) => string;
}

export class QueueManager {
  private readonly entries = new Map<string, Entry>();
  private readonly schedule = new Schedule();
  private readonly throttle: DestinationThrottle;
  private readonly rounds = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly clock: () => number;
  private readonly localDomains: ReadonlySet<string>;
  private timer: NodeJS.Timeout | undefined;
  private active = 0;
  private started = false;
  private closed = false;

  constructor(private readonly deps: ManagerDeps) {
    this.throttle = new DestinationThrottle(deps.config.perDestinationConcurrency);
    this.clock = deps.clock ?? Date.now;
    this.localDomains = new Set((deps.config.local?.domains ?? []).map((d) => d.toLowerCase()));
  }

  /** Takes over the messages found by recovery. */
  load(messages: readonly SpooledMessage[]): void {
    for (const m of messages) this.track(m.envelope, m.state);
  }

  /** Stores the message durably (fsync) and schedules it; resolves to its queue id. */
  async enqueue(input: EnqueueInput): Promise<string> {
    if (this.closed) throw new QueueClosedError();
    return this.store(input, newQueueId(this.clock()), false);
  }

  /** Writes a message under `id` (exclusive: EEXIST when it is already there) and tracks it. */
  private async store(input: EnqueueInput, id: string, exclusive: boolean): Promise<string> {
    const envelope = buildEnvelope(id, input, this.clock());
    await this.deps.spool.writeMessage(envelope, input.raw, { exclusive });
    this.deps.log.info(
      {
        qid: id,
        from: envelope.from === "" ? "<>" : envelope.from,
        nrcpt: envelope.recipients.length,
        size: envelope.size,
        origin: envelope.origin.kind,
        ...(envelope.origin.user ? { user: envelope.origin.user } : {}),
      },
      "queued",
    );
    this.track(envelope, initialState(envelope));
    return id;
  }

  start(): void {
    if (this.closed) throw new QueueClosedError();
    this.started = true;
    this.pump();
  }

  /** Stops scheduling, closes open connections, waits for the rounds in flight to record. */
  async stop(): Promise<void> {
    this.closed = true;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    while (this.rounds.size > 0) await Promise.allSettled([...this.rounds]);
  }

  /** Makes pending recipients due now: one message, or all. Resolves to how many messages. */
  async retry(id: string): Promise<number> {
    const ids = id === "all" ? [...this.entries.keys()] : [id];
    let count = 0;
    for (const qid of ids) {
      const entry = this.entries.get(qid);
      if (!entry) throw new MessageNotFoundError(qid);
      entry.state = retryNow(entry.state, this.clock());
      await this.persist(qid, entry);
      if (!entry.running) this.schedule.set(qid, this.clock());
      count++;
    }
    this.pump();
    return count;
  }

  /** Deletes a message without any DSN (operator action); waits for a round in flight. */
  async remove(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) throw new MessageNotFoundError(id);
    entry.deleted = "deleted by the operator";
    if (!entry.running) await this.drop(id, entry, entry.deleted);
  }

  /** The in-memory view, for list/show. */
  snapshot(): { envelope: StoredEnvelope; state: MessageState }[] {
    return [...this.entries.values()].map((e) => ({ envelope: e.envelope, state: e.state }));
  }

  private track(envelope: StoredEnvelope, state: MessageState): void {
    this.entries.set(envelope.id, {
      envelope,
      state,
      running: false,
      deleted: undefined,
      writes: Promise.resolve(),
    });
    this.schedule.set(envelope.id, nextDueAt(state, this.clock()) ?? this.clock());
    this.pump();
  }

  /** Starts due rounds up to the concurrency limit, then sleeps until the next due time. */
  private pump(): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.active < this.deps.config.concurrency) {
      const id = this.schedule.takeDue(this.clock());
      if (id === undefined) break;
      const entry = this.entries.get(id);
      if (!entry || entry.running) continue;
      const round = this.round(id, entry);
      this.rounds.add(round);
      void round.finally(() => this.rounds.delete(round));
    }
    const next = this.schedule.peek();
    if (next !== undefined && this.active < this.deps.config.concurrency) {
      const wait = Math.min(Math.max(next - this.clock(), 0), MAX_SLEEP_MS);
      this.timer = setTimeout(() => this.pump(), wait);
      this.timer.unref();
    }
  }

  private async round(id: string, entry: Entry): Promise<void> {
    try {
      await this.roundOf(id, entry);
    } catch (error) {
      this.deps.log.error({ qid: id, err: error }, "queue bookkeeping failed");
      if (!this.closed) this.schedule.set(id, this.clock() + ERROR_RETRY_MS);
    }
    this.pump();
  }

  private async roundOf(id: string, entry: Entry): Promise<void> {
    entry.running = true;
    this.active++;
    let retryAt: number | undefined;
    try {
      await this.deliverDue(id, entry);
      if (!this.abort.signal.aborted && !entry.deleted) await this.sendNotices(id, entry);
    } catch (error) {
      if (error instanceof MessageNotFoundError) entry.deleted = "message file gone";
      else {
        this.deps.log.error({ qid: id, err: error }, "queue round failed");
        retryAt = this.clock() + ERROR_RETRY_MS;
      }
    } finally {
      this.active--;
      entry.running = false;
    }
    if (entry.deleted) await this.drop(id, entry, entry.deleted);
    else if (isDone(entry.state)) await this.drop(id, entry, "done");
    else if (!this.closed) {
      const next = nextDueAt(entry.state, this.clock());
      this.schedule.set(id, retryAt ?? next ?? this.clock());
    }
  }

  private async deliverDue(id: string, entry: Entry): Promise<void> {
    const due = dueByDestination(entry.envelope, entry.state, this.clock(), this.localDomains);
    if (due.length === 0) return;
    const { raw } = await this.deps.spool.readMessage(id);
    await Promise.all(
      due.map(async (group) => {
        const release = await this.throttle.acquire(group.key);
        let outcomes;
        try {
          if (this.abort.signal.aborted) return;
          outcomes = await this.deps.deliverer.deliver({
            envelope: entry.envelope,
            raw,
            recipients: group.indexes.map((index) => ({
              index,
              recipient: entry.envelope.recipients[index]!,
            })),
            destination: group.destination,
            signal: this.abort.signal,
          });
        } finally {
          release();
        }
        if (outcomes.size === 0) return;
        const at = this.clock();
        const policy = this.deps.config;
        const recipients = [...entry.state.recipients];
        for (const [index, outcome] of outcomes) {
          const recipient = entry.envelope.recipients[index]!;
          const next = applyOutcome(recipient, recipients[index]!, outcome, {
            now: at,
            envelope: entry.envelope,
            policy,
          });
          recipients[index] = next;
          const { from, arrivedAt } = entry.envelope;
          logDelivery(this.deps.log, {
            qid: id,
            from,
            to: recipient.address,
            arrivedAt,
            now: at,
            state: next,
          });
          if (from === "" && (next.status === "failed" || next.status === "expired")) {
            // RFC 5321 §4.5.5: a failure of a message with the null sender (a bounce) is not
            // reported to anyone; this line is the only trace of it.
            this.deps.log.warn({ qid: id, to: recipient.address }, "undeliverable bounce dropped");
          }
        }
        entry.state = { ...entry.state, recipients };
        await this.persist(id, entry);
      }),
    );
  }

  private async sendNotices(id: string, entry: Entry): Promise<void> {
    const notice = pendingNotice(entry.envelope, entry.state, this.deps.config);
    if (!notice) return;
    const now = this.clock();
    const { raw } = await this.deps.spool.readMessage(id);
    const dsnId = noticeQueueId(id, entry.state.noticeSeq);
    const to = this.deps.returnPath?.(entry.envelope.from) ?? entry.envelope.from;
    const envelope = { ...entry.envelope, from: to };
    const message = noticeMessage(id, envelope, notice, raw, this.deps.config, now);
    try {
      const dsn: EnqueueInput = {
        from: "",
        recipients: [{ address: to }],
        raw: message,
        origin: { kind: "bounce" },
      };
      await this.store(dsn, dsnId, true);
    } catch (error) {
      // Already there: a crash came between enqueueing it and recording it. Sent once.
      if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error;
    }
    this.deps.log.info(
      {
        qid: id,
        dsn: dsnId,
        to,
        actions: notice.recipients.map((r) => r.action),
      },
      "DSN queued",
    );
    entry.state = markNoticesSent(entry.state);
    await this.persist(id, entry);
  }

  private persist(id: string, entry: Entry): Promise<void> {
    const write = entry.writes.then(() => this.deps.spool.writeState(id, entry.state));
    entry.writes = write.catch(() => undefined);
    return write;
  }

  private async drop(id: string, entry: Entry, reason: string): Promise<void> {
    await entry.writes;
    await this.deps.spool.remove(id);
    this.entries.delete(id);
    this.schedule.delete(id);
    this.deps.log.info({ qid: id, reason }, "removed");
  }
}
