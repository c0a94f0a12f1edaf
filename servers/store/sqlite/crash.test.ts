/**
 * Crash safety: a process delivering (and copying, flagging, expunging) in a loop is killed
 * with SIGKILL at random moments, again and again. Afterwards every message whose append was
 * acknowledged is present exactly once, and every counter, reference and byte is consistent,
 * bodies kept in files (every eighth message) included.
 */
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { checkConsistency } from "../testing/consistency.ts";
import { tempDataDir } from "../testing/fixtures.ts";
import { spawnChild } from "../testing/spawn.ts";
import { accountPath } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

const USER = "crash@example.com";
const ROUNDS = 8;

test("kill -9 during deliveries loses no acknowledged message and leaves no inconsistency", async (t) => {
  const dataDir = await tempDataDir(t);
  const acked = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const child = spawnChild([dataDir, USER, "loop", `r${round}`]);
    await child.waitFor((l) => l === "ready");
    // Deliveries are under way; let them run between 50 and 400 ms more (hundreds of commits
    // on an idle machine), so the kill lands anywhere in a commit, copy, flag or expunge.
    await child.waitFor((l) => l.startsWith("ack "));
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 350));
    child.process.kill("SIGKILL");
    await child.exited;
    for (const line of child.lines) {
      const [kind, id, uid] = line.split(" ");
      if (kind === "ack" && id !== undefined) acked.set(id, Number(uid));
    }
    assert.deepEqual(checkConsistency(accountPath(dataDir, USER)), [], `after round ${round}`);
  }
  assert.ok(acked.size >= ROUNDS, `only ${acked.size} deliveries acknowledged`);
  const files = await readdir(join(dirname(accountPath(dataDir, USER)), "blobs"));
  assert.ok(files.length > 0, "large bodies were delivered as files too");
  t.diagnostic(`${acked.size} deliveries acknowledged over ${ROUNDS} kills`);

  const store = new SqliteMailStore({ dataDir });
  t.after(() => store.close());
  const account = await store.openAccount(USER);
  const inbox = await account.openMailbox("INBOX");
  const metadata = await inbox.metadata([[1, 4_294_967_295]]);
  const found = new Map<string, number[]>();
  for (const m of metadata) {
    const id = m.envelope.messageId?.replace(/[<>]/g, "") ?? "";
    found.set(id, [...(found.get(id) ?? []), m.uid]);
  }
  for (const [id, uid] of acked) {
    assert.deepEqual(found.get(id), [uid], `${id} is present exactly once, with its UID`);
  }
  // Unacknowledged appends may or may not have committed, but never twice.
  for (const [id, uids] of found) assert.equal(uids.length, 1, id);
  const status = await inbox.status();
  assert.ok(status.uidNext > Math.max(...metadata.map((m) => m.uid)));
  for (const m of await inbox.list()) {
    assert.equal((await inbox.read(m.uid))?.byteLength, m.size, "every visible message is whole");
  }
});
