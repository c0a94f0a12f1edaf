import { after, before, describe, it } from "node:test";
import { createEnv, PASSWORD, SessionClient, type TestEnv } from "../testing/harness.ts";

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("LOGIN, AUTHENTICATE PLAIN, STARTTLS", () => {
  let env: TestEnv;
  before(async () => {
    env = await createEnv();
  });
  after(() => env.close());

  function client(t: { after: (fn: () => void) => void }, secure = true, starttls = false) {
    const c = new SessionClient(env, { starttls }, secure);
    t.after(() => c.end());
    c.session.start();
    return c;
  }

  it("logs in with LOGIN (atoms, quoted strings, literals) and refuses bad passwords", async (t) => {
    const c = client(t);
    await c.run(`
      S: * OK [CAPABILITY ...] imap.example.test IMAP ready
      C: a LOGIN alice@example.test wrong
      S: a NO [AUTHENTICATIONFAILED] Authentication failed
      C: b LOGIN {18}
      S: + Ready for literal data
      C: alice@example.test {${PASSWORD.length}+}
      C: ${PASSWORD}
      S: b OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+ NAMESPACE ...] Logged in
      C: c LOGIN alice@example.test x
      S: c BAD Logged in already
    `);
  });

  it("refuses LOGIN and AUTHENTICATE before STARTTLS, then allows them after", async (t) => {
    const c = client(t, false, true);
    await c.run(`
      S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED SASL-IR ID ENABLE IDLE LITERAL+] imap.example.test IMAP ready
      C: a LOGIN alice@example.test "${PASSWORD}"
      S: a NO [PRIVACYREQUIRED] Log in after STARTTLS
      C: b AUTHENTICATE PLAIN ${b64(`\0alice@example.test\0${PASSWORD}`)}
      S: b NO [PRIVACYREQUIRED] Log in after STARTTLS
      C: c STARTTLS
      S: c OK Begin TLS negotiation now
      C: d CAPABILITY
      S: * CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN SASL-IR ID ENABLE IDLE LITERAL+
      S: d OK CAPABILITY completed
      C: e STARTTLS
      S: e BAD TLS is already active
      C: f AUTHENTICATE PLAIN ${b64(`\0alice@example.test\0${PASSWORD}`)}
      S: f OK [CAPABILITY ...] Logged in
    `);
  });

  it("does AUTHENTICATE PLAIN with and without an initial response, and cancels on *", async (t) => {
    const c = client(t);
    await c.run(`
      S: * OK ...
      C: a AUTHENTICATE PLAIN
      S: +${" "}
      C: *
      S: a BAD Authentication cancelled
      C: b AUTHENTICATE CRAM-MD5
      S: b NO [CANNOT] Unsupported mechanism
      C: c AUTHENTICATE PLAIN ${b64("bob@example.test\0alice@example.test\0x")}
      S: c NO [AUTHORIZATIONFAILED] Cannot act as another user
      C: d AUTHENTICATE PLAIN not-base64!
      S: d BAD Invalid base64
      C: e AUTHENTICATE PLAIN
      S: +${" "}
      C: ${b64(`alice@example.test\0alice@example.test\0${PASSWORD}`)}
      S: e OK [CAPABILITY ...] Logged in
      C: f AUTHENTICATE PLAIN =
      S: f BAD Logged in already
    `);
  });
});
