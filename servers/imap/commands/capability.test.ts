import { after, before, describe, it } from "node:test";
import { createEnv, SessionClient, type TestEnv } from "../testing/harness.ts";

const PRE_AUTH = "IMAP4rev1 IMAP4rev2 AUTH=PLAIN SASL-IR ID ENABLE IDLE LITERAL+";

describe("CAPABILITY, NOOP, LOGOUT", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  it("greets with the capabilities and answers CAPABILITY in any state", async (t) => {
    const client = new SessionClient(env);
    t.after(() => client.end());
    client.session.start();
    await client.run(`
      S: * OK [CAPABILITY ${PRE_AUTH}] imap.example.test IMAP ready
      C: a CAPABILITY
      S: * CAPABILITY ${PRE_AUTH}
      S: a OK CAPABILITY completed
      C: b NOOP
      S: b OK NOOP completed
      C: c capability extra
      S: c BAD Too many arguments for CAPABILITY
      C: d LOGOUT
      S: * BYE Logging out
      S: d OK LOGOUT completed
      S: (closed)
    `);
  });
});
