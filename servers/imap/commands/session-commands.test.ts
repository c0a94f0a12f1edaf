import { after, before, describe, it } from "node:test";
import { createEnv, loggedIn, SessionClient, type TestEnv } from "../testing/harness.ts";

describe("ID, ENABLE, NAMESPACE, bad commands", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("answers ID before and after login", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.run(`
      C: a ID ("name" "test" "version" "1.0")
      S: * ID ("name" "mailstack" "vendor" "mailstack")
      S: a OK ID completed
      C: b ID NIL
      S: * ID ("name" "mailstack" "vendor" "mailstack")
      S: b OK ID completed
      C: c ID ("name")
      S: c BAD ID takes up to 30 field/value pairs
      C: d ID name
      S: d BAD Expected ID field list in parentheses
    `);
  });

  it("ENABLEs IMAP4rev2, CONDSTORE, QRESYNC and UTF8=ACCEPT once", async (t) => {
    const c = await loggedIn(t, env, "alice");
    await c.run(`
      C: a ENABLE CONDSTORE X-UNKNOWN
      S: * ENABLED CONDSTORE
      S: a OK ENABLE completed
      C: b ENABLE condstore qresync IMAP4rev2 utf8=accept
      S: * ENABLED QRESYNC IMAP4rev2 UTF8=ACCEPT
      S: b OK ENABLE completed
      C: c ENABLE
      S: c BAD Missing arguments for ENABLE
      C: d NAMESPACE
      S: * NAMESPACE (("" "/")) NIL NIL
      S: d OK NAMESPACE completed
      C: e SELECT INBOX
      S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)
      S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted
      S: * 0 EXISTS
      S: * OK [UIDVALIDITY ...] UIDs valid
      S: * OK [UIDNEXT 1] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: * LIST () "/" "INBOX"
      S: e OK [READ-WRITE] SELECT completed
      C: f ENABLE QRESYNC
      S: f BAD Not allowed now
    `);
  });

  it("answers BAD to malformed commands, and says BYE after too many in a row", async (t) => {
    const c = new SessionClient(env);
    t.after(() => c.end());
    c.session.start();
    await c.run(`
      S: * OK ...
      C: a FROBNICATE
      S: a BAD Unknown command
      C: )junk
      S: * BAD Invalid tag
      C: b LOGIN "unterminated
      S: b BAD Unterminated quoted string
      C: c FETCH 1 FLAGS
      S: c BAD Log in first
      C: d NOOP
      S: d OK NOOP completed
      C: 1 X
      S: 1 BAD Unknown command
      C: 2 X
      S: 2 BAD Unknown command
      C: 3 X
      S: 3 BAD Unknown command
      C: 4 X
      S: 4 BAD Unknown command
      C: 5 X
      S: 5 BAD Unknown command
      C: 6 X
      S: 6 BAD Unknown command
      C: 7 X
      S: 7 BAD Unknown command
      C: 8 X
      S: 8 BAD Unknown command
      C: 9 X
      S: 9 BAD Unknown command
      C: 10 X
      S: 10 BAD Unknown command
      S: * BYE Too many invalid commands
      S: (closed)
    `);
  });
});
