/**
 * Port 25 in transcripts, one line per exchange with the reply expected: the capabilities, every
 * reply the MX gives in MAIL, RCPT and DATA, STARTTLS, and what reaches the MDA.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SmtpTranscript } from "../../../test/helpers/smtp-transcript.ts";
import { startHarness, type Harness } from "../testing/harness.ts";
import { Transcript } from "../testing/transcript.ts";

let h: Harness;
before(async () => {
  h = await startHarness({ limits: { maxRecipients: 3, maxMessageBytes: 100_000 } });
});
after(() => h.stop());

/** Picks a stored message by its Message-ID (a bare "t3" can turn up in another one's random ids). */
const withId = (id: string) => (stored: string) => stored.includes(`<${id}@remote.test>`);

const message = (id: string, extra = "") =>
  `${extra}From: Sender <sender@remote.test>\r\nTo: alice@example.test\r\nSubject: ${id}\r\nMessage-ID: <${id}@remote.test>\r\n\r\nBody of ${id}\r\n`;

async function session(): Promise<SmtpTranscript> {
  const t = await SmtpTranscript.open({ port: h.ports.smtp });
  await t.expect(220, /^mail\.example\.test ESMTP mailstack MTA$/);
  return t;
}

describe("port 25: capabilities", () => {
  it("offers PIPELINING, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, SIZE and STARTTLS, not AUTH, DSN or CHUNKING", async () => {
    const t = await session();
    const ehlo = await t.send("EHLO client.remote.test", 250);
    const caps = ehlo.lines.slice(1);
    for (const cap of [
      "PIPELINING",
      "8BITMIME",
      "SMTPUTF8",
      "ENHANCEDSTATUSCODES",
      "SIZE 100000",
      "STARTTLS",
    ]) {
      assert.ok(caps.includes(cap), `${cap} in ${caps.join(", ")}`);
    }
    assert.ok(!caps.some((c) => /^(AUTH|DSN|CHUNKING)\b/.test(c)), caps.join(", "));
    await t.send("AUTH PLAIN AGFsaWNlAHg=", 500, /^5\.5\.2 /); // not a command on an MX
    await t.send("QUIT", 221, /^2\.0\.0 /);
    t.close();
  });
});

describe("port 25: the transaction replies", () => {
  it("walks MAIL, RCPT and DATA with the right codes", async () => {
    const t = await session();
    await t.send("MAIL FROM:<sender@remote.test>", 503, /^5\.5\.1 /); // before EHLO
    await t.send("EHLO client.remote.test", 250);
    await t.send("RCPT TO:<alice@example.test>", 503, /^5\.5\.1 /); // before MAIL
    await t.send("DATA", 503, /^5\.5\.1 /);
    await t.send("MAIL FROM:<sender@remote.test> SIZE=200000", 552, /^5\.3\.4 /);
    await t.send("MAIL FROM:sender@remote.test", 501, /^5\.1\.7 /);
    await t.send("MAIL FROM:<sender@remote.test> BODY=8BITMIME", 250, /^2\.1\.0 /);
    await t.send("MAIL FROM:<other@remote.test>", 503, /^5\.5\.1 /); // nested
    await t.send("RCPT TO:<nobody@example.test>", 550, /^5\.1\.1 No such user here$/);
    await t.send("RCPT TO:<someone@elsewhere.test>", 550, /^5\.7\.1 Relaying denied/);
    await t.send("RCPT TO:<alice@example.test>", 250, /^2\.1\.5 /);
    await t.send("RCPT TO:<Sales@EXAMPLE.test>", 250, /^2\.1\.5 /);
    await t.send("RCPT TO:<team@example.test>", 250, /^2\.1\.5 /);
    await t.send("RCPT TO:<bob@example.test>", 452, /^4\.5\.3 /); // over maxRecipients (3)
    await t.send("DATA", 354);
    t.write(`${message("t1")}.\r\n`);
    await t.expect(250, /^2\.0\.0 Ok: delivered as \S+, queued as \S+$/);
    await t.send("RSET", 250, /^2\.0\.0 /);
    await t.send("NOOP", 250, /^2\.0\.0 /);
    await t.send("VRFY alice@example.test", 252, /^2\.1\.5 /);
    await t.send("QUIT", 221);
    t.close();

    const alice = await h.messages("alice@example.test");
    assert.equal(alice.filter((m) => m.includes("Subject: t1")).length, 1, "one copy for alice");
    assert.equal((await h.messages("bob@example.test")).filter(withId("t1")).length, 1);
    const queued = h.enqueued.at(-1);
    assert.deepEqual(
      queued?.recipients.map((r) => r.address),
      ["friend@remote.test"],
      "the group's remote member goes to the queue",
    );
    assert.equal(queued?.origin.kind, "inbound");
  });

  it("adds its Received line on top and delivers the message byte for byte below it", async () => {
    const t = await session();
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("t2")}.\r\n`);
    const reply = await t.expect(250);
    t.close();
    const id = /delivered as (\S+)/.exec(reply.text)?.[1];
    const [stored = ""] = (await h.messages("bob@example.test")).filter(withId("t2"));
    assert.match(
      stored,
      new RegExp(
        `\\r\\nReceived: from client\\.remote\\.test \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mail\\.example\\.test \\(mailstack mta\\)\\r\\n\\twith ESMTP id ${id}\\r\\n\\tfor <bob@example\\.test>; `,
      ),
    );
    assert.ok(stored.endsWith(message("t2")));
  });

  it("takes UTF-8 addresses only after SMTPUTF8 (553 5.6.7, RFC 6531 §3.4)", async () => {
    const t = await session();
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<jos\u00e9@remote.test>", 553, /^5\.6\.7 /);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    await t.send("RCPT TO:<jos\u00e9@example.test>", 553, /^5\.6\.7 /);
    await t.send("RSET", 250);
    await t.send("MAIL FROM:<jos\u00e9@remote.test> SMTPUTF8", 250, /^2\.1\.0 /);
    await t.send("RCPT TO:<jos\u00e9@example.test>", 550, /^5\.1\.1 /); // no such user
    await t.send("RCPT TO:<alice@example.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("utf8", "X-Greeting: Gr\u00fc\u00dfe\r\n")}.\r\n`);
    await t.expect(250);
    await t.send("QUIT", 221);
    t.close();
    const alice = await h.messages("alice@example.test");
    assert.ok(
      alice.some((m) => m.includes("X-Greeting: Gr\u00fc\u00dfe")),
      "stored as UTF-8",
    );
  });

  it("accepts the domainless <Postmaster> (RFC 5321 §4.5.1) and the null sender", async () => {
    const t = await session();
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<>", 250);
    await t.send("RCPT TO:<Postmaster>", 250);
    await t.send("DATA", 354);
    t.write(`${message("t3")}.\r\n`);
    await t.expect(250);
    t.close();
    assert.equal((await h.messages("alice@example.test")).filter(withId("t3")).length, 1);
  });

  it("strips X-Mailstack-Spam fields that come from outside", async () => {
    const t = await session();
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    const forged = "X-Mailstack-Spam: ham; score=-100\r\nX-Mailstack-Spam-Flag:\r\n  folded\r\n";
    t.write(`${message("t4", forged)}.\r\n`);
    await t.expect(250);
    t.close();
    const [stored = ""] = (await h.messages("bob@example.test")).filter(withId("t4"));
    assert.doesNotMatch(stored, /X-Mailstack-Spam/i);
    assert.match(stored, /\r\n\r\nBody of t4\r\n$/);
  });

  it("answers 451 4.3.0 at RCPT while the directory is down, and 250 again after", async () => {
    const t = await session();
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    h.directoryDown = true;
    try {
      await t.send("RCPT TO:<alice@example.test>", 451, /^4\.3\.0 Directory unavailable/);
      await t.send("RCPT TO:<someone@elsewhere.test>", 550, /^5\.7\.1 /); // decided without it
    } finally {
      h.directoryDown = false;
    }
    await t.send("RCPT TO:<alice@example.test>", 250);
    t.close();
  });
});

describe("port 25: STARTTLS", () => {
  it("upgrades, forgets the EHLO (RFC 3207 §4.2) and takes mail under TLS", async () => {
    const t = await Transcript.open({ port: h.ports.smtp });
    await t.expect(220);
    await t.send("EHLO client.remote.test", 250, /STARTTLS/);
    await t.send("STARTTLS", 220, /^2\.0\.0 /);
    await t.startTls(h.caCert);
    await t.send("MAIL FROM:<sender@remote.test>", 503, /^5\.5\.1 /); // EHLO again first
    const ehlo = await t.send("EHLO client.remote.test", 250);
    assert.ok(!ehlo.lines.includes("STARTTLS"));
    await t.send("STARTTLS", 503, /^5\.5\.1 Error: TLS already active/);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("tls1")}.\r\n`);
    await t.expect(250);
    await t.send("QUIT", 221);
    t.close();
    const [stored = ""] = (await h.messages("bob@example.test")).filter(withId("tls1"));
    assert.match(stored, /\(using TLSv1\.3 with cipher TLS_\S+\)\r\n\twith ESMTPS id /);
  });
});
