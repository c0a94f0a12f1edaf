/**
 * Group commit while another connection (in production another process) holds the account's
 * write lock: the appends wait on the event loop, not in SQLite's busy handler, and are
 * committed once the lock is free.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { message, tempDataDir } from "../testing/fixtures.ts";
import { accountPath } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

const USER = "carol@example.com";

test("appends wait for another writer's lock without blocking the process", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir });
  t.after(() => store.close());
  const account = await store.openAccount(USER);
  t.after(() => account.close());
  await account.append("INBOX", message({ messageId: "first" }));

  const other = new DatabaseSync(accountPath(dataDir, USER));
  t.after(() => other.close());
  other.exec("BEGIN IMMEDIATE");
  let settled = false;
  const appends = Promise.all(
    ["a", "b", "c"].map((id) => account.append("INBOX", message({ messageId: id }))),
  ).finally(() => (settled = true));
  // Timers run while the lock is held: the process was not put to sleep in a busy handler.
  let ticks = 0;
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 10));
    ticks++;
  }
  assert.equal(ticks, 5);
  assert.equal(settled, false, "nothing is acknowledged while it cannot be committed");
  other.exec("COMMIT");
  const results = await appends;
  assert.deepEqual(
    results.map((r) => (r.duplicate ? 0 : r.uid)),
    [2, 3, 4],
  );
  const inbox = await account.openMailbox("INBOX");
  assert.equal((await inbox.list()).length, 4);
});
