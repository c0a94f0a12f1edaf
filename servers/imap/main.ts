/**
 * The IMAP process: the store over IMAP4rev1/IMAP4rev2 for mail clients. With `workers` > 1
 * (the default on a machine with several CPUs) this process is the primary that forks the IMAP
 * workers (workers.ts); each worker runs this same file and serves the shared listeners.
 */
import cluster from "node:cluster";
import { runServer } from "../shared/lifecycle.ts";
import { imapConfigSchema } from "./config.ts";
import { startImapProcess } from "./process.ts";

const code = await runServer({
  name: cluster.isWorker ? "imap-worker" : "imap",
  schema: imapConfigSchema,
  start: (config, log) => startImapProcess(config, log),
});
process.exit(code);
