import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ThreadFacts } from "../../store/index.ts";
import { formatThreads, orderedSubject, references } from "../search/thread.ts";
import { createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

describe("SORT and THREAD", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
    await seed(env, "alice", "INBOX", [
      message({
        subject: "Zebra",
        from: "Carol <carol@example.org>",
        date: "Wed, 9 Feb 2022 10:00:00 +0000",
        messageId: "a@x",
      }),
      message({
        subject: "Re: Apple",
        from: "Alice <alice@example.org>",
        date: "Tue, 8 Feb 2022 10:00:00 +0000",
        messageId: "b@x",
        headers: ["In-Reply-To: <c@x>", "References: <c@x>"],
      }),
      message({
        subject: "Apple",
        from: "Bob <bob@example.org>",
        date: "Mon, 7 Feb 2022 10:00:00 +0000",
        messageId: "c@x",
        body: "x".repeat(500),
      }),
      message({
        subject: "Re: Re: Apple",
        from: "Bob <bob@example.org>",
        date: "Thu, 10 Feb 2022 10:00:00 +0000",
        messageId: "d@x",
        headers: ["References: <c@x> <b@x>"],
      }),
    ]);
  });
  after(() => env.close());

  it("sorts by subject, date, size, sender, reversed", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.command("e EXAMINE INBOX");
    await c.run(`
      C: a SORT (SUBJECT DATE) UTF-8 ALL
      S: * SORT 3 2 4 1
      S: a OK SORT completed
      C: b SORT (REVERSE DATE) UTF-8 ALL
      S: * SORT 4 1 2 3
      S: b OK SORT completed
      C: c UID SORT (FROM) UTF-8 NOT FROM carol
      S: * SORT 2 3 4
      S: c OK UID SORT completed
      C: d SORT (REVERSE SIZE) US-ASCII 1:4
      S: * SORT 3 ...
      S: d OK SORT completed
      C: e SORT (BOGUS) UTF-8 ALL
      S: e BAD Unknown sort key BOGUS
      C: f SORT (DATE) KOI8-R ALL
      S: f NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset
    `);
  });

  it("threads by ORDEREDSUBJECT and REFERENCES", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.command("e EXAMINE INBOX");
    await c.run(`
      C: a THREAD ORDEREDSUBJECT UTF-8 ALL
      S: * THREAD (3 (2)(4))(1)
      S: a OK THREAD completed
      C: b THREAD REFERENCES UTF-8 ALL
      S: * THREAD (3 2 4)(1)
      S: b OK THREAD completed
      C: c UID THREAD REFERENCES UTF-8 SUBJECT zebra
      S: * THREAD (1)
      S: c OK UID THREAD completed
      C: d THREAD REFERENCES UTF-8 SUBJECT nothing
      S: * THREAD
      S: d OK THREAD completed
      C: e THREAD BOGUS UTF-8 ALL
      S: e BAD Unknown algorithm BOGUS
    `);
  });

  it("sorts address groups by their name and DISPLAYTO by decoded names (imaptest)", async (t) => {
    const raw = (header: string) => Buffer.from(`${header}\r\nSubject: x\r\n\r\nbody\r\n`);
    await seed(env, "grace", "INBOX", [
      raw("Cc: user2@domain2.org (foo bar)\r\nTo: foo bar <a@b.c>"),
      raw("Cc: user2: blah@domain1.org;\r\nTo: =?iso-8859-1?q?foo_aar?= <e@f.g>"),
      raw("Cc: user1@domain1.org\r\nTo: a: xx@xx.org, yy@yy.org;"),
      raw("To: empty:;"),
    ]);
    const c = await loggedIn(t, env, "grace", "INBOX");
    await c.run(`
      C: a SORT (CC) US-ASCII 1:3
      S: * SORT 3 1 2
      S: a OK SORT completed
      C: b SORT (REVERSE CC) US-ASCII 1:3
      S: * SORT 1 2 3
      S: b OK SORT completed
      C: c SORT (DISPLAYTO) UTF-8 ALL
      S: * SORT 3 4 2 1
      S: c OK SORT completed
    `);
  });

  it("gathers base subjects that differ only in case (RFC 5256 §2.1)", async (t) => {
    await seed(env, "heidi", "INBOX", [
      message({ subject: "apple pie", date: "Mon, 7 Feb 2022 10:00:00 +0000" }),
      message({ subject: "Re: APPLE PIE", date: "Tue, 8 Feb 2022 10:00:00 +0000" }),
      message({ subject: "banana", date: "Wed, 9 Feb 2022 10:00:00 +0000" }),
      message({ subject: "Apple Pie", date: "Thu, 10 Feb 2022 10:00:00 +0000" }),
    ]);
    const c = await loggedIn(t, env, "heidi", "INBOX");
    await c.run(`
      C: a THREAD ORDEREDSUBJECT UTF-8 ALL
      S: * THREAD (1 (2)(4))(3)
      S: a OK THREAD completed
      C: b THREAD REFERENCES UTF-8 ALL
      S: * THREAD ((1 2)(4))(3)
      S: b OK THREAD completed
    `);
  });

  it("builds REFERENCES threads with dummies, loops and subject gathering (RFC 5256 §2.2)", () => {
    const fact = (
      uid: number,
      messageId: string | null,
      refs: string[],
      subject: string,
      day: number,
    ): ThreadFacts => ({
      uid,
      messageId,
      references: refs,
      baseSubject: subject,
      isReply: false,
      sentTime: Date.UTC(2022, 1, day),
    });
    const facts = [
      fact(1, "m1", [], "one", 1),
      fact(2, "m2", ["missing", "m1"], "one", 2),
      fact(3, "m3", ["missing"], "other", 3),
      fact(4, "m4", ["missing"], "other", 4),
      fact(5, "m5", ["m6"], "loop", 5),
      fact(6, "m6", ["m5"], "loop", 6), // a loop is not made
      fact(7, null, [], "one", 7), // same base subject, no references: gathered with m1's thread
      fact(8, "m1", [], "dup", 8), // a duplicate message-id is a message of its own
    ];
    const id = (uid: number) => uid;
    // m1 becomes a child of the missing message m2 names first; m3 and m4 join it there; the
    // dummy keeps its three children at the root; m7 joins by subject; m6 parents m5 (no loop).
    assert.equal(formatThreads(references(facts), id), "((1 2)(3)(4)(7))(6 5)(8)");
    assert.equal(formatThreads(orderedSubject(facts), id), "(1 (2)(7))(3 4)(5 6)(8)");
    // imaptest "thread": a message's own References replace a presumed parent, even when the
    // new link would loop (then it has none).
    const looped = [
      fact(1, "a", [], "", 17),
      fact(2, "b", ["a", "c"], "", 15),
      fact(3, "c", ["b"], "", 16),
    ];
    assert.equal(formatThreads(references(looped), id), "(3 2)(1)");
    // imaptest "thread3": same subject, the reply goes under the original.
    const replies = [fact(1, "a", [], "foo", 1), fact(2, "a", [], "foo", 2)];
    const reply = { ...fact(2, "a", [], "foo", 2), isReply: true };
    assert.equal(formatThreads(references([fact(1, "a", [], "foo", 1), reply]), id), "(1 2)");
    assert.equal(formatThreads(references(replies), id), "((1)(2))");
  });
});
