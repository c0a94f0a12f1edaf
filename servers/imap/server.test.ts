/**
 * The server on real loopback sockets: STARTTLS (and its injection rule), implicit TLS,
 * AUTHENTICATE, COMPRESS=DEFLATE, and hostile input that must end in BAD or a polite BYE.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEnv, message, PASSWORD, seed, type TestEnv } from "./testing/harness.ts";
import { startTestServer, type RunningImap } from "./testing/server-fixture.ts";
import { SocketClient } from "./testing/socket-client.ts";

const plain = (user: string) =>
  Buffer.from(`\0${user}@example.test\0${PASSWORD}`).toString("base64");

describe("IMAP server on sockets", () => {
  let env: TestEnv;
  let imap: RunningImap;
  before(async () => {
    env = await createEnv();
    imap = await startTestServer(env, { unauthenticatedTimeoutSeconds: 1 });
    await seed(env, "alice", "INBOX", [message({ subject: "over the wire" })]);
  });
  after(async () => {
    await imap.server.stop();
    await env.close();
  });

  async function open(t: { after: (fn: () => void) => void }, port: number, tls = false) {
    const client = await SocketClient.connect(port, { tls, ca: imap.ca });
    t.after(() => client.end());
    return client;
  }

  it("upgrades with STARTTLS before LOGIN on the submission-style port", async (t) => {
    const c = await open(t, imap.starttlsPort);
    await c.run(`
      S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED SASL-IR ID ENABLE IDLE LITERAL+] imap.example.test IMAP ready
      C: a LOGIN alice@example.test "${PASSWORD}"
      S: a NO [PRIVACYREQUIRED] Log in after STARTTLS
      C: b STARTTLS
      S: b OK Begin TLS negotiation now
    `);
    await c.startTls(imap.ca);
    await c.run(`
      C: c CAPABILITY
      S: * CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN SASL-IR ID ENABLE IDLE LITERAL+
      S: c OK CAPABILITY completed
      C: d LOGIN alice@example.test "${PASSWORD}"
      S: d OK [CAPABILITY ...] Logged in
      C: e EXAMINE INBOX
      S: * FLAGS (...)
      S: * OK [PERMANENTFLAGS ()] Flags permitted
      S: * 1 EXISTS
      S: * 1 RECENT
      S: * OK [UNSEEN 1] First unseen
      S: * OK [UIDVALIDITY ...] UIDs valid
      S: * OK [UIDNEXT 2] Predicted next UID
      S: * OK [HIGHESTMODSEQ ...] Highest
      S: e OK [READ-ONLY] EXAMINE completed
      C: f FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]
      S: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {26}
      S: Subject: over the wire
      S: 
      S: )
      S: f OK FETCH completed
      C: g LOGOUT
      S: * BYE Logging out
      S: g OK LOGOUT completed
      S: (closed)
    `);
  });

  it("ignores commands pipelined after STARTTLS in the clear", async (t) => {
    const c = await open(t, imap.starttlsPort);
    await c.output.nextLine();
    c.write(`a STARTTLS\r\nb LOGIN alice@example.test "${PASSWORD}"\r\n`);
    await c.run(`S: a OK Begin TLS negotiation now`, { rest: "any" });
    await c.startTls(imap.ca);
    await c.run(`
      C: c NOOP
      S: c OK NOOP completed
      C: d SELECT INBOX
      S: d BAD Log in first
    `);
  });

  it("speaks implicit TLS, AUTHENTICATE PLAIN and COMPRESS=DEFLATE", async (t) => {
    const c = await open(t, imap.implicitPort, true);
    await c.run(`
      S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN SASL-IR ID ENABLE IDLE LITERAL+] imap.example.test IMAP ready
      C: a AUTHENTICATE PLAIN ${plain("alice")}
      S: a OK [CAPABILITY ... COMPRESS=DEFLATE] Logged in
      C: b COMPRESS DEFLATE
      S: b OK DEFLATE active
    `);
    c.startCompression();
    await c.run(`
      C: c CAPABILITY
      S: * CAPABILITY ... APPENDLIMIT=67108864
      S: c OK CAPABILITY completed
      C: d COMPRESS DEFLATE
      S: d NO [COMPRESSIONACTIVE] Compression is already active
      C: e STATUS INBOX (MESSAGES)
      S: * STATUS "INBOX" (MESSAGES 1)
      S: e OK STATUS completed
      C: f LOGOUT
      S: * BYE Logging out
      S: f OK LOGOUT completed
      S: (closed)
    `);
  });

  it("closes on HTTP, an overlong line or an absurd literal; answers BAD to the rest", async (t) => {
    const http = await open(t, imap.plainPort);
    await http.run(`
      S: * OK ...
      C: GET / HTTP/1.1
      C: Host: localhost
      S: * BYE This is an IMAP server, not a web server
      S: (closed)
    `);
    const long = await open(t, imap.plainPort);
    await long.output.nextLine();
    long.write(Buffer.alloc(70 * 1024, 0x61));
    await long.run(`
      S: * BYE Line too long
      S: (closed)
    `);
    const hostile = await open(t, imap.plainPort);
    await hostile.run(
      `
      S: * OK ...
      C: a LOGIN {999999999}
      S: a BAD [TOOBIG] Literal too big
      C: b LOGIN {5x}
      S: b BAD Invalid literal
      C: c SEARCH ((ALL)
      S: c BAD Unbalanced parentheses
      C: d LOGIN (alice
      S: d BAD Unbalanced parentheses
      C: e LOGIN {20+}
      C: 0123456789012345678901234567890
      S: e BAD [TOOBIG] Literal too big
      C: f NOOP
      S: f OK NOOP completed
      C: \x00\x01\x02 garbage
      S: * BAD Invalid tag
      C: g APPEND INBOX {99999999999999+}
      S: * BYE Literal too big
      S: (closed)
    `.replace(
        "{20+}\n      C: 0123456789012345678901234567890",
        `{${8192 + 1}+}\n      C: ${"x".repeat(8193)}`,
      ),
    );
  });

  it("logs out clients that say nothing before authenticating", async (t) => {
    const c = await open(t, imap.plainPort);
    await c.run(`
      S: * OK ...
      S: * BYE Autologout; idle for too long
      S: (closed)
    `);
  });
});

describe("connection limits", () => {
  let env: TestEnv;
  let imap: RunningImap;
  before(async () => {
    env = await createEnv();
    imap = await startTestServer(env, { maxConnectionsPerClient: 2 });
  });
  after(async () => {
    await imap.server.stop();
    await env.close();
  });

  it("tells a client address over its limit BYE, and lets it in again when a slot frees", async (t) => {
    const connect = async (tls = false) => {
      const port = tls ? imap.implicitPort : imap.plainPort;
      const client = await SocketClient.connect(port, { tls, ca: imap.ca });
      t.after(() => client.end());
      return client;
    };
    const a = await connect();
    const b = await connect(true);
    await a.run("S: * OK ...");
    await b.run("S: * OK ...");
    const refused = await connect();
    await refused.run(`
      S: * BYE [UNAVAILABLE] Too many connections from your address, try again later
      S: (closed)
    `);
    const refusedTls = await connect(true);
    await refusedTls.run(`
      S: * BYE [UNAVAILABLE] Too many connections from your address, try again later
      S: (closed)
    `);
    await a.run(`
      C: x LOGOUT
      S: * BYE Logging out
      S: x OK LOGOUT completed
      S: (closed)
    `);
    // The server frees the slot once it has seen the close too.
    for (let i = 0; ; i++) {
      const c = await connect();
      const greeting = await c.output.nextLine();
      if (greeting.startsWith("* OK")) break;
      assert.ok(i < 20, `still refused: ${greeting}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
