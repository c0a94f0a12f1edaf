/**
 * The LMTP session core without a socket: bytes in, reply lines out. Hooks are in-memory (a
 * recipient list and an array of delivered messages), so each exchange is one line here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LmtpSession, type SessionHooks } from "./lmtp-session.ts";
import { REPLIES, type Reply } from "./replies.ts";

interface Harness {
  /** Feeds bytes and returns the reply lines written since the last call, once hooks settled. */
  send(text: string): Promise<string[]>;
  readonly delivered: { message: string; from: string; to: string[] }[];
  readonly ended: () => boolean;
  readonly session: LmtpSession<string>;
}

function harness(
  options: { startTls?: boolean; requireTls?: boolean; deliver?: () => Promise<Reply[]> } = {},
): Harness {
  let output = "";
  let ended = false;
  const delivered: Harness["delivered"] = [];
  const hooks: SessionHooks<string> = {
    rcpt: (address) =>
      Promise.resolve(
        address.endsWith("@example.test") && !address.startsWith("nobody")
          ? { ok: true, value: address.toLowerCase() }
          : { ok: false, reply: REPLIES.unknownUser },
      ),
    deliver: async (message, transaction) => {
      if (options.deliver) return options.deliver();
      delivered.push({
        message: message.toString("latin1"),
        from: transaction.from,
        to: transaction.recipients.map((r) => r.value),
      });
      return transaction.recipients.map(() => REPLIES.ok);
    },
    error: () => undefined,
  };
  const session = new LmtpSession(
    {
      write: (text) => (output += text),
      end: () => (ended = true),
      pause: () => undefined,
      resume: () => undefined,
      ...(options.startTls ? { startTls: () => Promise.resolve() } : {}),
    },
    hooks,
    {
      hostname: "mx.example.test",
      banner: "test",
      maxMessageBytes: 1000,
      requireTls: options.requireTls ?? false,
    },
  );
  session.greet();
  const take = () => {
    const lines = output.split("\r\n").filter(Boolean);
    output = "";
    return lines;
  };
  take();
  return {
    async send(text) {
      session.receive(Buffer.from(text, "latin1"));
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      return take();
    },
    delivered,
    ended: () => ended,
    session,
  };
}

const codes = (lines: string[]) => lines.map((l) => l.slice(0, 3));

describe("LMTP session", () => {
  it("greets at once, then LHLO lists the extensions without enhanced codes", async () => {
    let written = "";
    const session = new LmtpSession(
      { write: (t) => (written += t), end: () => {}, pause: () => {}, resume: () => {} },
      {
        rcpt: () => Promise.resolve({ ok: true, value: 1 }),
        deliver: () => Promise.resolve([]),
        error: () => {},
      },
      { hostname: "mx.example.test", banner: "b", maxMessageBytes: 5, requireTls: false },
    );
    session.greet();
    assert.equal(written, "220 mx.example.test LMTP b\r\n");
    const h = harness();
    assert.deepEqual(await h.send("LHLO client\r\n"), [
      "250-mx.example.test",
      "250-PIPELINING",
      "250-ENHANCEDSTATUSCODES",
      "250-8BITMIME",
      "250-SMTPUTF8",
      "250 SIZE 1000",
    ]);
  });

  it("takes a pipelined transaction in one piece and answers once per accepted recipient", async () => {
    const h = harness();
    await h.send("LHLO c\r\n");
    const lines = await h.send(
      "MAIL FROM:<s@remote.test> BODY=8BITMIME SIZE=20\r\n" +
        "RCPT TO:<A@example.test>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<b@example.test>\r\n" +
        "DATA\r\nSubject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n",
    );
    assert.deepEqual(codes(lines), ["250", "250", "550", "250", "354", "250", "250", "221"]);
    assert.match(lines[2] ?? "", /^550 5\.1\.1 No such user here$/);
    assert.match(lines.at(-1) ?? "", /^221 2\.0\.0 mx\.example\.test Bye$/);
    assert.deepEqual(h.delivered, [
      {
        message: "Subject: hi\r\n\r\n.dot\r\n",
        from: "s@remote.test",
        to: ["a@example.test", "b@example.test"],
      },
    ]);
    assert.ok(h.ended());
  });

  it("refuses commands out of order, HELO/EHLO, and DATA with no recipient", async () => {
    const h = harness();
    assert.deepEqual(codes(await h.send("MAIL FROM:<>\r\n")), ["503"]);
    assert.deepEqual(codes(await h.send("EHLO c\r\nHELO c\r\n")), ["500", "500"]);
    await h.send("LHLO c\r\n");
    assert.deepEqual(codes(await h.send("RCPT TO:<a@example.test>\r\nDATA\r\n")), ["503", "503"]);
    assert.deepEqual(codes(await h.send("MAIL FROM:<>\r\nMAIL FROM:<>\r\nDATA\r\n")), [
      "250",
      "503",
      "503",
    ]);
    assert.deepEqual(
      codes(await h.send("RSET\r\nRCPT TO:<a@example.test>\r\nNOOP\r\nVRFY x\r\n")),
      ["250", "503", "250", "252"],
    );
    assert.deepEqual(codes(await h.send("AUTH PLAIN x\r\nSTARTTLS\r\n")), ["500", "502"]);
  });

  it("checks MAIL and RCPT parameters and syntax", async () => {
    const h = harness();
    await h.send("LHLO c\r\n");
    assert.deepEqual(await h.send("MAIL FROM:<s@r.test> SIZE=5000\r\n"), [
      "552 5.3.4 Message too big for system",
    ]);
    assert.deepEqual(codes(await h.send("MAIL FROM:<s@r.test> BODY=BINARYMIME\r\n")), ["555"]);
    assert.deepEqual(codes(await h.send("MAIL FROM:<s@r.test> XYZ\r\n")), ["555"]);
    assert.deepEqual(codes(await h.send("MAIL FROM:s@r.test\r\n")), ["501"]);
    assert.deepEqual(codes(await h.send("MAIL FROM:<> SMTPUTF8\r\n")), ["250"]);
    assert.deepEqual(codes(await h.send("RCPT TO:<a@example.test> NOTIFY=NEVER\r\n")), ["555"]);
    assert.deepEqual(codes(await h.send("RCPT TO:<>\r\nRCPT TO:a@example.test\r\n")), [
      "501",
      "501",
    ]);
  });

  it("answers 552 for every recipient of an oversized message and goes on", async () => {
    const h = harness();
    await h.send("LHLO c\r\n");
    const lines = await h.send(
      `MAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n${"x".repeat(2000)}\r\n.\r\nNOOP\r\n`,
    );
    assert.deepEqual(codes(lines), ["250", "250", "250", "354", "552", "552", "250"]);
    assert.equal(h.delivered.length, 0);
  });

  it("answers 451 4.3.0 for each recipient when delivery throws", async () => {
    const h = harness({ deliver: () => Promise.reject(new Error("disk gone")) });
    const lines = await h.send(
      "LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nx\r\n.\r\n",
    );
    assert.deepEqual(lines.slice(-2), [
      "451 4.3.0 Local error in processing, try again later",
      "451 4.3.0 Local error in processing, try again later",
    ]);
  });

  it("closes on an HTTP request, an overlong line, or too many bad commands", async () => {
    const http = harness();
    assert.deepEqual(await http.send("GET / HTTP/1.1\r\nHost: x\r\n"), [
      "421 4.7.0 mx.example.test HTTP requests not allowed",
    ]);
    assert.ok(http.ended());
    const long = harness();
    assert.deepEqual(codes(await long.send(`NOOP ${"x".repeat(5000)}\r\nNOOP\r\n`)), [
      "500",
      "250",
    ]);
    const noisy = harness();
    const lines = await noisy.send("BOGUS\r\n".repeat(20));
    assert.deepEqual(codes(lines), [...Array<string>(11).fill("500"), "421"]);
    assert.ok(noisy.ended());
  });

  it("drops what was pipelined after STARTTLS and wants LHLO again", async () => {
    const h = harness({ startTls: true });
    assert.ok((await h.send("LHLO c\r\n")).some((l) => /^250[ -]STARTTLS$/.test(l)));
    // RFC 3207 §4.2 / CVE-2011-0411: the injected MAIL must not be answered.
    assert.deepEqual(await h.send("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n"), [
      "220 2.0.0 Ready to start TLS",
    ]);
    assert.deepEqual(codes(await h.send("MAIL FROM:<>\r\n")), ["503"]);
    const lhlo = await h.send("LHLO c\r\n");
    assert.ok(lhlo.length > 1 && !lhlo.some((l) => l.includes("STARTTLS")));
  });

  it("refuses MAIL before STARTTLS when TLS is required", async () => {
    const h = harness({ startTls: true, requireTls: true });
    await h.send("LHLO c\r\n");
    assert.deepEqual(codes(await h.send("MAIL FROM:<>\r\n")), ["530"]);
  });

  it("on stop, closes an idle session at once and a busy one after its transaction", async () => {
    const idle = harness();
    await idle.send("LHLO c\r\n");
    idle.session.stop();
    assert.ok(idle.ended());
    let release: (replies: Reply[]) => void = () => undefined;
    const busy = harness({ deliver: () => new Promise((resolve) => (release = resolve)) });
    await busy.send(
      "LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n",
    );
    busy.session.stop();
    assert.ok(!busy.ended(), "the delivery in progress gets its answer first");
    release([REPLIES.ok]);
    const lines = await busy.send("");
    assert.deepEqual(lines, ["250 2.0.0 OK", "421 4.3.2 mx.example.test Service shutting down"]);
    assert.ok(busy.ended());
  });
});
