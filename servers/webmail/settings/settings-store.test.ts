import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { MAX_CORRESPONDENTS, SettingsStore } from "./settings-store.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-settings-"));
});
after(() => rm(dir, { recursive: true, force: true }));

it("keeps one 0600 file per user, named by a hash, not the address", async () => {
  const store = new SettingsStore(dir);
  await store.setEditable("Alice@Example.test", { displayName: "Alice", signature: "A." });
  const files = await readdir(join(dir, "users"));
  assert.equal(files.length, 1);
  assert.match(files[0] ?? "", /^[0-9a-f]{64}\.json$/);
  assert.equal((await stat(join(dir, "users", files[0] ?? ""))).mode & 0o777, 0o600);
  const again = new SettingsStore(dir);
  assert.equal((await again.get("alice@example.test")).displayName, "Alice");
  assert.equal((await again.get("bob@example.test")).displayName, "");
});

it("loses no change when several are saved at once", async () => {
  const store = new SettingsStore(dir);
  await Promise.all([
    store.recordCorrespondents("carol@example.test", [{ address: "x@remote.test", name: "X" }], 1),
    store.recordCorrespondents("carol@example.test", [{ address: "Y@remote.test", name: "" }], 2),
    store.setEditable("carol@example.test", { displayName: "Carol", signature: "" }),
    store.recordCorrespondents("carol@example.test", [{ address: "x@remote.test", name: "" }], 3),
  ]);
  const s = await store.get("carol@example.test");
  assert.equal(s.displayName, "Carol");
  assert.deepEqual(s.correspondents, [
    { address: "x@remote.test", name: "X", lastUsed: 3, count: 2 },
    { address: "y@remote.test", name: "", lastUsed: 2, count: 1 },
  ]);
});

it("forgets the least recently used correspondents beyond the bound", async () => {
  const store = new SettingsStore(undefined);
  const many = Array.from({ length: MAX_CORRESPONDENTS + 5 }, (_, i) => ({
    address: `r${i}@remote.test`,
    name: "",
  }));
  for (const [i, r] of many.entries()) await store.recordCorrespondents("dan@example.test", [r], i);
  const kept = (await store.get("dan@example.test")).correspondents;
  assert.equal(kept.length, MAX_CORRESPONDENTS);
  assert.equal(kept[0]?.address, `r${MAX_CORRESPONDENTS + 4}@remote.test`);
  assert.equal(kept.at(-1)?.address, "r5@remote.test");
});

it("reads a damaged file as the defaults", async () => {
  const store = new SettingsStore(dir);
  await store.setEditable("erin@example.test", { displayName: "Erin", signature: "" });
  const files = await readdir(join(dir, "users"));
  for (const f of files) await writeFile(join(dir, "users", f), "{ not json");
  assert.equal((await store.get("erin@example.test")).displayName, "");
});
