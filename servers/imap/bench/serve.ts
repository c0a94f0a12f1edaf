/**
 * A throwaway IMAP server on a plain loopback port with plaintext login, for measuring
 * instruments that are not part of the repository (Dovecot's imaptest) and for benchmarks.
 * Users `user1@example.test` .. `userN@example.test`, password "pass".
 *
 *   npx tsx servers/imap/bench/serve.ts [--port 14300] [--users 10] [--dir DIR]
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openFileDirectory } from "../../shared/directory/file-directory.ts";
import { hashPassword } from "../../shared/directory/passwords.ts";
import { createLogger } from "../../shared/log.ts";
import { openMailStore } from "../../store/index.ts";
import { imapConfigSchema } from "../config.ts";
import { startImap } from "../server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "14300" },
    users: { type: "string", default: "10" },
    dir: { type: "string" },
  },
});
const dir = values.dir ?? (await mkdtemp(join(tmpdir(), "mailstack-imap-serve-")));
await mkdir(dir, { recursive: true });
const hash = await hashPassword("pass");
const directoryPath = join(dir, "directory.json");
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
const log = createLogger("imap-serve", { level: process.env.LOG_LEVEL ?? "warn" });
const directory = await openFileDirectory({
  path: directoryPath,
  domains: ["example.test"],
  watch: false,
  // A measuring client logs in thousands of times; failures are not what is measured.
  throttle: { maxFailuresPerLogin: 1_000_000, maxFailuresPerAddress: 1_000_000 },
});
const dataDir = join(dir, "data");
const store = openMailStore({ dataDir });
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
});
const server = await startImap(config, { directory, store, log, spam: undefined });
console.log(`IMAP on 127.0.0.1:${server.endpoints[0]?.port}, data in ${dataDir}`);
const stop = (): void => {
  void server
    .stop()
    .then(() => store.close())
    .then(() => directory.close());
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
