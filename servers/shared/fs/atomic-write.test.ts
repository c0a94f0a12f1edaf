import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { writeFileAtomic } from "./atomic-write.ts";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mailstack-atomic-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("writes the data with exactly the requested mode, whatever the umask", async (t) => {
  const dir = await tempDir(t);
  const previous = process.umask(0o077);
  t.after(() => process.umask(previous));
  await writeFileAtomic(join(dir, "a"), "secret", { mode: 0o640 });
  await writeFileAtomic(join(dir, "b"), "secret", { mode: 0o600 });
  assert.equal(await readFile(join(dir, "a"), "utf8"), "secret");
  assert.equal((await stat(join(dir, "a"))).mode & 0o777, 0o640);
  assert.equal((await stat(join(dir, "b"))).mode & 0o777, 0o600);
});

test("replaces an existing file and leaves no temporary file behind", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "key.pem");
  await writeFile(path, "old");
  await writeFileAtomic(path, new TextEncoder().encode("new"), { mode: 0o600 });
  assert.equal(await readFile(path, "utf8"), "new");
  assert.deepEqual(await readdir(dir), ["key.pem"]);
});

test("exclusive refuses to replace, keeps the existing content and cleans up", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "ca.pem");
  await writeFileAtomic(path, "first", { exclusive: true });
  await assert.rejects(writeFileAtomic(path, "second", { exclusive: true }), { code: "EEXIST" });
  assert.equal(await readFile(path, "utf8"), "first");
  assert.deepEqual(await readdir(dir), ["ca.pem"]);
});

test("exclusive lets exactly one of several concurrent writers win", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "ca.pem");
  const results = await Promise.allSettled(
    ["a", "b", "c", "d"].map((data) => writeFileAtomic(path, data, { exclusive: true })),
  );
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  assert.deepEqual(await readdir(dir), ["ca.pem"]);
});

test("a concurrent reader sees the old or the new content, never a partial file", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "cert.pem");
  const versions = ["A", "B", "C"].map((c) => c.repeat(2 * 1024 * 1024));
  await writeFileAtomic(path, versions[0] ?? "");
  let writing = true;
  const writes = (async () => {
    for (let round = 0; round < 10; round++) {
      for (const version of versions) await writeFileAtomic(path, version);
    }
    writing = false;
  })();
  let reads = 0;
  const torn: string[] = [];
  while (writing) {
    const seen = await readFile(path, "utf8");
    if (!versions.includes(seen)) torn.push(`${seen.length} bytes of ${seen.slice(0, 1)}`);
    reads++;
  }
  await writes;
  assert.ok(reads > 0);
  assert.deepEqual(torn, []);
});

test("a missing directory rejects without creating anything", async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(writeFileAtomic(join(dir, "no", "such"), "x"), { code: "ENOENT" });
  assert.deepEqual(await readdir(dir), []);
});
