/**
 * Two real processes on one data directory: both write at once, and each hears of the other's
 * changes within a second (what IMAP IDLE needs while the MDA delivers).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkConsistency } from "../testing/consistency.ts";
import { message, tempDataDir } from "../testing/fixtures.ts";
import { spawnChild } from "../testing/spawn.ts";
import type { StoreEvent } from "../types.ts";
import { accountPath } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

const USER = "bob@example.com";

test("two processes deliver at once: no UID reused, MODSEQs increase, counts exact", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir });
  t.after(() => store.close());
  const account = await store.openAccount(USER);
  const child = spawnChild([dataDir, USER, "deliver", "300", "child"]);
  const mine: number[] = [];
  const inbox = await account.openMailbox("INBOX");
  let reads = 0;
  for (let i = 0; i < 300; i++) {
    const result = await account.append("INBOX", message({ messageId: `parent-${i}` }));
    if (!result.duplicate) mine.push(result.uid);
    if (i % 25 === 0) {
      // Reads and flag changes interleave with the other process's commits.
      const listed = await inbox.list();
      reads += listed.length;
      await inbox.storeFlags([[1, 3]], "add", ["\\Seen"]);
    }
  }
  assert.equal(await child.exited, 0, child.stderr());
  const acks = child.lines.filter((l) => l.startsWith("ack "));
  assert.equal(acks.length, 300);
  const theirs = acks.map((l) => Number(l.split(" ")[2]));
  const all = [...mine, ...theirs].sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 600 }, (_, i) => i + 1),
    "every UID used once",
  );
  const listed = await inbox.list();
  assert.equal(listed.length, 600);
  assert.ok(reads > 0);
  const modseqs = listed.filter((m) => m.uid > 3).map((m) => m.modseq);
  assert.equal(new Set(modseqs).size, modseqs.length, "each append got its own MODSEQ");
  // MODSEQ follows commit order, and so does UID order within one mailbox.
  for (let i = 1; i < modseqs.length; i++) assert.ok((modseqs[i] ?? 0) > (modseqs[i - 1] ?? 0));
  assert.deepEqual(checkConsistency(accountPath(dataDir, USER)), []);
});

test("a watcher hears of another process's delivery and flag change within a second", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir, pollIntervalMs: 200 });
  t.after(() => store.close());
  const account = await store.openAccount(USER);
  const inboxId = (await account.getMailbox("INBOX"))?.id;
  const events: { at: number; event: StoreEvent }[] = [];
  account.watch((event) => events.push({ at: Date.now(), event }));
  /** Milliseconds from `ackedAt` to the event (negative if it came before the ack was read). */
  const waitEvent = async (type: StoreEvent["type"], ackedAt: number): Promise<number> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = events.find((e) => e.event.type === type);
      if (found) return found.at - ackedAt;
      if (Date.now() > deadline) assert.fail(`no ${type} event`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const deliverer = spawnChild([dataDir, USER, "deliver", "1", "remote"]);
  const ack = await deliverer.waitFor((l) => l.startsWith("ack "));
  const ackedAt = Date.now();
  const delay = await waitEvent("exists", ackedAt);
  assert.ok(delay < 1000, `exists after ${delay} ms`);
  const exists = events.find((e) => e.event.type === "exists")?.event;
  assert.deepEqual(exists && exists.type === "exists" && [exists.mailboxId, exists.uids], [
    inboxId,
    [Number(ack.split(" ")[2])],
  ]);
  await deliverer.exited;
  const flagger = spawnChild([dataDir, USER, "flag", "1"]);
  await flagger.waitFor((l) => l.startsWith("ack flag"));
  const flaggedAt = Date.now();
  assert.ok((await waitEvent("flags", flaggedAt)) < 1000);
  const [summary] = await (await account.openMailbox("INBOX")).list();
  assert.deepEqual(summary?.flags, ["\\Flagged"], "the parent reads the child's change");
});

test("another process's watcher hears of this process's changes", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir });
  t.after(() => store.close());
  const account = await store.openAccount(USER);
  const watcher = spawnChild([dataDir, USER, "watch"]);
  t.after(() => watcher.process.kill("SIGKILL"));
  await watcher.waitFor((l) => l === "ready");
  const result = await account.append("INBOX", message());
  const sentAt = Date.now();
  const line = await watcher.waitFor((l) => l.includes('"exists"'), 3000);
  assert.ok(Date.now() - sentAt < 1000);
  assert.deepEqual((JSON.parse(line) as { uids: number[] }).uids, [
    result.duplicate ? 0 : result.uid,
  ]);
  await account.createMailbox("Fresh");
  await watcher.waitFor((l) => l.includes('"mailboxes"'), 3000);
  await (await account.openMailbox("INBOX")).expunge({ onlyDeleted: false });
  await watcher.waitFor((l) => l.includes('"expunge"'), 3000);
});

test("processes opening the same new accounts at once all deliver (none is refused as locked)", async (t) => {
  const dataDir = await tempDataDir(t);
  const children = ["a", "b", "c"].map((prefix) =>
    spawnChild([dataDir, "new", "open-new", "100", prefix]),
  );
  for (const child of children) {
    assert.equal(await child.exited, 0, child.stderr());
    assert.equal(child.lines.filter((l) => l.startsWith("ack ")).length, 100);
  }
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(checkConsistency(accountPath(dataDir, `new-${i}`)), []);
  }
});
