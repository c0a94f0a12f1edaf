/**
 * A second process for the store's multi-process tests, started with `process.execPath
 * --import tsx`. It writes one line per event to stdout, and an "ack" line only after the
 * operation's promise resolved (so the parent knows what was durable when it kills us).
 *
 *   child.ts <dataDir> <userId> deliver <count> <prefix>  append count messages, then exit
 *   child.ts <dataDir> <userId> loop <prefix>             deliver (and churn) until killed
 *   child.ts <dataDir> <userId> watch                     print store events as JSON lines
 *   child.ts <dataDir> <userId> flag <uid>                set \Flagged on an INBOX message
 *   child.ts <dataDir> <userId> open-new <count> <prefix>  open accounts <userId>-0.. (new ones,
 *                                                          raced by sibling processes) and
 *                                                          deliver one message to each
 */
import { writeSync } from "node:fs";
import { FILE_BODY_MIN_BYTES } from "../sqlite/blobs.ts";
import { SqliteMailStore } from "../sqlite/sqlite-store.ts";
import { message } from "./fixtures.ts";

const [dataDir = "", userId = "", command = "", ...args] = process.argv.slice(2);

/** Synchronous, so a line written is in the pipe even if SIGKILL follows at once. */
function line(text: string): void {
  writeSync(1, `${text}\n`);
}

const store = new SqliteMailStore({ dataDir, pollIntervalMs: 50 });
const account = await store.openAccount(userId);

/** Every eighth message has a body large enough for a file of its own (blobs.ts). */
const LARGE_BODY = `${"x".repeat(99)}\r\n`.repeat(Math.ceil(FILE_BODY_MIN_BYTES / 100));

async function deliver(id: string): Promise<void> {
  const large = Number(id.split("-").at(-1)) % 8 === 0;
  const body = large ? LARGE_BODY : undefined;
  const result = await account.append("INBOX", message({ messageId: id, subject: id, body }));
  line(`ack ${id} ${result.duplicate ? 0 : result.uid}`);
}

switch (command) {
  case "deliver": {
    const [count = "0", prefix = "m"] = args;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < Number(count); i++) {
      const p = deliver(`${prefix}-${i}`).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 8) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await store.close();
    break;
  }
  case "loop": {
    const [prefix = "m"] = args;
    const churn = await account.mailboxByRole("\\Archive");
    const inbox = await account.openMailbox("INBOX");
    const box = await account.openMailbox(churn.id);
    line("ready");
    for (let i = 0; ; i += 8) {
      // Eight deliveries in flight, like concurrent LMTP sessions: they share a group commit.
      await Promise.all(Array.from({ length: 8 }, (_, j) => deliver(`${prefix}-${i + j}`)));
      // Churn in another mailbox so that a kill also lands in copy, flag and expunge.
      const status = await inbox.status();
      await inbox.copy([[Math.max(1, status.uidNext - 3), status.uidNext]], churn.id);
      const listed = await box.list();
      const half = listed
        .filter((_, k) => k % 2 === 0)
        .map((m): [number, number] => [m.uid, m.uid]);
      if (half.length > 0) await box.storeFlags(half, "add", ["\\Deleted", "Churned"]);
      if (i % 32 === 0) await box.expunge();
    }
  }
  case "watch": {
    account.watch((event) => line(JSON.stringify(event)));
    line("ready");
    // Kept alive by the parent; the watcher's timer alone would not hold the process.
    setInterval(() => undefined, 1000);
    break;
  }
  case "flag": {
    const inbox = await account.openMailbox("INBOX");
    const result = await inbox.storeFlags([[Number(args[0]), Number(args[0])]], "add", [
      "\\Flagged",
    ]);
    line(`ack flag ${result.messages[0]?.modseq ?? 0}`);
    await store.close();
    break;
  }
  case "open-new": {
    const [count = "0", prefix = "m"] = args;
    for (let i = 0; i < Number(count); i++) {
      const other = await store.openAccount(`${userId}-${i}`);
      const result = await other.append("INBOX", message({ messageId: `${prefix}-${i}` }));
      line(`ack ${prefix}-${i} ${result.duplicate ? 0 : result.uid}`);
    }
    await store.close();
    break;
  }
  default:
    throw new Error(`unknown command ${command}`);
}
