import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { isStoreError } from "../errors.ts";
import { message, tempDataDir } from "../testing/fixtures.ts";
import { accountPath, Database, DEFAULT_CACHE_KIB } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

test("accounts are listed by user id, each in its own database", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir });
  t.after(() => store.close());
  for (const user of ["zed@example.com", "anna@example.com", "Ünïcode@example.com"]) {
    await (await store.openAccount(user)).close();
  }
  assert.deepEqual(await store.listAccounts(), [
    "anna@example.com",
    "zed@example.com",
    "Ünïcode@example.com",
  ]);
});

test("closing the store commits queued appends; closed handles refuse work", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir });
  const account = await store.openAccount("a@example.com");
  const pending = account.append("INBOX", message());
  await store.close();
  const result = await pending;
  assert.equal(result.duplicate, false);
  const again = new SqliteMailStore({ dataDir });
  t.after(() => again.close());
  const reopened = await again.openAccount("a@example.com");
  assert.equal((await reopened.status("INBOX")).messages, 1);
  await reopened.close();
  await assert.rejects(reopened.append("INBOX", message()), (e) => isStoreError(e, "UNAVAILABLE"));
  await assert.rejects(reopened.listMailboxes(), (e) => isStoreError(e, "UNAVAILABLE"));
});

test("an idle account is closed after the delay and reopened on demand", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir, idleCloseMs: 20 });
  t.after(() => store.close());
  await (await store.openAccount("a@example.com")).close();
  await new Promise((r) => setTimeout(r, 60));
  const account = await store.openAccount("a@example.com");
  await account.append("INBOX", message());
  assert.equal((await account.status("INBOX")).messages, 1);
});

test("hostile bytes are stored and served as they came", async (t) => {
  const dataDir = await tempDataDir(t);
  const store = new SqliteMailStore({ dataDir });
  t.after(() => store.close());
  const account = await store.openAccount("a@example.com");
  const samples = [
    new Uint8Array(0),
    randomBytes(5000),
    Buffer.from("\0\0\0Subject: nul\r\n\r\n\0body"),
    Buffer.from(`Subject: ${"x".repeat(100_000)}\r\n\r\nlong header`),
    Buffer.from("Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n\r\n--\r\n"),
    Buffer.from("Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n"),
  ];
  const inbox = await account.openMailbox("INBOX");
  for (const raw of samples) {
    const result = await account.append("INBOX", raw);
    assert.ok(!result.duplicate);
    assert.deepEqual(Buffer.from((await inbox.read(result.uid)) ?? []), Buffer.from(raw));
  }
  assert.equal(
    (await inbox.search([{ type: "header", field: "subject", value: "nul" }])).length,
    0,
    "a header after NUL bytes is no header",
  );
  assert.equal((await inbox.metadata([[1, 100]])).length, samples.length);
});

test("the page cache per open account follows cacheKiB, 16,000 KiB by default", async (t) => {
  const dataDir = await tempDataDir(t);
  const cacheOf = (d: Database): number =>
    (d.stmt("PRAGMA cache_size").get() as { cache_size: number }).cache_size;
  const small = new Database(accountPath(dataDir, "a@example.com"), 2048);
  t.after(() => small.close());
  assert.equal(cacheOf(small), -2048);
  const usual = new Database(accountPath(dataDir, "b@example.com"));
  t.after(() => usual.close());
  assert.equal(cacheOf(usual), -DEFAULT_CACHE_KIB);
  assert.equal(DEFAULT_CACHE_KIB, 16_000);
});

test("a relaxed commit runs without its own fsync and the next commit is full again", async (t) => {
  const dataDir = await tempDataDir(t);
  const d = new Database(accountPath(dataDir, "a@example.com"));
  t.after(() => d.close());
  const level = (): number =>
    (d.db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous;
  d.write(() => d.db.exec("CREATE TABLE t (x)"));
  const seen: number[] = [];
  d.write(() => {
    seen.push(level());
    d.db.exec("INSERT INTO t VALUES (1)");
  }, "relaxed");
  d.write(() => seen.push(level()));
  assert.throws(() =>
    d.write(() => {
      throw new Error("undone");
    }, "relaxed"),
  );
  assert.deepEqual(seen, [1, 2], "NORMAL (1) inside the relaxed commit, FULL (2) after");
  assert.equal(level(), 2, "FULL again after a relaxed commit that failed");
});
