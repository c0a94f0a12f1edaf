import assert from "node:assert/strict";
import { test } from "node:test";
import { message, tempAccount } from "../testing/fixtures.ts";
import type { StoreEvent } from "../types.ts";

async function until<T>(get: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("watchers in the same process hear of every kind of change, typed", async (t) => {
  const { account, store } = await tempAccount(t);
  const other = await store.openAccount(account.userId);
  const events: StoreEvent[] = [];
  const unwatch = account.watch((e) => events.push(e));
  const inbox = await other.openMailbox("INBOX");
  const inboxId = inbox.id;
  const take = async (type: StoreEvent["type"]): Promise<StoreEvent> => {
    const event = await until(() => events.find((e) => e.type === type));
    events.splice(events.indexOf(event), 1);
    return event;
  };

  await other.append("INBOX", message());
  await other.append("INBOX", message());
  // One event per commit or one for both, depending on timing: together they name both UIDs.
  const added = await until(() => {
    const uids = events.flatMap((e) =>
      e.type === "exists" && e.mailboxId === inboxId ? e.uids : [],
    );
    return uids.length === 2 ? uids : undefined;
  });
  assert.deepEqual(added, [1, 2]);
  events.length = 0;

  const stored = await inbox.storeFlags([[2, 2]], "add", ["\\Deleted"]);
  const flags = await take("flags");
  assert.deepEqual(flags.type === "flags" && [flags.uids, flags.highestModseq], [
    [2],
    stored.messages[0]?.modseq,
  ]);

  await inbox.expunge();
  const expunge = await take("expunge");
  assert.deepEqual(expunge.type === "expunge" && expunge.uids, [2]);

  await other.createMailbox("New");
  await take("mailboxes");
  await other.setSubscribed("New", true);
  await take("mailboxes");

  unwatch();
  await other.append("INBOX", message());
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(events, [], "no events after unwatch");
  await other.close();
});

test("a failing watcher does not stop the others; closing a handle removes its watchers", async (t) => {
  const { account, store } = await tempAccount(t);
  const second = await store.openAccount(account.userId);
  const heard: string[] = [];
  account.watch(() => {
    throw new Error("watcher bug");
  });
  account.watch((e) => heard.push(`first:${e.type}`));
  second.watch((e) => heard.push(`second:${e.type}`));
  await account.append("INBOX", message());
  await until(() => (heard.length === 2 ? heard : undefined));
  assert.deepEqual(heard.sort(), ["first:exists", "second:exists"]);
  await second.close();
  await account.append("INBOX", message());
  await until(() => (heard.length === 3 ? heard : undefined));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(heard.slice(2), ["first:exists"]);
});

test("watchers in the same process hear of a change before the changing call returns", async (t) => {
  const { account, store } = await tempAccount(t);
  const other = await store.openAccount(account.userId);
  const events: StoreEvent[] = [];
  account.watch((e) => events.push(e));
  // No waiting between the call and the check: a session that acts on one connection and then
  // asks on another (IMAP NOOP) must see the change at once.
  await other.append("INBOX", message());
  assert.deepEqual(
    events.map((e) => e.type),
    ["exists"],
  );
  const inbox = await other.openMailbox("INBOX");
  await inbox.storeFlags([[1, 1]], "add", ["\\Seen"]);
  assert.deepEqual(events.at(-1)?.type, "flags");
  await other.createMailbox("Later");
  assert.deepEqual(events.at(-1)?.type, "mailboxes");
  await other.close();
});
