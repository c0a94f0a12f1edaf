import assert from "node:assert/strict";
import { test } from "node:test";
import { isStoreError } from "../errors.ts";
import { message, tempAccount } from "../testing/fixtures.ts";

test("a new account has INBOX and the special-use mailboxes, subscribed", async (t) => {
  const { account } = await tempAccount(t);
  const boxes = await account.listMailboxes();
  assert.deepEqual(
    boxes.map((b) => [b.name, b.specialUse, b.subscribed]),
    [
      ["Archive", "\\Archive", true],
      ["Drafts", "\\Drafts", true],
      ["INBOX", "\\Inbox", true],
      ["Junk", "\\Junk", true],
      ["Sent", "\\Sent", true],
      ["Trash", "\\Trash", true],
    ],
  );
  const validities = new Set(boxes.map((b) => b.uidValidity));
  assert.equal(validities.size, boxes.length, "every mailbox has its own UIDVALIDITY");
  for (const box of boxes) {
    assert.equal(box.uidNext, 1);
    assert.ok(box.highestModseq >= 1);
  }
});

test("create makes missing parents, refuses duplicates and bad names", async (t) => {
  const { account } = await tempAccount(t);
  const created = await account.createMailbox("Projects/2024/Q1");
  assert.equal(created.name, "Projects/2024/Q1");
  const names = (await account.listMailboxes()).map((b) => b.name);
  assert.ok(names.includes("Projects") && names.includes("Projects/2024"));
  await assert.rejects(account.createMailbox("Projects/2024/Q1"), (e) =>
    isStoreError(e, "ALREADYEXISTS"),
  );
  await assert.rejects(account.createMailbox("inbox"), (e) => isStoreError(e, "ALREADYEXISTS"));
  for (const bad of ["", "/a", "a/", "a//b", "a*", "a%b", "a\u0001"]) {
    await assert.rejects(account.createMailbox(bad), (e) => isStoreError(e, "INVALID"), bad);
  }
  const inboxChild = await account.createMailbox("inbox/Sub");
  assert.equal(inboxChild.name, "INBOX/Sub", "INBOX is spelled in capitals");
  const nfc = await account.createMailbox("Cafe\u0301");
  assert.equal(nfc.name, "Caf\u00e9", "names are NFC");
  assert.equal((await account.getMailbox("CAF\u00c9"))?.name, undefined, "only INBOX ignores case");
  assert.equal((await account.getMailbox("inbox"))?.name, "INBOX");
});

test("UIDVALIDITY of a re-created mailbox differs from the deleted one", async (t) => {
  const { account } = await tempAccount(t);
  const first = await account.createMailbox("Temp");
  await account.deleteMailbox("Temp");
  const second = await account.createMailbox("Temp");
  assert.ok(second.uidValidity > first.uidValidity);
  assert.ok(second.id > first.id, "ids are never reused");
});

test("rename moves children and subscriptions and keeps ids, UIDVALIDITY and messages", async (t) => {
  const { account } = await tempAccount(t);
  const parent = await account.createMailbox("Work");
  const child = await account.createMailbox("Work/Reports");
  await account.setSubscribed("Work/Reports", true);
  await account.append("Work/Reports", message({ subject: "r1" }));
  await account.renameMailbox("Work", "Old/Work");
  const moved = await account.getMailbox("Old/Work/Reports");
  assert.equal(moved?.id, child.id);
  assert.equal(moved?.uidValidity, child.uidValidity);
  assert.equal(moved?.subscribed, true);
  assert.equal((await account.getMailbox("Old/Work"))?.id, parent.id);
  assert.ok(await account.getMailbox("Old"), "the new superior was created");
  assert.equal(await account.getMailbox("Work/Reports"), undefined);
  assert.deepEqual(
    (await account.listSubscriptions()).filter((n) => n.includes("Work")),
    ["Old/Work/Reports"],
  );
  assert.equal((await account.status("Old/Work/Reports")).messages, 1);
  await assert.rejects(account.renameMailbox("Old", "Old/Inner"), (e) => isStoreError(e, "CANNOT"));
  await assert.rejects(account.renameMailbox("Old", "Sent"), (e) =>
    isStoreError(e, "ALREADYEXISTS"),
  );
  await assert.rejects(account.renameMailbox("Nope", "Other"), (e) =>
    isStoreError(e, "NONEXISTENT"),
  );
});

test("renaming INBOX moves its messages to a new mailbox and leaves INBOX empty", async (t) => {
  const { account } = await tempAccount(t);
  await account.append("INBOX", message({ subject: "a" }), { flags: ["\\Seen"] });
  await account.append("INBOX", message({ subject: "b" }));
  const inbox = await account.getMailbox("INBOX");
  await account.renameMailbox("INBOX", "Old Inbox");
  const after = await account.status("INBOX");
  assert.equal(after.messages, 0);
  assert.equal(after.id, inbox?.id);
  const old = await account.openMailbox("Old Inbox");
  const list = await old.list();
  assert.equal(list.length, 2);
  assert.deepEqual(list[0]?.flags, ["\\Seen"]);
});

test("delete removes the mailbox and its messages, keeps children, refuses INBOX", async (t) => {
  const { account } = await tempAccount(t);
  await account.createMailbox("A/B");
  await account.append("A", message());
  const usage = await account.quota();
  assert.equal(usage.messages, 1);
  await account.deleteMailbox("A");
  assert.equal(await account.getMailbox("A"), undefined);
  assert.ok(await account.getMailbox("A/B"));
  assert.deepEqual(await account.quota(), { ...usage, messages: 0, storageBytes: 0 });
  await assert.rejects(account.deleteMailbox("INBOX"), (e) => isStoreError(e, "CANNOT"));
  await assert.rejects(account.deleteMailbox("A"), (e) => isStoreError(e, "NONEXISTENT"));
});

test("subscriptions are names: they outlive their mailbox", async (t) => {
  const { account } = await tempAccount(t);
  await account.createMailbox("News");
  await account.setSubscribed("News", true);
  await account.deleteMailbox("News");
  assert.ok((await account.listSubscriptions()).includes("News"));
  await account.setSubscribed("News", false);
  assert.ok(!(await account.listSubscriptions()).includes("News"));
  await account.setSubscribed("Never/Created", true);
  assert.ok((await account.listSubscriptions()).includes("Never/Created"));
});

test("a role is created on first use, or adopts a mailbox of the default name", async (t) => {
  const { account } = await tempAccount(t);
  await account.deleteMailbox("Junk");
  const junk = await account.mailboxByRole("\\Junk");
  assert.equal(junk.name, "Junk");
  assert.equal(junk.specialUse, "\\Junk");
  await account.renameMailbox("Sent", "Sent Items");
  assert.equal(
    (await account.mailboxByRole("\\Sent")).name,
    "Sent Items",
    "a role follows its mailbox",
  );
  await assert.rejects(account.createMailbox("Other", { specialUse: "\\Sent" }), (e) =>
    isStoreError(e, "CANNOT"),
  );
});
