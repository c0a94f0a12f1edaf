/**
 * Several serving processes on one port (node:cluster), for `workers` > 1: the classifier and
 * mailauth's crypto are CPU work, and one Node process uses one core. The primary opens the
 * database once (so the schema is migrated before anyone serves), forks the workers, and
 * reports ready when all of them are; it stops them on stop(). Workers run main.ts again and
 * serve with startSpamService; SQLite in WAL mode lets them share the database.
 */
import cluster, { type Worker } from "node:cluster";
import { once } from "node:events";
import type { Endpoint, ReadyMessage, RunningServer } from "../shared/lifecycle.ts";
import type { Logger } from "../shared/log.ts";
import type { SpamConfig } from "./config.ts";
import { openDatabase } from "./database.ts";

const READY_TIMEOUT_MS = 30_000;

export async function startWorkers(config: SpamConfig, log: Logger): Promise<RunningServer> {
  openDatabase(config.dataDir).close();
  const workers: Worker[] = [];
  let stopping = false;
  const ready = (worker: Worker): Promise<readonly Endpoint[]> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("a worker did not start in time")),
        READY_TIMEOUT_MS,
      );
      worker.on("message", (message: ReadyMessage) => {
        if (message.type !== "ready") return;
        clearTimeout(timer);
        resolve(message.endpoints);
      });
      worker.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`a worker exited with ${code} while starting`));
      });
    });
  const fork = (): Promise<readonly Endpoint[]> => {
    const worker = cluster.fork();
    workers.push(worker);
    worker.once("exit", (code, signal) => {
      workers.splice(workers.indexOf(worker), 1);
      if (stopping) return;
      log.error({ code, signal }, "worker died; starting another");
      fork().catch((error: unknown) => log.error({ err: error }, "could not restart a worker"));
    });
    return ready(worker);
  };
  let endpoints: readonly Endpoint[];
  try {
    endpoints = (await Promise.all(Array.from({ length: config.workers }, fork)))[0] ?? [];
  } catch (error) {
    stopping = true;
    for (const w of workers) w.kill("SIGKILL");
    throw error;
  }
  log.info({ workers: config.workers }, "workers ready");
  return {
    endpoints,
    async stop() {
      stopping = true;
      await Promise.all(
        [...workers].map(async (w) => {
          const exited = once(w, "exit");
          w.process.kill("SIGTERM");
          await exited;
        }),
      );
    },
  };
}
