/**
 * A server as several worker processes (node:cluster) behind the same listeners: the MDA's LMTP
 * and IMAP use it.
 *
 * Why: node:sqlite is synchronous, so the store's reads and commits run on the thread that calls
 * them, and one Node process uses one core for the protocol and the store together. Worker
 * processes parse, read, fsync and answer in parallel. The store already allows several
 * processes on one data directory (SQLite WAL, BEGIN IMMEDIATE with a busy timeout, change
 * notification by data_version polling).
 *
 * The primary opens no store and no directory: it forks the workers (each runs the server's
 * main.ts again and serves the shared listeners), reports ready once each of them listens,
 * restarts a worker that dies (with a backoff when it keeps dying), and on stop sends SIGTERM to
 * every worker, which finishes its sessions as a single-process server would. A server can run
 * services for its workers in the primary (`onMessage`, `onExit`; see worker-ipc.ts).
 */
import cluster, { type Worker } from "node:cluster";
import { rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Endpoint, ReadyMessage, RunningServer } from "./lifecycle.ts";
import type { Logger } from "./log.ts";

/** A worker that dies sooner than this after it started listening counts as crash-looping. */
const HEALTHY_UPTIME_MS = 10_000;
/** First wait before restarting a crash-looping worker; doubles up to RESTART_MAX_DELAY_MS. */
const RESTART_DELAY_MS = 200;
const RESTART_MAX_DELAY_MS = 10_000;
/** How long a worker may take to start listening. */
const START_TIMEOUT_MS = 60_000;

/** How many worker processes a `workers` setting asks for: the setting, else one per CPU. */
export function workerCount(setting: number | undefined): number {
  return setting ?? availableParallelism();
}

export interface WorkerPoolOptions {
  /** The protocol, in log lines: "LMTP", "IMAP". */
  readonly name: string;
  readonly count: number;
  readonly log: Logger;
  /**
   * Unix socket files to remove before the workers listen (left by a killed server). The primary
   * does it, never a worker: it would unlink the socket its siblings listen on.
   */
  readonly unixSockets?: readonly string[];
  /** How long the workers get to finish open sessions after SIGTERM before they are killed. */
  readonly stopTimeoutMs: number;
  /** A message from a worker other than its ready message (services the primary runs). */
  readonly onMessage?: (worker: Worker, message: unknown) => void;
  /** A worker exited (whatever it held in the primary's services is released here). */
  readonly onExit?: (worker: Worker) => void;
}

function isReady(message: unknown): message is ReadyMessage {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "ready"
  );
}

/** Forks `count` workers running this same main.ts and resolves when all of them listen. */
export async function startWorkers(options: WorkerPoolOptions): Promise<RunningServer> {
  const { name, count, log } = options;
  for (const path of options.unixSockets ?? []) await rm(path, { force: true });
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
        if (!isReady(message)) {
          options.onMessage?.(worker, message);
          return;
        }
        if (listeningSince !== undefined) return;
        clearTimeout(timer);
        listeningSince = Date.now();
        endpoints ??= message.endpoints;
        log.info({ worker: worker.id, pid: worker.process.pid }, "worker listening");
        resolve();
      });
      worker.on("exit", (code, signal) => {
        clearTimeout(timer);
        workers.delete(worker);
        options.onExit?.(worker);
        if (stopping) return;
        if (!started) {
          // At start, a worker that cannot listen (bad port, bad data directory) fails the server.
          reject(
            new Error(`${name} worker ${worker.id} exited (${signal ?? code}) before listening`),
          );
          return;
        }
        const uptime = listeningSince === undefined ? 0 : Date.now() - listeningSince;
        if (uptime >= HEALTHY_UPTIME_MS) restartDelay = RESTART_DELAY_MS;
        log.error(
          { worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: restartDelay },
          `${name} worker died; starting another`,
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
    }, options.stopTimeoutMs);
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
  log.info({ workers: count }, `${name} workers listening`);
  return { endpoints: endpoints ?? [], stop };
}
