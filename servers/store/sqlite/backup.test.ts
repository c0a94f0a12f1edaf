import assert from "node:assert/strict";
import { test } from "node:test";
import { checkConsistency } from "../testing/consistency.ts";
import { message, tempDataDir } from "../testing/fixtures.ts";
import { spawnChild } from "../testing/spawn.ts";
import type { Account, StoreEvent } from "../types.ts";
import { backupStore, readManifest, restoreStore } from "./backup.ts";
import { FILE_BODY_MIN_BYTES } from "./blobs.ts";
import { accountPath } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

async function contents(account: Account) {
  const out: Record<string, unknown[]> = {};
  for (const box of await account.listMailboxes()) {
    const view = await account.openMailbox(box.id);
    out[box.name] = await Promise.all(
      (await view.list()).map(async (m) => ({
        uid: m.uid,
        raw: Buffer.from((await view.read(m.uid)) ?? []).toString("latin1"),
        flags: m.flags,
        date: m.internalDate,
      })),
    );
  }
  return { out, subscriptions: await account.listSubscriptions(), quota: await account.quota() };
}

test("backup, change everything, restore: the snapshot comes back, with new UIDVALIDITYs", async (t) => {
  const dataDir = await tempDataDir(t);
  const backupDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir, pollIntervalMs: 50 });
  t.after(() => store.close());
  const alice = await store.openAccount("alice@example.com", {
    quota: { storageBytes: 10_000_000 },
  });
  const bob = await store.openAccount("bob@example.com");
  await alice.createMailbox("Projects/Old");
  await alice.append("INBOX", message({ subject: "keep" }), { flags: ["\\Seen", "Keep"] });
  await alice.append("Projects/Old", message({ subject: "old" }));
  // A body large enough to live in a file of its own: it travels with the backup, and comes back
  // after its mailbox was deleted.
  await alice.append(
    "Projects/Old",
    message({ subject: "large", body: "x".repeat(FILE_BODY_MIN_BYTES) }),
  );
  await bob.append("INBOX", message({ subject: "bob's" }));
  const before = await contents(alice);
  const validities = new Set((await alice.listMailboxes()).map((b) => b.uidValidity));

  const manifest = await backupStore(dataDir, backupDir);
  assert.deepEqual(
    manifest.accounts.map((a) => [a.userId, a.messages]),
    [
      ["alice@example.com", 3],
      ["bob@example.com", 1],
    ],
  );
  assert.deepEqual(await readManifest(backupDir), manifest);
  assert.deepEqual(checkConsistency(accountPath(backupDir, "alice@example.com")), []);

  await alice.deleteMailbox("Projects/Old");
  await alice.append("INBOX", message({ subject: "after the backup" }));
  await (await alice.openMailbox("INBOX")).storeFlags([[1, 1]], "replace", []);
  await bob.append("INBOX", message({ subject: "bob's second" }));
  const events: StoreEvent[] = [];
  alice.watch((e) => events.push(e));

  // Restored while this process has the account open, for one user only.
  assert.deepEqual(await restoreStore(backupDir, dataDir, { users: ["alice@example.com"] }), [
    "alice@example.com",
  ]);
  assert.deepEqual(await contents(alice), before);
  for (const box of await alice.listMailboxes()) {
    assert.ok(!validities.has(box.uidValidity), `${box.name} got a new UIDVALIDITY`);
  }
  assert.equal((await bob.status("INBOX")).messages, 2, "bob was not restored");
  assert.deepEqual(checkConsistency(accountPath(dataDir, "alice@example.com")), []);
  const deadline = Date.now() + 2000;
  while (!events.some((e) => e.type === "mailboxes") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(
    events.some((e) => e.type === "mailboxes"),
    "watchers hear of the restore",
  );
  // New deliveries after a restore get UIDs the restored mailbox never had.
  const next = await alice.append("INBOX", message());
  assert.equal(!next.duplicate && next.uid, 2);
});

test("an online backup taken while another process delivers is consistent and restorable", async (t) => {
  const dataDir = await tempDataDir(t);
  const backupDir = await tempDataDir(t);
  const user = "busy@example.com";
  const child = spawnChild([dataDir, user, "loop", "live"]);
  t.after(() => child.process.kill("SIGKILL"));
  await child.waitFor((l) => l === "ready");
  await child.waitFor((l) => l.startsWith("ack live-40 "));
  const manifest = await backupStore(dataDir, backupDir, { users: [user] });
  await child.waitFor((l) => l.startsWith("ack live-200 "));
  child.process.kill("SIGKILL");
  await child.exited;
  assert.deepEqual(checkConsistency(accountPath(backupDir, user)), []);
  const restoredDir = await tempDataDir(t);
  await restoreStore(backupDir, restoredDir);
  const store = new SqliteMailStore({ dataDir: restoredDir });
  t.after(() => store.close());
  const restored = await store.openAccount(user);
  assert.equal((await restored.quota()).messages, manifest.accounts[0]?.messages);
  const live = new SqliteMailStore({ dataDir });
  t.after(() => live.close());
  const liveInbox = await (await live.openAccount(user)).openMailbox("INBOX");
  const restoredInbox = await restored.openMailbox("INBOX");
  const backedUp = await restoredInbox.list();
  assert.ok(backedUp.length >= 40, `${backedUp.length} messages in the backup`);
  assert.ok(backedUp.length < (await liveInbox.list()).length);
  for (const m of backedUp) {
    assert.deepEqual(await restoredInbox.read(m.uid), await liveInbox.read(m.uid), `uid ${m.uid}`);
  }
});
