/**
 * A throwaway IMAP server on a plain loopback port with plaintext login, for measuring
 * instruments that are not part of the repository (Dovecot's imaptest) and for benchmarks.
 * Users `user1@example.test` .. `userN@example.test`, password "pass". With `--workers N`
 * (default: one per CPU, as the IMAP server's config) it is a cluster primary with N workers,
 * as servers/imap/main.ts runs; `--workers 1` serves in this one process.
 *
 *   npx tsx servers/imap/bench/serve.ts [--port 14300] [--users 10] [--dir DIR] [--workers N]
 */
import cluster from "node:cluster";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openFileDirectory } from "../../shared/directory/file-directory.ts";
import { hashPassword } from "../../shared/directory/passwords.ts";
import type { ReadyMessage } from "../../shared/lifecycle.ts";
import { createLogger } from "../../shared/log.ts";
import { imapConfigSchema } from "../config.ts";
import { startImapProcess } from "../process.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "14300" },
    users: { type: "string", default: "10" },
    dir: { type: "string" },
    workers: { type: "string" },
  },
});
// Workers run this file again with the same arguments: the primary picks the directory.
if (cluster.isPrimary && values.dir === undefined) {
  values.dir = await mkdtemp(join(tmpdir(), "mailstack-imap-serve-"));
  process.argv.push("--dir", values.dir);
}
const dir = values.dir ?? "";
const directoryPath = join(dir, "directory.json");
if (cluster.isPrimary) {
  await mkdir(dir, { recursive: true });
  const hash = await hashPassword("pass");
  await writeFile(
    directoryPath,
    JSON.stringify({
      users: Array.from({ length: Number(values.users) }, (_, i) => ({
        address: `user${i + 1}@example.test`,
        name: `User ${i + 1}`,
        passwordHash: hash,
      })),
    }),
  );
}
const log = createLogger(cluster.isWorker ? "imap-serve-worker" : "imap-serve", {
  level: process.env.LOG_LEVEL ?? "warn",
});
// A measuring client logs in thousands of times; failures are not what is measured.
const throttle = { maxFailuresPerLogin: 1_000_000, maxFailuresPerAddress: 1_000_000 };
const dataDir = join(dir, "data");
const config = imapConfigSchema.parse({
  hostname: "imap.example.test",
  domains: ["example.test"],
  listen: [{ host: "127.0.0.1", port: Number(values.port), tls: "none" }],
  dataDir,
  directory: { backend: "file", path: directoryPath },
  insecureAuth: true,
  // Measuring tools open hundreds of connections from loopback.
  maxConnectionsPerClient: 100_000,
  maxConnections: 100_000,
  ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
});
const server = await startImapProcess(config, log, {
  openDirectory: () =>
    openFileDirectory({
      path: directoryPath,
      domains: ["example.test"],
      watch: false,
      throttle,
    }),
  throttle,
});
if (cluster.isWorker) {
  process.send?.({ type: "ready", endpoints: server.endpoints } satisfies ReadyMessage);
} else {
  console.log(`IMAP on 127.0.0.1:${server.endpoints[0]?.port}, data in ${dataDir}`);
}
const stop = (): void => {
  // A worker's IPC channel (listened on for the primary's answers) would keep it alive.
  void server.stop().then(() => {
    if (cluster.isWorker) process.disconnect();
  });
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
