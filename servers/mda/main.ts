/**
 * The MDA process: LMTP delivery into the store. With `workers` > 1 (the default on a machine
 * with several CPUs) this process is the primary that forks the LMTP workers (../shared/workers.ts), and
 * each worker runs this same file and serves the shared listeners.
 */
import cluster from "node:cluster";
import { openDirectory } from "../shared/directory/open.ts";
import { runServer } from "../shared/lifecycle.ts";
import { startWorkers, workerCount } from "../shared/workers.ts";
import { openMailStore } from "../store/index.ts";
import { mdaConfigSchema } from "./config.ts";
import { CLOSE_TIMEOUT_MS, STORE_CACHE_KIB } from "./limits.ts";
import { startMda } from "./server.ts";

const code = await runServer({
  name: "mda",
  schema: mdaConfigSchema,
  async start(config, parentLog) {
    const count = workerCount(config.workers);
    if (cluster.isPrimary && count > 1) {
      return startWorkers({
        name: "LMTP",
        count,
        log: parentLog,
        unixSockets: config.listen.flatMap((l) => (l.kind === "unix" ? [l.path] : [])),
        stopTimeoutMs: CLOSE_TIMEOUT_MS + 5_000,
      });
    }
    const log = cluster.isWorker
      ? parentLog.child({ worker: cluster.worker?.id, pid: process.pid })
      : parentLog;
    const directory = await openDirectory(config.directory, config.domains, log);
    const store = openMailStore({ dataDir: config.dataDir, cacheKiB: STORE_CACHE_KIB });
    // In a worker the primary owns the listening sockets: a worker must not unlink them.
    const server = await startMda(
      config,
      { directory, store, log },
      {
        removeStaleSockets: !cluster.isWorker,
      },
    );
    return {
      endpoints: server.endpoints,
      async stop() {
        await server.stop();
        await store.close();
        await directory.close();
      },
    };
  },
});
process.exit(code);
