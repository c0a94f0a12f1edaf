/**
 * Teaching the spam service (DESIGN.md: imap -> spam): a message moved into Junk is learned as
 * spam; moved out of Junk (anywhere but Trash), as ham. The contract, for the spam service:
 *
 *   POST {spamUrl}/learn
 *   Content-Type: application/json
 *   { "user": "<account id>", "verdict": "spam" | "ham", "raw": "<the message, base64>" }
 *
 *   any 2xx: learned; anything else is logged and dropped.
 *
 * Fire and forget: the IMAP command never waits for it. Requests go out a few at a time from a
 * bounded queue, so moving ten thousand messages cannot open ten thousand connections; what
 * does not fit the queue is dropped with a warning (learning is an optimisation, not a duty).
 */
import type { Logger } from "../shared/log.ts";

export type Verdict = "spam" | "ham";

export interface SpamLearner {
  /** Queues one message; `read` is called when its turn comes. Never throws. */
  learn(user: string, verdict: Verdict, read: () => Promise<Uint8Array | undefined>): void;
  /** Resolves when the queue is empty (tests, shutdown). */
  idle(): Promise<void>;
}

export interface SpamLearnerOptions {
  /** The spam service's base URL; `/learn` is appended. */
  readonly url: string;
  readonly log: Logger;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly maxQueued?: number;
  /** Messages larger than this are not sent (filters learn from typical mail). */
  readonly maxBytes?: number;
}

interface Job {
  readonly user: string;
  readonly verdict: Verdict;
  readonly read: () => Promise<Uint8Array | undefined>;
}

export function httpSpamLearner(options: SpamLearnerOptions): SpamLearner {
  const endpoint = `${options.url.replace(/\/+$/, "")}/learn`;
  const concurrency = options.concurrency ?? 2;
  const maxQueued = options.maxQueued ?? 1000;
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const queue: Job[] = [];
  let running = 0;
  let idleWaiters: (() => void)[] = [];

  const send = async (job: Job): Promise<void> => {
    const raw = await job.read();
    if (!raw || raw.length > maxBytes) return;
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        user: job.user,
        verdict: job.verdict,
        raw: Buffer.from(raw).toString("base64"),
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    options.log.debug({ user: job.user, verdict: job.verdict, size: raw.length }, "spam learned");
  };

  const pump = (): void => {
    while (running < concurrency && queue.length > 0) {
      const job = queue.shift() as Job;
      running++;
      send(job)
        .catch((error: unknown) =>
          options.log.warn(
            { user: job.user, verdict: job.verdict, err: (error as Error).message },
            "spam learning failed",
          ),
        )
        .finally(() => {
          running--;
          pump();
        });
    }
    if (running === 0 && queue.length === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      waiters.forEach((wake) => wake());
    }
  };

  return {
    learn(user, verdict, read) {
      if (queue.length >= maxQueued) {
        options.log.warn({ user, verdict }, "spam learning queue full; message skipped");
        return;
      }
      queue.push({ user, verdict, read });
      pump();
    },
    idle() {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
