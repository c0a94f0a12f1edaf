/**
 * The large-mailbox figures over a real IMAP connection: a 100,000-message INBOX, then
 * SELECT, a full `UID FETCH 1:* (FLAGS)` and a header SEARCH, each timed from the command's
 * first byte to its tagged reply (target: each under one second).
 *
 *   npx tsx servers/imap/bench/large-mailbox.ts [--messages 100000] [--keep DIR] [--tls]
 */
import { existsSync } from "node:fs";
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
import { SocketClient } from "../testing/socket-client.ts";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "100000" }, keep: { type: "string" } },
});
const total = Number(values.messages);
const USER = "big@example.test";
const PASSWORD = "bench-password";
const TOPICS = ["invoice", "meeting", "report", "holiday", "release", "budget", "party", "lunch"];

function makeMessage(i: number): Uint8Array {
  const topic = TOPICS[(i * 7) % TOPICS.length] ?? "x";
  return Buffer.from(
    [
      `From: Sender ${i % 97} <sender${i % 97}@example.org>`,
      `To: Big <${USER}>`,
      `Subject: ${i % 3 === 0 ? "Re: " : ""}${topic} number ${i}`,
      `Date: ${1 + (i % 28)} Mar 2024 10:${String(i % 60).padStart(2, "0")}:00 +0100`,
      `Message-ID: <msg-${i}@example.org>`,
      "",
      `Hello, this is message ${i} about the ${topic}.`,
      "",
    ].join("\r\n"),
  );
}

const dir = values.keep ?? (await mkdtemp(join(tmpdir(), "mailstack-imap-large-")));
const dataDir = join(dir, "data");
const directoryPath = join(dir, "directory.json");
const fill = !existsSync(join(dataDir, "mail"));
await mkdir(dir, { recursive: true });
await writeFile(
  directoryPath,
  JSON.stringify({
    users: [{ address: USER, name: "Big", passwordHash: await hashPassword(PASSWORD) }],
  }),
);
const store = openMailStore({ dataDir });
if (fill) {
  const account = await store.openAccount(USER);
  const t0 = performance.now();
  for (let i = 0; i < total; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, total - i) }, (_, j) =>
        account.append("INBOX", makeMessage(i + j), { flags: (i + j) % 4 === 0 ? [] : ["\\Seen"] }),
      ),
    );
  }
  await account.close();
  console.log(`filled ${total} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const log = createLogger("imap-bench", { level: "warn" });
const directory = await openFileDirectory({
  path: directoryPath,
  domains: ["example.test"],
  watch: false,
});
const config = imapConfigSchema.parse({
  hostname: "bench.example.test",
  domains: ["example.test"],
  listen: [{ host: "127.0.0.1", port: 0, tls: "none" }],
  dataDir,
  directory: { backend: "file", path: directoryPath },
  insecureAuth: true,
});
const server = await startImap(config, { directory, store, log, spam: undefined });
const client = await SocketClient.connect(server.endpoints[0]?.port ?? 0);
await client.output.nextLine();

async function timed(tag: string, command: string): Promise<number> {
  const t0 = performance.now();
  client.write(`${tag} ${command}\r\n`);
  let lines = 0;
  for (;;) {
    const line = await client.output.nextLine(60_000);
    lines++;
    if (line.startsWith(`${tag} `)) {
      if (!line.startsWith(`${tag} OK`)) throw new Error(line);
      break;
    }
  }
  const ms = performance.now() - t0;
  console.log(`${command.padEnd(48)} ${ms.toFixed(1).padStart(8)} ms  (${lines} lines)`);
  return ms;
}

await timed("l", `LOGIN ${USER} ${PASSWORD}`);
const results = [
  await timed("s", "SELECT INBOX"),
  await timed("f", "UID FETCH 1:* (FLAGS)"),
  await timed("h", "SEARCH SUBJECT holiday"),
  await timed("g", "UID SEARCH FROM sender42 SINCE 1-Jan-2000"),
];
console.log(results.every((ms) => ms < 1000) ? "all under one second" : "SOME OVER ONE SECOND");
client.end();
await server.stop();
await store.close();
await directory.close();
