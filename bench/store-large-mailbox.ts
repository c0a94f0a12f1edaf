/**
 * A 100,000-message mailbox: how long opening it (SELECT: status plus every UID and flag),
 * listing all flags (UID FETCH 1:* FLAGS), header searches and a sort take. The mailbox is
 * filled once (group-committed appends) and measured from a fresh store instance, as a new
 * IMAP process would see it (the OS page cache is warm, as on a running server).
 *
 *   npx tsx bench/store-large-mailbox.ts [--messages 100000] [--keep DIR]
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SqliteMailStore } from "../servers/store/sqlite/sqlite-store.ts";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "100000" }, keep: { type: "string" } },
});
const total = Number(values.messages);
const USER = "big@example.com";
const NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];
const TOPICS = ["invoice", "meeting", "report", "holiday", "release", "budget", "party", "lunch"];

function makeMessage(i: number): Uint8Array {
  const who = NAMES[i % NAMES.length]!;
  const topic = TOPICS[(i * 7) % TOPICS.length]!;
  const day = 1 + (i % 28);
  return Buffer.from(
    [
      `From: ${who[0]!.toUpperCase()}${who.slice(1)} <${who}${i % 97}@example.org>`,
      "To: Big Mailbox <big@example.com>",
      `Subject: ${i % 3 === 0 ? "Re: " : ""}${topic} number ${i}`,
      `Date: ${day} Mar 2024 10:${String(i % 60).padStart(2, "0")}:00 +0100`,
      `Message-ID: <msg-${i}@example.org>`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      `Hello, this is message ${i} about the ${topic}.`,
      "Regards,",
      who,
      "",
    ].join("\r\n"),
  );
}

async function time<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  const size = Array.isArray(result) ? ` (${result.length} results)` : "";
  console.log(`${label.padEnd(46)} ${ms.toFixed(1).padStart(8)} ms${size}`);
  return result;
}

const dataDir = values.keep ?? (await mkdtemp(join(tmpdir(), "mailstack-large-")));
const fresh = !existsSync(join(dataDir, "mail"));
if (fresh) {
  const store = new SqliteMailStore({ dataDir });
  const account = await store.openAccount(USER);
  const t0 = performance.now();
  const rss: number[] = [];
  for (let i = 0; i < total; i += 500) {
    if (i % 20_000 === 0) rss.push(Math.round(process.memoryUsage().rss / 1e6));
    await Promise.all(
      Array.from({ length: Math.min(500, total - i) }, (_, j) =>
        account.append("INBOX", makeMessage(i + j), {
          flags: (i + j) % 4 === 0 ? [] : ["\\Seen"],
          internalDate: new Date(Date.UTC(2024, 2, 1 + ((i + j) % 28))),
        }),
      ),
    );
  }
  console.log(`filled ${total} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`  RSS every 20,000 messages (MB): ${rss.join(" ")}`);
  await store.close();
}

const store = new SqliteMailStore({ dataDir });
const opened = await time("open account + SELECT (status, all UIDs+flags)", async () => {
  const account = await store.openAccount(USER);
  const inbox = await account.openMailbox("INBOX");
  const status = await inbox.status();
  const list = await inbox.list();
  return { account, inbox, status, list };
});
const { inbox } = opened;
console.log(`  messages=${opened.status.messages} unseen=${opened.status.unseen}`);
await time("UID FETCH 1:* (FLAGS)", () => inbox.list());
await time("UID FETCH 1:* (FLAGS) again (warm)", () => inbox.list());
await time('SEARCH SUBJECT "budget"', () =>
  inbox.search([{ type: "header", field: "subject", value: "budget" }]),
);
await time('SEARCH FROM "grace5"', () =>
  inbox.search([{ type: "header", field: "from", value: "grace5" }]),
);
await time('SEARCH HEADER Message-ID "msg-99999@"', () =>
  inbox.search([{ type: "header", field: "message-id", value: "msg-99999@" }]),
);
await time("SEARCH UNSEEN", () => inbox.search([{ type: "flag", flag: "\\Seen", set: false }]));
await time('SEARCH SENTSINCE 20-Mar-2024 NOT FROM "bob"', () =>
  inbox.search([
    { type: "date", field: "sent", op: "since", day: { year: 2024, month: 3, day: 20 } },
    { type: "not", key: { type: "header", field: "from", value: "bob" } },
  ]),
);
await time('SEARCH BODY "message 4242 " (scan)', () =>
  inbox.search([{ type: "body", value: "message 4242 " }]),
);
await time('SEARCH TEXT "holiday"', () => inbox.search([{ type: "text", value: "holiday" }]));
await time("SORT (SUBJECT) ALL", () => inbox.sort([{ key: "subject" }], [{ type: "all" }]));
await time("SORT (REVERSE DATE) ALL", () =>
  inbox.sort([{ key: "date", reverse: true }], [{ type: "all" }]),
);
await time("FETCH ENVELOPE BODYSTRUCTURE of 1,000", () => inbox.metadata([[1, 1000]]));
await time("changesSince(highest - 10)", () =>
  inbox.changesSince(opened.status.highestModseq - 10).then((c) => c.changed),
);
await time("STORE 1:* +FLAGS (\\Seen) (100k rows, one commit)", () =>
  inbox.storeFlags([[1, total]], "add", ["\\Seen"]).then((r) => r.messages),
);
await store.close();
if (!values.keep) await rm(dataDir, { recursive: true, force: true });
