/**
 * The TRANSACTION and UPDATE states on the session core, no socket: STAT, LIST, UIDL, RETR,
 * TOP, DELE, RSET, NOOP, QUIT, and the store read back afterwards.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createFixture, message, USERS, type Fixture } from "../testing/fixtures.ts";
import { MemoryTranscript } from "../testing/transcript.ts";

const { carol } = USERS;
const M1 = message("m1", "First body line.\r\n.starts with a dot\r\n..two dots\r\nlast");
const M2 = message("m2", "Line 1\r\nLine 2\r\nLine 3");
const M3 = "Subject: bare LF\nX-Test: yes\n\nno CR here\nat all"; // as IMAP APPEND may store it

let f: Fixture;
let uids: number[];
before(async () => {
  f = await createFixture();
});
after(() => f.close());

beforeEach(async () => {
  // Carol's INBOX holds exactly M1, M2, M3 at the start of each test.
  const account = await f.store.openAccount(carol.address);
  const inbox = await account.openMailbox("INBOX");
  await inbox.expunge({ onlyDeleted: false });
  await account.close();
  uids = [await f.deliver(carol.address, M1), await f.deliver(carol.address, M2)];
  uids.push(await f.deliver(carol.address, M3));
});

async function loggedIn(): Promise<MemoryTranscript> {
  const t = await MemoryTranscript.open(f.deps, { implicitTls: true, stls: false });
  await t.login(carol.address, carol.password);
  return t;
}

const size = (raw: string) => Buffer.byteLength(raw, "latin1");
const total = size(M1) + size(M2) + size(M3);

describe("STAT, LIST and UIDL", () => {
  it("STAT counts messages and octets", async () => {
    const t = await loggedIn();
    await t.send("STAT", "+OK", new RegExp(`^3 ${total}$`));
    await t.send("STAT 1", "-ERR", /arguments/);
    await t.send("QUIT", "+OK");
  });

  it("LIST gives the scan listing, LIST n one entry, bad numbers -ERR", async () => {
    const t = await loggedIn();
    assert.deepEqual(await t.sendMulti("LIST", /^3 messages/), [
      `1 ${size(M1)}`,
      `2 ${size(M2)}`,
      `3 ${size(M3)}`,
    ]);
    await t.send("LIST 2", "+OK", new RegExp(`^2 ${size(M2)}$`));
    for (const bad of ["0", "4", "-1", "abc", "1.5", "99999999999"]) {
      await t.send(`LIST ${bad}`, "-ERR", /No such message/);
    }
    await t.send("LIST 1 2", "-ERR", /arguments/);
    await t.send("QUIT", "+OK");
  });

  it("UIDL gives UIDVALIDITY.UID, printable and the same in the next session", async () => {
    const t = await loggedIn();
    const listing = await t.sendMulti("UIDL");
    assert.equal(listing.length, 3);
    const ids = listing.map((line) => line.split(" ")[1] ?? "");
    for (const [i, id] of ids.entries()) {
      assert.match(id, /^\d+\.\d+$/);
      assert.ok(id.length <= 70 && /^[\x21-\x7e]+$/.test(id));
      assert.ok(id.endsWith(`.${uids[i]}`));
    }
    await t.send("UIDL 3", "+OK", new RegExp(`^3 ${ids[2]?.replace(".", "\\.")}$`));
    await t.send("QUIT", "+OK");
    const u = await loggedIn();
    assert.deepEqual(await u.sendMulti("UIDL"), listing);
    await u.send("QUIT", "+OK");
  });
});

describe("RETR and TOP", () => {
  it("RETR sends the message dot-stuffed and sets \\Seen in the store", async () => {
    const t = await loggedIn();
    t.write("RETR 1\r\n");
    await t.expect("+OK", new RegExp(`^${size(M1)} octets$`));
    // Read the raw lines to see the stuffing itself.
    const raw: string[] = [];
    for (let line = await t.line(); line !== "."; line = await t.line()) raw.push(line);
    assert.deepEqual(raw.slice(-4), [
      "First body line.",
      "..starts with a dot",
      "...two dots",
      "last",
    ]);
    await t.send("QUIT", "+OK");
    const stored = await f.inbox(carol.address);
    assert.deepEqual(
      stored.map((m) => m.flags.includes("\\Seen")),
      [true, false, false],
    );
  });

  it("RETR of a bare-LF message sends CRLF lines and ends the last line", async () => {
    const t = await loggedIn();
    assert.deepEqual(await t.sendMulti("RETR 3"), [
      "Subject: bare LF",
      "X-Test: yes",
      "",
      "no CR here",
      "at all",
    ]);
    await t.send("RETR 4", "-ERR", /No such message/);
    await t.send("RETR", "-ERR", /arguments/);
    await t.send("QUIT", "+OK");
  });

  it("TOP sends the header, the blank line and n body lines, without \\Seen", async () => {
    const t = await loggedIn();
    const header = M2.slice(0, M2.indexOf("\r\n\r\n")).split("\r\n");
    assert.deepEqual(await t.sendMulti("TOP 2 0"), [...header, ""]);
    assert.deepEqual(await t.sendMulti("TOP 2 2"), [...header, "", "Line 1", "Line 2"]);
    assert.deepEqual(await t.sendMulti("TOP 2 99"), [...header, "", "Line 1", "Line 2", "Line 3"]);
    assert.deepEqual((await t.sendMulti("TOP 3 1")).slice(-2), ["", "no CR here"]);
    await t.send("TOP 2", "-ERR", /arguments/);
    await t.send("TOP 2 x", "-ERR", /arguments/);
    await t.send("TOP 2 -1", "-ERR", /arguments/);
    await t.send("TOP 9 1", "-ERR", /No such message/);
    await t.send("QUIT", "+OK");
    assert.ok((await f.inbox(carol.address)).every((m) => !m.flags.includes("\\Seen")));
  });
});

describe("DELE, RSET, NOOP and QUIT", () => {
  it("DELE marks, hides from STAT and LIST, refuses access; QUIT removes", async () => {
    const t = await loggedIn();
    await t.send("DELE 2", "+OK", /Message 2 deleted/);
    await t.send("DELE 2", "-ERR", /already deleted/);
    await t.send("RETR 2", "-ERR", /already deleted/);
    await t.send("LIST 2", "-ERR", /already deleted/);
    await t.send("STAT", "+OK", new RegExp(`^2 ${size(M1) + size(M3)}$`));
    assert.deepEqual(
      (await t.sendMulti("LIST")).map((l) => l.split(" ")[0]),
      ["1", "3"],
    );
    assert.equal((await t.sendMulti("UIDL")).length, 2);
    await t.send("DELE 3", "+OK");
    await t.send("NOOP", "+OK");
    await t.send("QUIT", "+OK", /^Bye, 2 messages deleted, 1 left$/);
    await t.closedByServer();
    assert.deepEqual(
      (await f.inbox(carol.address)).map((m) => m.uid),
      [uids[0]],
    );
  });

  it("RSET unmarks everything", async () => {
    const t = await loggedIn();
    await t.send("DELE 1", "+OK");
    await t.send("DELE 3", "+OK");
    await t.send("RSET", "+OK", new RegExp(`^Maildrop has 3 messages \\(${total} octets\\)$`));
    await t.send("RETR 1", "+OK");
    await t.body();
    await t.send("QUIT", "+OK", /0 messages deleted, 3 left/);
    assert.equal((await f.inbox(carol.address)).length, 3);
  });

  it("a dropped connection after DELE deletes nothing (RFC 1939 §6)", async () => {
    const t = await loggedIn();
    await t.send("DELE 1", "+OK");
    await t.send("DELE 2", "+OK");
    t.close();
    assert.equal((await f.inbox(carol.address)).length, 3);
    const u = await loggedIn(); // and the lock went with the connection
    await u.send("STAT", "+OK", /^3 /);
    await u.send("QUIT", "+OK");
  });

  it("an idle timeout deletes nothing either", async () => {
    const t = await loggedIn();
    await t.send("DELE 1", "+OK");
    t.session.timeout();
    await t.expect("-ERR", /Idle/);
    await t.closedByServer();
    assert.equal((await f.inbox(carol.address)).length, 3);
  });

  it("authorization commands are not valid in TRANSACTION", async () => {
    const t = await loggedIn();
    await t.send(`USER ${carol.address}`, "-ERR", /not valid in this state/);
    await t.send("PASS x", "-ERR", /not valid in this state/);
    await t.send("AUTH PLAIN", "-ERR", /not valid in this state/);
    await t.send("APOP carol abc", "-ERR", /Unknown command/);
    const caps = await t.sendMulti("CAPA");
    assert.ok(caps.includes("UIDL") && !caps.includes("USER"));
    await t.send("QUIT", "+OK");
  });
});

describe("the snapshot and other sessions", () => {
  it("does not show mail delivered during the session until the next login", async () => {
    const t = await loggedIn();
    await f.deliver(carol.address, message("late"));
    await t.send("STAT", "+OK", /^3 /);
    await t.send("LIST 4", "-ERR", /No such message/);
    await t.send("QUIT", "+OK");
    const u = await loggedIn();
    await u.send("STAT", "+OK", /^4 /);
    assert.match((await u.sendMulti("TOP 4 0")).join("\n"), /Subject: late/);
    await u.send("QUIT", "+OK");
  });

  it("answers -ERR for a message IMAP expunged meanwhile, and QUIT still works", async () => {
    const t = await loggedIn();
    await t.send("DELE 1", "+OK");
    const account = await f.store.openAccount(carol.address);
    const inbox = await account.openMailbox("INBOX");
    await inbox.expunge({ uids: [[uids[1] ?? 0, uids[1] ?? 0]], onlyDeleted: false });
    await account.close();
    await t.send("RETR 2", "-ERR", /removed by another session/);
    await t.send("TOP 2 0", "-ERR", /removed by another session/);
    await t.send("DELE 2", "+OK"); // already gone: QUIT's expunge skips it
    await t.send("QUIT", "+OK", /^Bye, 1 messages deleted, 1 left$/);
    assert.deepEqual(
      (await f.inbox(carol.address)).map((m) => m.uid),
      [uids[2]],
    );
  });
});
