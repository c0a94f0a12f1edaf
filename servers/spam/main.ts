/** The spam service process: runServer, then one server or a primary with workers (workers.ts). */
import cluster from "node:cluster";
import { runServer } from "../shared/lifecycle.ts";
import { spamConfigSchema } from "./config.ts";
import { startSpamService } from "./service.ts";
import { startWorkers } from "./workers.ts";

const code = await runServer({
  name: cluster.isWorker ? "spam-worker" : "spam",
  schema: spamConfigSchema,
  start(config, log) {
    if (cluster.isPrimary && config.workers > 1) return startWorkers(config, log);
    return startSpamService(config, log);
  },
});
process.exit(code);
