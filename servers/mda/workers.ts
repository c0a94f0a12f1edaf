/**
 * The MDA as several LMTP worker processes (node:cluster) behind the same listeners.
 *
 * Why: the store commits on the thread that calls it (node:sqlite is synchronous) and group
 * commit only batches appends to one account, so one process delivering to 20 mailboxes fsyncs
 * 20 times in a row while nothing else runs. Worker processes parse, fsync and answer in
 * parallel, and use every CPU. The store already allows several processes to write one data
 * directory (SQLite WAL, BEGIN IMMEDIATE with a busy timeout), as the MDA, IMAP and POP3 do.
 *
 * The primary opens no store and no directory: it forks the workers, reports ready once each of
 * them listens, restarts a worker that dies (with a backoff when it keeps dying), and on stop
 * sends SIGTERM to every worker, which finishes its sessions as a single-process MDA would.
 * Every reply of 250 still comes from the worker that committed the message.
 */
import cluster, { type Worker } from "node:cluster";
import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Endpoint, ReadyMessage, RunningServer } from "../shared/lifecycle.ts";
import type { Logger } from "../shared/log.ts";
import type { MdaConfig } from "./config.ts";
import { CLOSE_TIMEOUT_MS } from "./limits.ts";

/** A worker that dies sooner than this after it started listening counts as crash-looping. */
const HEALTHY_UPTIME_MS = 10_000;
/** First wait before restarting a crash-looping worker; doubles up to RESTART_MAX_DELAY_MS. */
const RESTART_DELAY_MS = 200;
const RESTART_MAX_DELAY_MS = 10_000;
/** How long the workers get to finish open sessions after SIGTERM before they are killed. */
const STOP_TIMEOUT_MS = CLOSE_TIMEOUT_MS + 5_000;
/** How long a worker may take to start listening. */
const START_TIMEOUT_MS = 60_000;

/** How many LMTP processes the config asks for: `workers`, else one per CPU. */
export function workerCount(config: Pick<MdaConfig, "workers">): number {
  return config.workers ?? availableParallelism();
}

function isReady(message: unknown): message is ReadyMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "ready"
  );
}

/** Forks `count` workers running this same main.ts and resolves when all of them listen. */
export async function startWorkers(
  config: MdaConfig,
  count: number,
  log: Logger,
): Promise<RunningServer> {
  // The primary binds each listener once for all workers; a socket file left by a killed MDA is
  // removed here, never by a worker (it would unlink the socket its siblings listen on).
  for (const listener of config.listen) {
    if (listener.kind === "unix") await rm(listener.path, { force: true });
  }
  // Round robin: the primary accepts and hands each connection to the next worker, so load
  // spreads evenly (the kernel, left to itself, tends to wake the same process every time).
  cluster.schedulingPolicy = cluster.SCHED_RR;

  let stopping = false;
  let endpoints: readonly Endpoint[] | undefined;
  let restartDelay = RESTART_DELAY_MS;
  const workers = new Set<Worker>();
  const timers = new Set<NodeJS.Timeout>();

  let started = false;
  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      workers.add(worker);
      let listeningSince: number | undefined;
      const timer = setTimeout(() => {
        reject(new Error(`worker ${worker.id} did not listen within ${START_TIMEOUT_MS} ms`));
        worker.process.kill("SIGKILL");
      }, START_TIMEOUT_MS);
      worker.on("message", (message: unknown) => {
        if (!isReady(message) || listeningSince !== undefined) return;
        clearTimeout(timer);
        listeningSince = Date.now();
        endpoints ??= message.endpoints;
        log.info({ worker: worker.id, pid: worker.process.pid }, "worker listening");
        resolve();
      });
      worker.on("exit", (code, signal) => {
        clearTimeout(timer);
        workers.delete(worker);
        if (stopping) return;
        if (!started) {
          // At start, a worker that cannot listen (bad port, bad data directory) fails the MDA.
          reject(new Error(`LMTP worker ${worker.id} exited (${signal ?? code}) before listening`));
          return;
        }
        const uptime = listeningSince === undefined ? 0 : Date.now() - listeningSince;
        if (uptime >= HEALTHY_UPTIME_MS) restartDelay = RESTART_DELAY_MS;
        log.error(
          { worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: restartDelay },
          "LMTP worker died; starting another",
        );
        const restart = setTimeout(() => {
          timers.delete(restart);
          if (!stopping) fork().catch((error: unknown) => log.error({ err: error }, "restart"));
        }, restartDelay);
        timers.add(restart);
        restartDelay = Math.min(restartDelay * 2, RESTART_MAX_DELAY_MS);
      });
    });

  const stop = async (): Promise<void> => {
    stopping = true;
    for (const timer of timers) clearTimeout(timer);
    const running = [...workers].filter((w) => w.process.exitCode === null);
    const exited = running.map(
      (w) => new Promise<void>((resolve) => w.process.once("exit", () => resolve())),
    );
    for (const worker of running) worker.process.kill("SIGTERM");
    const kill = setTimeout(() => {
      for (const worker of running) worker.process.kill("SIGKILL");
    }, STOP_TIMEOUT_MS);
    await Promise.all(exited);
    clearTimeout(kill);
  };

  try {
    await Promise.all(Array.from({ length: count }, () => fork()));
  } catch (error) {
    await stop();
    throw error;
  }
  started = true;
  log.info({ workers: count }, "LMTP workers listening");
  return { endpoints: endpoints ?? [], stop };
}
