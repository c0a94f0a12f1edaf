/**
 * The MDA killed with SIGKILL again and again while LMTP clients deliver to it: the primary and
 * its workers die together (their process group), at a random moment of the load, and are
 * started again. Afterwards every delivery the MDA acknowledged with 250 for a recipient is in
 * that recipient's INBOX exactly once, nothing is there twice, every message is whole, and every
 * account's database and body files are consistent.
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { SmtpTranscript } from "../../test/helpers/smtp-transcript.ts";
import { hashPassword } from "../shared/directory/passwords.ts";
import { openMailStore } from "../store/index.ts";
import { FILE_BODY_MIN_BYTES } from "../store/sqlite/blobs.ts";
import { accountPath } from "../store/sqlite/database.ts";
import { checkConsistency } from "../store/testing/consistency.ts";

const MAIN = resolve(import.meta.dirname, "main.ts");
const USERS = ["alice@example.test", "bob@example.test", "carol@example.test"];
const ROUNDS = 6;
const CLIENTS = 8;
/** Every eighth message is large enough for its body to be a file of its own. */
const LARGE_BODY = `${"y".repeat(78)}\r\n`.repeat(Math.ceil(FILE_BODY_MIN_BYTES / 80) + 10);

function startMda(config: string): { child: ChildProcess; port: Promise<number> } {
  // A process group of its own, so one kill takes the primary and every worker at once.
  const child = fork(MAIN, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, MAILSTACK_CONFIG: config, LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    detached: true,
  });
  const port = once(child, "message").then(
    ([ready]) => (ready as { endpoints: { port: number }[] }).endpoints[0]?.port ?? 0,
  );
  return { child, port };
}

/** One message to some recipients; records each recipient the MDA answered 250 for. */
async function deliverOne(
  port: number,
  id: string,
  recipients: readonly string[],
  acked: (id: string, user: string) => void,
): Promise<void> {
  const t = await SmtpTranscript.open({ port });
  try {
    await t.expect(220);
    await t.send("LHLO client.test", 250);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    for (const user of recipients) await t.send(`RCPT TO:<${user}>`, 250);
    await t.send("DATA", 354);
    const body = Number(id.split("-").at(-1)) % 8 === 0 ? LARGE_BODY : `body of ${id}\r\n`;
    t.write(`Subject: ${id}\r\nMessage-ID: <${id}@remote.test>\r\n\r\n${body}.\r\n`);
    // LMTP: one reply per accepted recipient, in RCPT order (RFC 2033 §4.2).
    for (const user of recipients) {
      const reply = await t.reply();
      if (reply.code === 250) acked(id, user);
    }
  } finally {
    t.close();
  }
}

test("SIGKILL of the MDA during deliveries loses no acknowledged message and leaves every mailbox consistent", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-mda-crash-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dataDir = join(dir, "data");
  const hash = await hashPassword("unused");
  await writeFile(
    join(dir, "directory.json"),
    JSON.stringify({
      users: USERS.map((address) => ({ address, name: address, passwordHash: hash })),
    }),
  );
  const config = join(dir, "mda.json");
  await writeFile(
    config,
    JSON.stringify({
      hostname: "mail.example.test",
      domains: ["example.test"],
      listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
      dataDir,
      directory: { backend: "file", path: join(dir, "directory.json") },
      workers: 2,
    }),
  );

  const acked = new Map<string, Set<string>>();
  const ack = (id: string, user: string): void => {
    acked.set(id, (acked.get(id) ?? new Set()).add(user));
  };
  let next = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const { child, port: portReady } = startMda(config);
    const pid = child.pid ?? 0;
    t.after(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    });
    const port = await portReady;
    const ackedBefore = acked.size;
    let stop = false;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (!stop) {
        const n = next++;
        const recipients = USERS.filter((_, i) => (n + i) % 3 !== 0 || i === n % 3);
        await deliverOne(port, `r${round}-${n}`, recipients, ack).catch(() => undefined);
      }
    });
    // Deliveries are under way; the kill lands 100 to 700 ms later, anywhere in a session,
    // a body file write, a commit or a rename.
    const deadline = Date.now() + 30_000;
    while (acked.size === ackedBefore && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(acked.size > ackedBefore, `round ${round}: nothing was delivered`);
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 600));
    const exited = once(child, "exit");
    process.kill(-pid, "SIGKILL");
    await exited;
    stop = true;
    await Promise.all(clients);
    for (const user of USERS) {
      assert.deepEqual(checkConsistency(accountPath(dataDir, user)), [], `${user}, round ${round}`);
    }
  }
  t.diagnostic(`${acked.size} messages acknowledged over ${ROUNDS} kills`);

  const store = openMailStore({ dataDir, idleCloseMs: 0 });
  t.after(() => store.close());
  let files = 0;
  for (const user of USERS) {
    const account = await store.openAccount(user);
    const inbox = await account.openMailbox("INBOX");
    const found = new Map<string, number>();
    for (const m of await inbox.metadata([[1, 4_294_967_295]])) {
      const id = m.envelope.messageId?.replace(/^<|@remote\.test>$/g, "") ?? "";
      found.set(id, (found.get(id) ?? 0) + 1);
    }
    for (const [id, users] of acked) {
      if (users.has(user)) assert.equal(found.get(id), 1, `${id} for ${user}: once`);
    }
    for (const [id, count] of found) assert.equal(count, 1, `${id} for ${user}: never twice`);
    for (const m of await inbox.list()) {
      const raw = await inbox.read(m.uid);
      assert.equal(raw?.byteLength, m.size, `${user} ${m.uid} is whole`);
      if (m.size > FILE_BODY_MIN_BYTES) files++;
    }
    await account.close();
  }
  assert.ok(files > 0, "some bodies were delivered as files");
});
