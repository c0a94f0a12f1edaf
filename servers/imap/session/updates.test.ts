/**
 * Untagged updates across sessions (RFC 9051 §7.5.1, §5.5): flag changes and new messages may be
 * reported during any command; expunges not during FETCH, STORE or SEARCH (only their UID
 * forms), so the other session's sequence numbers never shift under it. IDLE pushes all.
 */
import { after, before, describe, it } from "node:test";
import { openMailStore } from "../../store/index.ts";
import { account, createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

describe("untagged updates between sessions", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("defers EXPUNGE during FETCH, STORE and SEARCH and sends it on NOOP", async (t) => {
    await seed(env, "alice", "INBOX", [message(), message(), message()]);
    const a = await loggedIn(t, env, "alice", "INBOX");
    const b = await loggedIn(t, env, "alice", "INBOX");
    await b.run(`
      C: x STORE 2 +FLAGS.SILENT (\\Deleted)
      S: x OK STORE completed
      C: y EXPUNGE
      S: * 2 EXPUNGE
      S: y OK EXPUNGE completed
      C: z STORE 1 +FLAGS.SILENT (\\Flagged)
      S: z OK STORE completed
    `);
    await seed(env, "alice", "INBOX", [message()]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await a.run(`
      C: a FETCH 1:3 UID
      S: * 1 FETCH (UID 1)
      S: * 3 FETCH (UID 3)
      S: * 4 EXISTS
      S: * 4 RECENT
      S: * 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))
      S: a NO [EXPUNGEISSUED] Some of the requested messages no longer exist
      C: b SEARCH ALL
      S: * SEARCH 1 3 4
      S: b OK SEARCH completed
      C: c STORE 3 FLAGS (\\Seen)
      S: * 3 FETCH (FLAGS (\\Seen \\Recent))
      S: c OK STORE completed
      C: d NOOP
      S: * 2 EXPUNGE
      S: d OK NOOP completed
      C: e FETCH 1:* UID
      S: * 1 FETCH (UID 1)
      S: * 2 FETCH (UID 3)
      S: * 3 FETCH (UID 4)
      S: e OK FETCH completed
    `);
  });

  it("sends EXPUNGE during UID commands", async (t) => {
    await seed(env, "bob", "INBOX", [message(), message()]);
    const a = await loggedIn(t, env, "bob", "INBOX");
    const b = await loggedIn(t, env, "bob", "INBOX");
    await b.command("x STORE 1 +FLAGS.SILENT (\\Deleted)");
    await b.command("y EXPUNGE");
    await new Promise((resolve) => setTimeout(resolve, 150));
    await a.run(`
      C: a UID FETCH 1:* FLAGS
      S: * 2 FETCH (UID 2 FLAGS (\\Recent))
      S: * 1 EXPUNGE
      S: a OK UID FETCH completed
    `);
  });

  it("pushes new messages, flag changes and expunges to an IDLE client", async (t) => {
    await seed(env, "carol", "INBOX", [message(), message()]);
    const a = await loggedIn(t, env, "carol", "INBOX");
    const b = await loggedIn(t, env, "carol", "INBOX");
    await a.run(`
      C: a IDLE
      S: + idling
    `);
    await seed(env, "carol", "INBOX", [message()]);
    await a.run(`
      S: * 3 EXISTS
      S: * 3 RECENT
    `);
    await b.command("x STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.run(`
      S: * 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))
    `);
    await b.command("y EXPUNGE");
    await a.run(`
      S: * 1 EXPUNGE
      C: DONE
      S: a OK IDLE terminated
      C: b IDLE
      S: + idling
      C: NOPE
      S: b BAD Expected DONE
      C: c NOOP
      S: c OK NOOP completed
    `);
  });

  it("idles in the authenticated state until DONE", async (t) => {
    const a = await loggedIn(t, env, "dave");
    await a.run(`
      C: a IDLE
      S: + idling
      C: done
      S: a OK IDLE terminated
    `);
  });
});

describe("a selected mailbox deleted elsewhere", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("ends the session that had it selected", async (t) => {
    const a = await loggedIn(t, env, "alice");
    await a.command("c CREATE Doomed");
    await a.command("s SELECT Doomed");
    const b = await loggedIn(t, env, "alice");
    await b.command("d DELETE Doomed");
    await new Promise((resolve) => setTimeout(resolve, 150));
    await a.run(`
      C: n NOOP
      S: * BYE Selected mailbox was deleted
      S: (closed)
    `);
  });
});

describe("changes made by another session of this process", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("are visible to the next command at once (imaptest append: APPEND on one, NOOP on the other)", async (t) => {
    const a = await loggedIn(t, env, "alice", "INBOX");
    const b = await loggedIn(t, env, "alice", "INBOX");
    const raw = message().toString();
    a.write(`x APPEND INBOX (\\Seen) {${raw.length}+}\r\n${raw}\r\n`);
    await a.run(`
      S: * 1 EXISTS
      S: * 1 RECENT
      S: x OK [APPENDUID ...] APPEND completed
    `);
    await b.run(`
      C: n NOOP
      S: * 1 EXISTS
      S: * 0 RECENT
      S: n OK NOOP completed
    `);
  });
});

describe("changes made by another process", () => {
  // The sessions' store polls for other connections' commits once an hour: only the check at
  // each command can show them (the seeding store is another connection, as another process).
  let env: TestEnv;
  let slow: TestEnv;
  before(async () => {
    env = await createEnv();
    const store = openMailStore({ dataDir: env.dataDir, pollIntervalMs: 3_600_000 });
    slow = { ...env, store, services: { ...env.services, store }, close: () => store.close() };
  });
  after(async () => {
    await slow.close();
    await env.close();
  });

  it("are visible to the next command at once, without waiting for the store's poll", async (t) => {
    await seed(env, "carol", "INBOX", [message(), message()]);
    const a = await loggedIn(t, slow, "carol", "INBOX");
    await seed(env, "carol", "INBOX", [message()]);
    await a.run(`
      C: n NOOP
      S: * 3 EXISTS
      S: * 3 RECENT
      S: n OK NOOP completed
    `);
    const other = await account(env, "carol");
    try {
      const inbox = await other.openMailbox("INBOX");
      await inbox.storeFlags([[1, 1]], "add", ["\\Deleted"]);
      await inbox.storeFlags([[2, 2]], "add", ["\\Flagged"]);
      await inbox.expunge();
    } finally {
      await other.close();
    }
    await a.run(`
      C: m NOOP
      S: * 1 EXPUNGE
      S: * 1 FETCH (UID 2 FLAGS (\\Flagged \\Recent))
      S: m OK NOOP completed
    `);
  });
});
