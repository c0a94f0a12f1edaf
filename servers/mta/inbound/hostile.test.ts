/**
 * Port 25 against clients that do not play by the rules: early talkers, HTTP on the mail port,
 * overlong lines, oversize messages, streams of bad commands, NUL octets, and clients over their
 * connection or message limits.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "../testing/harness.ts";
import { Transcript } from "../testing/transcript.ts";

let h: Harness;
before(async () => {
  h = await startHarness({
    // greetingPassSeconds 0: every connection is tested, whatever the tests before it did
    // (greeting-test.test.ts has the remembered clients).
    limits: {
      greetingDelayMs: 400,
      greetingPassSeconds: 0,
      maxMessageBytes: 100_000,
      messagesPerMinute: 0,
    },
  });
});
after(() => h.stop());

async function greeted(): Promise<Transcript> {
  const t = await Transcript.open({ port: h.ports.smtp });
  await t.expect(220);
  return t;
}

const message = (id: string, padding = "") =>
  `From: x@remote.test\r\nSubject: ${id}\r\nMessage-ID: <${id}@remote.test>\r\n\r\n${padding}Body\r\n`;

describe("port 25: hostile input", () => {
  it("closes on an early talker with 421 (RFC 5321 §4.3.1: wait for the greeting)", async () => {
    const t = await Transcript.open({ port: h.ports.smtp });
    t.write("EHLO spammer.remote.test\r\nMAIL FROM:<spam@remote.test>\r\n");
    await t.expect(421, /You talk too soon/);
    await t.closedByServer();
  });

  it("closes on an HTTP request with 421", async () => {
    const t = await greeted();
    await t.send("POST /cgi-bin/mail HTTP/1.1", 421, /HTTP requests not allowed/);
    await t.closedByServer();
  });

  it("closes on a 10 000-octet command line with 421", async () => {
    const t = await greeted();
    await t.send("EHLO client.remote.test", 250);
    await t.send(`MAIL FROM:<${"a".repeat(10_000)}@remote.test>`, 421, /line too long/i);
    await t.closedByServer();
  });

  it("refuses a message over SIZE with 552 5.3.4 after draining it, and goes on", async () => {
    const t = await greeted();
    await t.send("EHLO client.remote.test", 250, /SIZE 100000/);
    await t.send("MAIL FROM:<x@remote.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("huge", `${"y".repeat(998)}\r\n`.repeat(150))}.\r\n`);
    await t.expect(552, /^5\.3\.4 /);
    await t.send("NOOP", 250);
    await t.send("MAIL FROM:<x@remote.test>", 250);
    t.close();
    const bob = await h.messages("bob@example.test");
    assert.equal(bob.filter((m) => m.includes("Subject: huge")).length, 0);
  });

  it("closes after ten unrecognized commands with 421", async () => {
    const t = await greeted();
    for (let i = 1; i < 10; i++) await t.send(`XYZZY${i}`, 500, /^5\.5\.2 /);
    await t.send("XYZZY10", 421, /too many unrecognized commands/);
    await t.closedByServer();
  });

  it("refuses NUL octets in commands (501/500) and in the message (554 5.6.0)", async () => {
    const t = await greeted();
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<a\0b@remote.test>", 501);
    await t.send("NO\0OP", 500);
    await t.send("MAIL FROM:<x@remote.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("nul", "a\0b\r\n")}.\r\n`);
    await t.expect(554, /^5\.6\.0 Message contains NUL/);
    await t.send("NOOP", 250);
    t.close();
  });

  it("refuses a bad EHLO argument and stays usable", async () => {
    const t = await greeted();
    await t.send("EHLO", 501);
    await t.send("EHLO two words", 501);
    await t.send("HELO", 501);
    await t.send("EHLO client.remote.test", 250);
    t.close();
  });
});

describe("port 25: per-client limits", () => {
  let limited: Harness;
  before(async () => {
    limited = await startHarness({
      limits: { connectionsPerClient: 2, messagesPerMinute: 2, greetingDelayMs: 0 },
    });
  });
  after(() => limited.stop());

  it("refuses a third simultaneous connection with 421 4.7.0, and takes one again after", async () => {
    const first = await Transcript.open({ port: limited.ports.smtp });
    await first.expect(220);
    const second = await Transcript.open({ port: limited.ports.smtp });
    await second.expect(220);
    const third = await Transcript.open({ port: limited.ports.smtp });
    await third.expect(421, /^4\.7\.0 Too many connections from your address/);
    await third.closedByServer();
    await first.send("QUIT", 221);
    await first.closedByServer();
    await new Promise((resolve) => setTimeout(resolve, 50)); // onClose runs on the next tick
    const again = await Transcript.open({ port: limited.ports.smtp });
    await again.expect(220);
    again.close();
    second.close();
  });

  it("refuses a third message within the minute with 450 4.7.1", async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const t = await Transcript.open({ port: limited.ports.smtp });
    await t.expect(220);
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<x@remote.test>", 250);
    await t.send("RSET", 250);
    await t.send("MAIL FROM:<x@remote.test>", 250);
    await t.send("RSET", 250);
    await t.send("MAIL FROM:<x@remote.test>", 450, /^4\.7\.1 Too much mail/);
    t.close();
  });
});
