import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

describe("STORE and UID STORE", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("replaces, adds and removes flags, silently or not, and announces new keywords", async (t) => {
    await seed(env, "alice", "INBOX", [message(), message(), message()]);
    const c = await loggedIn(t, env, "alice");
    await c.command("a ENABLE IMAP4rev2");
    await c.command("s SELECT INBOX");
    await c.run(`
      C: a STORE 1 +FLAGS (\\Seen \\Flagged)
      S: * 1 FETCH (FLAGS (\\Seen \\Flagged))
      S: a OK STORE completed
      C: b STORE 1:2 FLAGS \\Answered
      S: * 1 FETCH (FLAGS (\\Answered))
      S: * 2 FETCH (FLAGS (\\Answered))
      S: b OK STORE completed
      C: c UID STORE 2:3 -FLAGS.SILENT (\\Answered)
      S: c OK UID STORE completed
      C: d STORE 3 +FLAGS ($Label1 \\Draft)
      S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)
      S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)] Flags permitted
      S: * 3 FETCH (FLAGS (\\Draft $Label1))
      S: d OK STORE completed
      C: e UID STORE 1 FLAGS ()
      S: * 1 FETCH (UID 1 FLAGS ())
      S: e OK UID STORE completed
      C: f STORE 1 +FLAGS (\\Recent)
      S: f BAD Invalid flag \\Recent
      C: g STORE 1 FLAGZ (\\Seen)
      S: g BAD Expected FLAGS, +FLAGS or -FLAGS and flags
      C: h STORE 9 +FLAGS (\\Seen)
      S: h BAD Invalid message sequence number
    `);
  });

  it("honours UNCHANGEDSINCE and reports MODIFIED (RFC 7162)", async (t) => {
    await seed(env, "bob", "INBOX", [message(), message()]);
    const c = await loggedIn(t, env, "bob");
    const select = await c.command("s SELECT INBOX (CONDSTORE)");
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(select.join("\n"))?.[1]);
    await c.run(`
      C: a STORE 1 +FLAGS (\\Seen)
      S: * 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) MODSEQ (${modseq + 1}))
      S: a OK STORE completed
      C: b STORE 1:2 (UNCHANGEDSINCE ${modseq}) +FLAGS.SILENT (\\Flagged)
      S: * 2 FETCH (UID 2 MODSEQ (${modseq + 2}))
      S: b OK [MODIFIED 1] STORE completed
      C: c UID STORE 1:2 (UNCHANGEDSINCE ${modseq}) -FLAGS (\\Flagged)
      S: c OK [MODIFIED 1:2] UID STORE completed
      C: d FETCH 1:2 (MODSEQ)
      S: * 1 FETCH (MODSEQ (${modseq + 1}))
      S: * 2 FETCH (MODSEQ (${modseq + 2}))
      S: d OK FETCH completed
    `);
  });

  it("announces a keyword another session set before FETCH or STORE shows it", async (t) => {
    await seed(env, "carol", "INBOX", [message(), message()]);
    const a = await loggedIn(t, env, "carol");
    const b = await loggedIn(t, env, "carol");
    await a.command("s SELECT INBOX");
    await b.command("s SELECT INBOX");
    /** The position of the first line matching `re`, which must exist. */
    const at = (lines: string[], re: RegExp): number => {
      const i = lines.findIndex((l) => re.test(l));
      assert.ok(i >= 0, `no line matching ${re} in:\n${lines.join("\n")}`);
      return i;
    };

    await b.command("x STORE 1 +FLAGS.SILENT ($New)");
    const fetched = await a.command("f FETCH 1 (FLAGS)");
    assert.ok(
      at(fetched, /^\* FLAGS \(.*\$New/) < at(fetched, /^\* 1 FETCH \(FLAGS \(.*\$New/),
      fetched.join("\n"),
    );

    await b.command("y STORE 2 +FLAGS.SILENT ($Other)");
    const stored = await a.command("g STORE 2 +FLAGS (\\Seen)");
    assert.ok(
      at(stored, /^\* FLAGS \(.*\$Other/) < at(stored, /^\* 2 FETCH \(FLAGS \(.*\$Other/),
      stored.join("\n"),
    );
  });
});
