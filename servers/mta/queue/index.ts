/**
 * The MTA's queue as one service: opens (and locks) the spool, recovers what a previous run
 * left, delivers, and applies operators' requests. servers/mta/main.ts calls:
 *
 *   const q = await openQueue(config.queue, { log });
 *   q.start();                      // sessions then call q.queue.enqueue(...)
 *   ...
 *   await q.stop();
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createDnsResolver, type DnsResolver } from "../../shared/dns/resolver.ts";
import type { Logger } from "../../shared/log.ts";
import { createDeliverer, type Deliverer } from "../outbound/delivery.ts";
import { viewOf, type QueueEntryView } from "./admin.ts";
import type { QueueConfig } from "./config.ts";
import { drainRequests, type ControlRequest } from "./control.ts";
import { CONTROL_POLL_MS, LOCK_WAIT_MS } from "./limits.ts";
import { MessageNotFoundError, SpoolLockedError } from "./errors.ts";
import { acquireSpoolLock, type SpoolLock } from "./lock.ts";
import { QueueManager } from "./manager.ts";
import { assertQueueId, Spool } from "./spool.ts";
import type { Queue } from "./types.ts";

export type { QueueConfig } from "./config.ts";
export { defaultSpoolDir, queueConfigSchema } from "./config.ts";
export type { QueueEntryView } from "./admin.ts";
export type { EnqueueInput, Queue } from "./types.ts";

export interface QueueDeps {
  readonly log: Logger;
  /** DNS for MX lookups; default: node:dns on config.resolver.servers (or the system's). */
  readonly resolver?: DnsResolver;
  /** Replaces SMTP/LMTP delivery (tests of the scheduler alone). */
  readonly deliverer?: Deliverer;
  /** Order among equal MX preferences (tests). */
  readonly random?: () => number;
  /** How long to wait for a `mailstack queue` command holding the spool lock. Default 10 s. */
  readonly lockWaitMs?: number;
  /** Where a DSN for mail sent with this sender goes (SRS: the original sender). */
  readonly returnPath?: (from: string) => string;
}

export interface QueueService {
  readonly queue: Queue;
  /** Starts delivering (recovered messages first) and watching for operator requests. */
  start(): void;
  /** Stops delivering, closes connections, records what was answered, releases the spool. */
  stop(): Promise<void>;
  list(): QueueEntryView[];
  show(id: string): QueueEntryView;
  /** One queue id, or "all". */
  retry(id: string): Promise<number>;
  remove(id: string): Promise<void>;
}

export async function openQueue(config: QueueConfig, deps: QueueDeps): Promise<QueueService> {
  const log = deps.log.child({ component: "queue" });
  const spool = new Spool(config.spoolDir);
  await spool.init();
  const lock = await lockWithWait(config.spoolDir, deps.lockWaitMs ?? LOCK_WAIT_MS);
  let manager: QueueManager;
  try {
    const messages = await spool.recover((error) =>
      log.error({ file: error.file, err: error.message }, "corrupt spool file moved to corrupt/"),
    );
    const resolver =
      deps.resolver ??
      createDnsResolver({
        servers: config.resolver.servers,
        timeoutMs: config.resolver.timeoutMs,
        tries: config.resolver.tries,
      });
    const deliverer =
      deps.deliverer ??
      createDeliverer(config, { resolver, log, ...(deps.random ? { random: deps.random } : {}) });
    manager = new QueueManager({
      spool,
      config,
      deliverer,
      log,
      ...(deps.returnPath ? { returnPath: deps.returnPath } : {}),
    });
    manager.load(messages);
    log.info({ spool: config.spoolDir, messages: messages.length }, "queue opened");
  } catch (error) {
    await lock.release();
    throw error;
  }

  const apply = async (request: ControlRequest): Promise<void> => {
    try {
      if (request.action === "retry") {
        const n = await manager.retry(request.id);
        log.info({ request: request.id, messages: n }, "operator retry");
      } else {
        await manager.remove(request.id);
        log.info({ qid: request.id }, "operator delete");
      }
    } catch (error) {
      if (!(error instanceof MessageNotFoundError)) throw error;
      log.info({ qid: request.id }, "operator request for a message not in the queue");
    }
  };
  let poll: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  const drain = () => {
    polling = polling
      .then(() =>
        drainRequests(config.spoolDir, apply, (file) =>
          log.warn({ file }, "malformed operator request ignored"),
        ),
      )
      .catch((error: unknown) => log.error({ err: error }, "operator requests failed"));
  };

  const find = (id: string) => {
    assertQueueId(id);
    const found = manager.snapshot().find((m) => m.envelope.id === id);
    if (!found) throw new MessageNotFoundError(id);
    return viewOf(found.envelope, found.state);
  };

  return {
    queue: { enqueue: (input) => manager.enqueue(input) },
    start() {
      manager.start();
      drain();
      poll = setInterval(drain, CONTROL_POLL_MS);
      poll.unref();
    },
    async stop() {
      if (poll) clearInterval(poll);
      await polling;
      await manager.stop();
      await lock.release();
      log.info("queue stopped");
    },
    list: () =>
      manager
        .snapshot()
        .map((m) => viewOf(m.envelope, m.state))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    show: find,
    retry: (id) => {
      if (id !== "all") assertQueueId(id);
      return manager.retry(id);
    },
    remove: (id) => {
      assertQueueId(id);
      return manager.remove(id);
    },
  };
}

/** The spool lock; a `mailstack queue` command may hold it for a moment, so wait a little. */
async function lockWithWait(spoolDir: string, waitMs: number): Promise<SpoolLock> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await acquireSpoolLock(spoolDir);
    } catch (error) {
      if (!(error instanceof SpoolLockedError) || Date.now() >= deadline) throw error;
      await sleep(100);
    }
  }
}
