import { after, before, describe, it } from "node:test";
import { createEnv, loggedIn, message, seed, type TestEnv } from "../testing/harness.ts";

describe("SELECT, EXAMINE, CLOSE, UNSELECT", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
    await seed(env, "alice", "INBOX", [
      { raw: message(), flags: ["\\Seen"] },
      { raw: message(), flags: ["\\Deleted", "$Forwarded"] },
      message(),
    ]);
  });
  after(() => env.close());

  it("selects with the IMAP4rev1 responses; \\Recent goes to one session only", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.run(`
      C: a SELECT INBOX
      S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)
      S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted
      S: * 3 EXISTS
      S: * 3 RECENT
      S: * OK [UNSEEN 2] First unseen
      S: * OK [UIDVALIDITY ...] UIDs valid
      S: * OK [UIDNEXT 4] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: a OK [READ-WRITE] SELECT completed
      C: b FETCH 1:* FLAGS
      S: * 1 FETCH (FLAGS (\\Seen \\Recent))
      S: * 2 FETCH (FLAGS (\\Deleted $Forwarded \\Recent))
      S: * 3 FETCH (FLAGS (\\Recent))
      S: b OK FETCH completed
    `);
    const d = await loggedIn(t, env, "alice");
    await d.run(`
      C: a EXAMINE INBOX
      S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)
      S: * OK [PERMANENTFLAGS ()] Flags permitted
      S: * 3 EXISTS
      S: * 0 RECENT
      S: * OK [UNSEEN 2] First unseen
      S: * OK [UIDVALIDITY ...] UIDs valid
      S: * OK [UIDNEXT 4] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: a OK [READ-ONLY] EXAMINE completed
      C: b STORE 1 +FLAGS (\\Flagged)
      S: b NO Mailbox is read-only
      C: c EXPUNGE
      S: c NO [CANNOT] Mailbox is read-only
      C: d CLOSE
      S: d OK CLOSE completed
      C: e FETCH 1 FLAGS
      S: e BAD No mailbox selected
      C: f SELECT Nope
      S: f NO [NONEXISTENT] Mailbox does not exist
      C: g SELECT INBOX (BOGUS)
      S: g BAD Unknown SELECT parameter BOGUS
      C: h SELECT INBOX (QRESYNC (1 1))
      S: h BAD Enable QRESYNC first
    `);
  });

  it("CLOSE expunges silently, UNSELECT does not", async (t) => {
    await seed(env, "bob", "INBOX", [{ raw: message(), flags: ["\\Deleted"] }, message()]);
    const c = await loggedIn(t, env, "bob", "INBOX");
    await c.run(`
      C: a UNSELECT
      S: a OK UNSELECT completed
      C: b STATUS INBOX (MESSAGES)
      S: * STATUS "INBOX" (MESSAGES 2)
      S: b OK STATUS completed
      C: c SELECT INBOX (CONDSTORE)
      S: * FLAGS (...)
      S: * OK [PERMANENTFLAGS (...)] Flags permitted
      S: * 2 EXISTS
      S: * 0 RECENT
      S: * OK [UNSEEN 1] First unseen
      S: * OK [UIDVALIDITY ...] UIDs valid
      S: * OK [UIDNEXT 3] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: c OK [READ-WRITE] SELECT completed
      C: d CLOSE
      S: d OK CLOSE completed
      C: e STATUS INBOX (MESSAGES)
      S: * STATUS "INBOX" (MESSAGES 1)
      S: e OK STATUS completed
    `);
  });

  it("resynchronizes a QRESYNC client: VANISHED (EARLIER) and changed flags", async (t) => {
    const uids = await seed(env, "carol", "INBOX", [message(), message(), message()]);
    const c = await loggedIn(t, env, "carol");
    const select = await c.command("a SELECT INBOX");
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(select.join("\n"))?.[1]);
    const validity = Number(/UIDVALIDITY (\d+)/.exec(select.join("\n"))?.[1]);
    await c.run(`
      C: b STORE 2 +FLAGS.SILENT (\\Deleted)
      S: b OK STORE completed
      C: c STORE 3 +FLAGS.SILENT (\\Flagged)
      S: c OK STORE completed
      C: d EXPUNGE
      S: * 2 EXPUNGE
      S: d OK EXPUNGE completed
      C: e UNSELECT
      S: e OK UNSELECT completed
      C: f ENABLE QRESYNC
      S: * ENABLED QRESYNC
      S: f OK ENABLE completed
      C: g SELECT INBOX (QRESYNC (${validity} ${modseq} 1:${uids.at(-1)}))
      S: * FLAGS (...)
      S: * OK [PERMANENTFLAGS (...)] Flags permitted
      S: * 2 EXISTS
      S: * 0 RECENT
      S: * OK [UNSEEN 1] First unseen
      S: * OK [UIDVALIDITY ${validity}] UIDs valid
      S: * OK [UIDNEXT 4] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: * VANISHED (EARLIER) ${uids[1]}
      S: * 2 FETCH (UID ${uids[2]} FLAGS (\\Flagged) MODSEQ (...))
      S: g OK [READ-WRITE] SELECT completed
      C: h SELECT Sent
      S: * OK [CLOSED] Previous mailbox closed
      S: * FLAGS (...)
      S: * OK [PERMANENTFLAGS (...)] Flags permitted
      S: * 0 EXISTS
      S: * 0 RECENT
      S: * OK [UIDVALIDITY ...] UIDs valid
      S: * OK [UIDNEXT 1] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: h OK [READ-WRITE] SELECT completed
    `);
  });
});
