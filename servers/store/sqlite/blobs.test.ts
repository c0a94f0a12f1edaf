import assert from "node:assert/strict";
import { readdir, rename, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test, type TestContext } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { isStoreError } from "../errors.ts";
import { checkConsistency } from "../testing/consistency.ts";
import { message, tempAccount } from "../testing/fixtures.ts";
import { FILE_BODY_MIN_BYTES, INCOMING_GRACE_MS, RELEASE_DELAY_MS, collectBlobs } from "./blobs.ts";
import { accountPath, Database } from "./database.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

const large = (subject: string, fill = "x"): Uint8Array =>
  message({
    subject,
    body: `${subject} starts here\r\n${fill.repeat(FILE_BODY_MIN_BYTES + 1000)}`,
  });

async function files(dir: string, folder: string): Promise<string[]> {
  return (await readdir(join(dir, folder)).catch(() => [])).sort();
}

function blobRows(path: string): { blob: string | null; refs: number }[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare("SELECT blob, refs FROM contents ORDER BY id").all() as {
      blob: string | null;
      refs: number;
    }[];
    return rows.map(({ blob, refs }) => ({ blob, refs }));
  } finally {
    db.close();
  }
}

/** An account holding one large message in INBOX, with where its files are. */
async function withLargeMessage(t: TestContext, subject: string) {
  const { account, dataDir } = await tempAccount(t);
  const path = accountPath(dataDir, account.userId);
  const dir = dirname(path);
  const raw = large(subject);
  await account.append("INBOX", raw);
  const [name] = await files(dir, "blobs");
  assert.ok(name, "the large body has a file");
  return { account, path, dir, raw, name };
}

test("a large body is written once, to its own file, and read back whole, by range and by section", async (t) => {
  const { account, dataDir } = await tempAccount(t);
  const path = accountPath(dataDir, account.userId);
  const dir = dirname(path);
  const raw = large("big");
  const small = message({ subject: "small" });
  await account.append("INBOX", raw);
  await account.append("INBOX", small);
  const rows = blobRows(path);
  assert.equal(rows.length, 2);
  const name = rows[0]?.blob;
  assert.ok(name, "the large body has a file");
  assert.equal(rows[1]?.blob, null, "a small one stays in the database");
  assert.deepEqual(await files(dir, "blobs"), [name]);
  assert.deepEqual(await files(dir, "incoming"), [], "the committed file left incoming/");

  const inbox = await account.openMailbox("INBOX");
  assert.deepEqual(await inbox.read(1), raw);
  assert.deepEqual(await inbox.read(2), small);
  const headerEnd = Buffer.from(raw).indexOf("\r\n\r\n") + 4;
  for (const [start, end] of [
    [0, 10],
    [headerEnd - 5, headerEnd + 5],
    [headerEnd, headerEnd + 1],
    [headerEnd + 100, raw.byteLength],
    [raw.byteLength - 3, raw.byteLength + 100],
  ] as const) {
    assert.deepEqual(await inbox.read(1, { start, end }), raw.subarray(start, end), `${start}`);
  }
  assert.deepEqual(
    Buffer.from((await inbox.readSection(1, { part: [], text: "HEADER" })) ?? []),
    Buffer.from(raw.subarray(0, headerEnd)),
  );
  assert.deepEqual(
    Buffer.from((await inbox.readSection(1, { part: [], text: "TEXT" })) ?? []),
    Buffer.from(raw.subarray(headerEnd)),
  );
  // A plain ASCII body in a file is searched in its file; headers never open it.
  assert.deepEqual(await inbox.search([{ type: "body", value: "BIG starts" }]), [1]);
  assert.deepEqual(await inbox.search([{ type: "text", value: "small" }]), [2]);
  assert.deepEqual(await inbox.search([{ type: "header", field: "subject", value: "big" }]), [1]);
  assert.deepEqual(checkConsistency(path), []);
});

test("copies share the file; the last expunge releases it and the collector deletes it later", async (t) => {
  const { account, path, dir, raw, name } = await withLargeMessage(t, "shared");
  const archive = await account.mailboxByRole("\\Archive");
  const inbox = await account.openMailbox("INBOX");
  await inbox.copy([[1, 1]], archive.id);
  assert.deepEqual(blobRows(path), [{ blob: name, refs: 2 }]);

  await inbox.storeFlags([[1, 1]], "add", ["\\Deleted"]);
  await inbox.expunge();
  const box = await account.openMailbox(archive.id);
  assert.deepEqual(await box.read(1), raw, "the copy still reads its body");
  await box.storeFlags([[1, 1]], "add", ["\\Deleted"]);
  await box.expunge();
  assert.deepEqual(blobRows(path), []);
  assert.deepEqual(await files(dir, "blobs"), [name], "kept for readers of older snapshots");
  assert.deepEqual(checkConsistency(path), []);

  const d = new Database(path);
  t.after(() => d.close());
  await collectBlobs(d, Date.now() + RELEASE_DELAY_MS - 60_000);
  assert.deepEqual(await files(dir, "blobs"), [name], "not before the delay");
  await collectBlobs(d, Date.now() + RELEASE_DELAY_MS + 1000);
  assert.deepEqual(await files(dir, "blobs"), []);
  assert.equal(d.db.prepare("SELECT count(*) AS n FROM released_blobs").get()?.n, 0);
  assert.deepEqual(checkConsistency(path), []);
});

test("after a crash: a committed body left in incoming/ is read and moved; an uncommitted one is deleted", async (t) => {
  const { account, path, dir, raw, name } = await withLargeMessage(t, "moved");
  // As if the process died between the commit and the rename, and another append's file was
  // written but never committed.
  await rename(join(dir, "blobs", name), join(dir, "incoming", name));
  await writeFile(join(dir, "incoming", "abandoned"), "half a body");
  const old = new Date(Date.now() - INCOMING_GRACE_MS - 1000);
  await utimes(join(dir, "incoming", name), old, old);
  await utimes(join(dir, "incoming", "abandoned"), old, old);
  await writeFile(join(dir, "incoming", "in-flight"), "another process's append");

  const inbox = await account.openMailbox("INBOX");
  assert.deepEqual(await inbox.read(1), raw, "read from incoming/");
  const d = new Database(path);
  t.after(() => d.close());
  await collectBlobs(d);
  assert.deepEqual(await files(dir, "blobs"), [name]);
  assert.deepEqual(await files(dir, "incoming"), ["in-flight"], "a recent file is left alone");
  assert.deepEqual(await inbox.read(1), raw);
});

test("a large append that is refused or a duplicate leaves no file behind", async (t) => {
  const { account, dataDir } = await tempAccount(t);
  const dir = dirname(accountPath(dataDir, account.userId));
  const raw = large("quota");
  await account.setQuota({ storageBytes: raw.byteLength - 1 });
  await assert.rejects(account.append("INBOX", raw), (e) => isStoreError(e, "OVERQUOTA"));
  await account.setQuota({});
  const dedupe = { key: "<same@example.org>", windowMs: 60_000 };
  const first = await account.append("INBOX", raw, { dedupe });
  const again = await account.append("INBOX", raw, { dedupe });
  assert.equal(first.duplicate, false);
  assert.equal(again.duplicate, true);
  assert.equal((await files(dir, "blobs")).length, 1);
  assert.deepEqual(await files(dir, "incoming"), []);
});

test("a plain ASCII body kept in a file is searched in its file, without a copy of its text", async (t) => {
  const { dataDir } = await tempAccount(t);
  // Such bodies reach files only near the size limit of raw search text; a lower line shows it.
  const store = new SqliteMailStore({ dataDir, fileBodyMinBytes: 1000 });
  t.after(() => store.close());
  const account = await store.openAccount("raw@example.com");
  const path = accountPath(dataDir, account.userId);
  await account.append("INBOX", message({ body: `${"plain line\r\n".repeat(500)}The Needle\r\n` }));
  await account.append("INBOX", message({ body: "short" }));
  const db = new DatabaseSync(path, { readOnly: true });
  const row = db.prepare("SELECT body_raw, blob FROM contents WHERE id = 1").get();
  const copies = db.prepare("SELECT count(*) AS n FROM body_texts").get();
  db.close();
  assert.equal(row?.body_raw, 1);
  assert.ok(row?.blob, "in a file");
  assert.equal(copies?.n, 0, "no second copy of the text");
  const inbox = await account.openMailbox("INBOX");
  assert.deepEqual(await inbox.search([{ type: "body", value: "the needle" }]), [1]);
  assert.deepEqual(await inbox.search([{ type: "text", value: "SHORT" }]), [2]);
  assert.deepEqual(await inbox.search([{ type: "body", value: "absent" }]), []);
});
