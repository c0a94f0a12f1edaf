import assert from "node:assert/strict";
import { test } from "node:test";
import { isStoreError } from "../errors.ts";
import { message, tempAccount, text } from "../testing/fixtures.ts";
import { CHUNK_SIZE } from "./schema.ts";
import { SqliteMailStore } from "./sqlite-store.ts";

test("append stores the message byte for byte and assigns increasing UIDs", async (t) => {
  const { account } = await tempAccount(t);
  const raw = message({ subject: "one" });
  const raw2 = message({ subject: "two" });
  const first = await account.append("INBOX", raw, {
    flags: ["\\Seen", "$Label1"],
    internalDate: { time: Date.UTC(2024, 0, 2, 3, 4, 5), zoneMinutes: 120 },
  });
  assert.equal(first.duplicate, false);
  const second = await account.append("INBOX", raw2);
  assert.ok(!first.duplicate && !second.duplicate);
  assert.equal(first.uid, 1);
  assert.equal(second.uid, 2);
  assert.ok(second.modseq > first.modseq);
  const inbox = await account.openMailbox("INBOX");
  assert.deepEqual(await inbox.read(1), raw);
  const [summary] = await inbox.list([[1, 1]]);
  assert.deepEqual(summary, {
    uid: 1,
    modseq: first.modseq,
    flags: ["\\Seen", "$Label1"],
    size: raw.byteLength,
    internalDate: { time: Date.UTC(2024, 0, 2, 3, 4, 5), zoneMinutes: 120 },
  });
  const status = await inbox.status();
  assert.equal(status.messages, 2);
  assert.equal(status.unseen, 1);
  assert.equal(status.uidNext, 3);
  assert.equal(status.size, raw.byteLength + raw2.byteLength);
  assert.equal(status.highestModseq, second.modseq);
  assert.deepEqual(await account.keywords(), ["$Label1"]);
});

test("concurrent appends are committed together and each gets its own UID", async (t) => {
  const { account } = await tempAccount(t);
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => account.append("INBOX", message({ subject: `m${i}` }))),
  );
  const uids = results.map((r) => (r.duplicate ? 0 : r.uid));
  assert.deepEqual(
    uids,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.equal((await account.status("INBOX")).messages, 50);
});

test("one failing append in a batch fails alone", async (t) => {
  const { account } = await tempAccount(t);
  const results = await Promise.allSettled([
    account.append("INBOX", message()),
    account.append("No Such Box", message()),
    account.append("INBOX", message()),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["fulfilled", "rejected", "fulfilled"],
  );
  const failed = results[1];
  assert.ok(failed?.status === "rejected" && isStoreError(failed.reason, "NONEXISTENT"));
  assert.deepEqual(
    (await (await account.openMailbox("INBOX")).list()).map((m) => m.uid),
    [1, 2],
  );
  await assert.rejects(account.append("INBOX", message(), { flags: ["\\Bogus"] }), (e) =>
    isStoreError(e, "INVALID"),
  );
});

test("large messages are stored in chunks and read back whole or by range", async (t) => {
  // Databases written before bodies went to files hold them in chunks (see blobs.ts).
  const { dataDir } = await tempAccount(t);
  const store = new SqliteMailStore({ dataDir, fileBodyMinBytes: Infinity });
  t.after(() => store.close());
  const account = await store.openAccount("chunks@example.com");
  const body = Array.from({ length: 3 * CHUNK_SIZE + 1234 }, (_, i) =>
    String.fromCharCode(33 + (i % 90)),
  ).join("");
  const raw = message({ body });
  await account.append("INBOX", raw);
  const inbox = await account.openMailbox("INBOX");
  assert.deepEqual(await inbox.read(1), raw);
  for (const [start, end] of [
    [0, 10],
    [CHUNK_SIZE - 5, CHUNK_SIZE + 5],
    [100, 2 * CHUNK_SIZE + 77],
    [raw.byteLength - 3, raw.byteLength + 100],
  ] as const) {
    assert.deepEqual(await inbox.read(1, { start, end }), raw.subarray(start, end), `${start}`);
  }
  assert.equal(await inbox.read(99), undefined);
});

test("sections and metadata come from the MIME tree kept at append time", async (t) => {
  const { account } = await tempAccount(t);
  const raw = Buffer.from(
    [
      "From: Bob <bob@example.org>",
      "Subject: parts",
      "Content-Type: multipart/mixed; boundary=b1",
      "",
      "--b1",
      "Content-Type: text/plain",
      "",
      "first part",
      "--b1",
      "Content-Type: message/rfc822",
      "",
      "Subject: inner",
      "From: Carol <carol@example.net>",
      "",
      "inner body",
      "--b1--",
      "",
    ].join("\r\n"),
  );
  await account.append("INBOX", raw);
  const inbox = await account.openMailbox("INBOX");
  const section = async (part: number[], kind: "" | "HEADER" | "TEXT" | "MIME") =>
    text(await inbox.readSection(1, { part, text: kind }));
  assert.equal(await section([1], ""), "first part");
  assert.equal(await section([1], "MIME"), "Content-Type: text/plain\r\n\r\n");
  assert.equal(
    await section([2], "HEADER"),
    "Subject: inner\r\nFrom: Carol <carol@example.net>\r\n\r\n",
  );
  assert.equal(await section([2], "TEXT"), "inner body");
  assert.equal(await section([2, 1], ""), "inner body");
  assert.equal(await section([], "TEXT"), text(raw).slice(text(raw).indexOf("\r\n\r\n") + 4));
  assert.equal(await section([7], ""), "", "a missing part is empty");
  const [meta] = await inbox.metadata([[1, 1]]);
  assert.equal(meta?.envelope.subject, "parts");
  assert.deepEqual(meta?.envelope.from, [
    { name: "Bob", adl: null, mailbox: "bob", host: "example.org" },
  ]);
  assert.equal(meta?.mime.children?.[1]?.message?.envelope.subject, "inner");
});

test("store flags: add, remove, replace, keywords case-insensitive, MODSEQ only on change", async (t) => {
  const { account } = await tempAccount(t);
  for (let i = 0; i < 3; i++) await account.append("INBOX", message());
  const inbox = await account.openMailbox("INBOX");
  const added = await inbox.storeFlags([[1, 2]], "add", ["\\Seen", "Work"]);
  assert.deepEqual(
    added.messages.map((m) => [m.uid, m.flags, m.changed]),
    [
      [1, ["\\Seen", "Work"], true],
      [2, ["\\Seen", "Work"], true],
    ],
  );
  const modseq = added.messages[0]?.modseq ?? 0;
  const again = await inbox.storeFlags([[1, 1]], "add", ["\\seen", "work"]);
  assert.equal(again.messages[0]?.changed, false);
  assert.equal(again.messages[0]?.modseq, modseq, "no change, no new MODSEQ");
  const removed = await inbox.storeFlags([[1, 1]], "remove", ["WORK"]);
  assert.deepEqual(removed.messages[0]?.flags, ["\\Seen"]);
  const replaced = await inbox.storeFlags([[2, 3]], "replace", ["\\Flagged", "\\Deleted"]);
  assert.deepEqual(
    replaced.messages.map((m) => m.flags),
    [
      ["\\Flagged", "\\Deleted"],
      ["\\Flagged", "\\Deleted"],
    ],
  );
  const status = await inbox.status();
  assert.equal(status.unseen, 2);
  assert.equal(status.deleted, 2);
  assert.equal(status.highestModseq, replaced.messages[0]?.modseq);
  await assert.rejects(inbox.storeFlags([[1, 1]], "add", ["bad flag"]), (e) =>
    isStoreError(e, "INVALID"),
  );
});

test("UNCHANGEDSINCE leaves newer messages alone and reports them", async (t) => {
  const { account } = await tempAccount(t);
  for (let i = 0; i < 3; i++) await account.append("INBOX", message());
  const inbox = await account.openMailbox("INBOX");
  const before = (await inbox.status()).highestModseq;
  await inbox.storeFlags([[2, 2]], "add", ["\\Answered"]);
  const result = await inbox.storeFlags([[1, 3]], "add", ["\\Flagged"], { unchangedSince: before });
  assert.deepEqual(result.modified, [2]);
  assert.deepEqual(
    result.messages.map((m) => m.uid),
    [1, 3],
  );
  const [two] = await inbox.list([[2, 2]]);
  assert.deepEqual(two?.flags, ["\\Answered"]);
});

test("expunge removes \\Deleted messages (or a UID subset) and records them for VANISHED", async (t) => {
  const { account } = await tempAccount(t);
  for (let i = 0; i < 5; i++) await account.append("INBOX", message());
  const inbox = await account.openMailbox("INBOX");
  const mark = await inbox.storeFlags([[2, 4]], "add", ["\\Deleted"]);
  const since = mark.messages[0]?.modseq ?? 0;
  assert.deepEqual(await inbox.expunge({ uids: [[4, 5]] }), [4]);
  assert.deepEqual(await inbox.expunge(), [2, 3]);
  assert.deepEqual(await inbox.expunge({ uids: [[1, 1]], onlyDeleted: false }), [1]);
  const status = await inbox.status();
  assert.equal(status.messages, 1);
  assert.equal(status.deleted, 0);
  const changes = await inbox.changesSince(since);
  assert.deepEqual(changes.vanished, [1, 2, 3, 4]);
  assert.deepEqual(changes.changed, []);
  assert.equal((await account.quota()).messages, 1);
});

test("copy and move return the UID map, keep flags and dates, share bytes", async (t) => {
  const { account } = await tempAccount(t);
  const raws = [message({ subject: "a" }), message({ subject: "b" }), message({ subject: "c" })];
  for (const raw of raws) await account.append("INBOX", raw, { flags: ["\\Seen", "Tag"] });
  const inbox = await account.openMailbox("INBOX");
  const archive = await account.getMailbox("Archive");
  assert.ok(archive);
  const copied = await inbox.copy([[1, 2]], archive.id);
  assert.deepEqual(copied, {
    uidValidity: archive.uidValidity,
    pairs: [
      [1, 1],
      [2, 2],
    ],
  });
  const moved = await inbox.move([[2, 3]], archive.id);
  assert.deepEqual(moved.pairs, [
    [2, 3],
    [3, 4],
  ]);
  assert.deepEqual(
    (await inbox.list()).map((m) => m.uid),
    [1],
  );
  const box = await account.openMailbox(archive.id);
  const list = await box.list();
  assert.deepEqual(
    list.map((m) => m.flags),
    Array(4).fill(["\\Seen", "Tag"]),
  );
  assert.deepEqual(await box.read(4), raws[2]);
  assert.deepEqual(await box.read(2), raws[1]);
  const usage = await account.quota();
  assert.equal(usage.messages, 5);
  assert.equal((await inbox.changesSince(0)).vanished.length, 2);
  await box.expunge({ uids: [[1, 4]], onlyDeleted: false });
  assert.deepEqual(await inbox.read(1), raws[0], "bytes stay while one copy remains");
  await assert.rejects(inbox.copy([[1, 1]], 9999), (e) => isStoreError(e, "NONEXISTENT"));
});

test("changesSince lists new and changed messages after a MODSEQ", async (t) => {
  const { account } = await tempAccount(t);
  await account.append("INBOX", message());
  await account.append("INBOX", message());
  const inbox = await account.openMailbox("INBOX");
  const mark = (await inbox.status()).highestModseq;
  await inbox.storeFlags([[1, 1]], "add", ["\\Seen"]);
  await account.append("INBOX", message());
  const changes = await inbox.changesSince(mark);
  assert.deepEqual(
    changes.changed.map((m) => m.uid),
    [1, 3],
  );
  assert.equal(changes.highestModseq, (await inbox.status()).highestModseq);
});

test("\\Recent is claimed by exactly one caller", async (t) => {
  const { account } = await tempAccount(t);
  await account.append("INBOX", message());
  await account.append("INBOX", message());
  const inbox = await account.openMailbox("INBOX");
  assert.equal((await inbox.status()).recent, 2);
  assert.deepEqual(await inbox.claimRecent(), [1, 2]);
  assert.deepEqual(await inbox.claimRecent(), []);
  assert.equal((await inbox.status()).recent, 0);
  await account.append("INBOX", message());
  assert.deepEqual(await inbox.claimRecent(), [3]);
});

test("dedupe suppresses the same key in the same mailbox within the window", async (t) => {
  const { account } = await tempAccount(t);
  const dedupe = { key: "<id-1@example.org>", windowMs: 60_000 };
  const first = await account.append("INBOX", message(), { dedupe });
  const second = await account.append("INBOX", message(), { dedupe });
  const elsewhere = await account.append("Junk", message(), { dedupe });
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true);
  assert.equal(elsewhere.duplicate, false);
  const expired = await account.append("INBOX", message(), { dedupe: { ...dedupe, windowMs: 0 } });
  assert.equal(expired.duplicate, false, "outside the window it is delivered again");
  assert.equal((await account.status("INBOX")).messages, 2);
});

test("quota: storage and message limits are enforced at append and copy, usage exact", async (t) => {
  const { account, store } = await tempAccount(t);
  const raw = message();
  await account.setQuota({ storageBytes: raw.byteLength * 3, messages: 10 });
  await account.append("INBOX", raw);
  await account.append("INBOX", raw);
  const inbox = await account.openMailbox("INBOX");
  await assert.rejects(inbox.copy([[1, 2]], (await account.mailboxByRole("\\Archive")).id), (e) =>
    isStoreError(e, "OVERQUOTA"),
  );
  await account.append("INBOX", raw);
  await assert.rejects(account.append("INBOX", raw), (e) => isStoreError(e, "OVERQUOTA"));
  assert.deepEqual(await account.quota(), {
    storageBytes: raw.byteLength * 3,
    messages: 3,
    storageLimit: raw.byteLength * 3,
    messageLimit: 10,
  });
  await inbox.move([[1, 1]], (await account.mailboxByRole("\\Trash")).id);
  const other = await store.openAccount(account.userId, { quota: { messages: 3 } });
  assert.deepEqual(await other.quota(), {
    storageBytes: raw.byteLength * 3,
    messages: 3,
    storageLimit: undefined,
    messageLimit: 3,
  });
  await other.close();
});
