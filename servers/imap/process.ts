/**
 * What an IMAP process runs, for main.ts and the benchmark server (bench/serve.ts): with
 * `workers` > 1, in the cluster primary, the worker pool (workers.ts); otherwise, in a worker or
 * alone, the directory, the store, the spam learner and the listeners (server.ts).
 */
import cluster from "node:cluster";
import { openDirectory } from "../shared/directory/open.ts";
import type { ThrottleOptions } from "../shared/directory/throttle.ts";
import type { Directory } from "../shared/directory/types.ts";
import type { RunningServer } from "../shared/lifecycle.ts";
import type { Logger } from "../shared/log.ts";
import { workerCount } from "../shared/workers.ts";
import { openMailStore } from "../store/index.ts";
import type { ImapConfig } from "./config.ts";
import { startImap } from "./server.ts";
import { httpSpamLearner } from "./spam-learn.ts";
import { startImapWorkers, workerShared } from "./workers.ts";

export interface ImapProcessOptions {
  /** Opens the directory (default: openDirectory with the config's backend). */
  readonly openDirectory?: () => Promise<Directory>;
  /** The primary's shared login throttle (default: the directory's defaults). */
  readonly throttle?: ThrottleOptions;
}

export async function startImapProcess(
  config: ImapConfig,
  parentLog: Logger,
  options: ImapProcessOptions = {},
): Promise<RunningServer> {
  const count = workerCount(config.workers);
  if (cluster.isPrimary && count > 1) {
    return startImapWorkers(config, count, parentLog, options.throttle);
  }
  const log = cluster.isWorker
    ? parentLog.child({ worker: cluster.worker?.id, pid: process.pid })
    : parentLog;
  const opened = await (options.openDirectory?.() ??
    openDirectory(config.directory, config.domains, log));
  const shared = cluster.isWorker ? workerShared(opened) : undefined;
  const store = openMailStore({ dataDir: config.dataDir });
  const spam = config.spamUrl
    ? httpSpamLearner({ url: config.spamUrl, log: log.child({ part: "spam-learn" }) })
    : undefined;
  let server: RunningServer;
  try {
    server = await startImap(config, {
      directory: shared?.directory ?? opened,
      store,
      log,
      spam,
      connectionLimit: shared?.connectionLimit,
    });
  } catch (error) {
    await store.close();
    await opened.close();
    throw error;
  }
  return {
    endpoints: server.endpoints,
    async stop() {
      await server.stop();
      // Learning is best effort: do not hold the shutdown for a slow spam service.
      await Promise.race([
        spam?.idle(),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
      await store.close();
      await opened.close();
    },
  };
}
