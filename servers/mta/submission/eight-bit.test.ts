/**
 * 8-bit mail and servers without 8BITMIME (RFC 6152 §3), with DKIM: a real client (nodemailer)
 * submits an 8-bit message; mail leaving our domains is converted to 7 bit before it is signed,
 * so a second real SMTP server (smtp-server without 8BITMIME) receives a 7-bit message that
 * reads the same (Python's email package) and whose two signatures verify (mailauth). Mail we
 * did not sign is converted at relay time, and only for a server that needs it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import nodemailer from "nodemailer";
import type { DnsResolver } from "../../shared/dns/resolver.ts";
import { hasEightBitBody } from "../message/seven-bit.ts";
import { createDeliverer } from "../outbound/delivery.ts";
import { startFakeSmtp, type FakeSmtp } from "../outbound/testing/fake-smtp.ts";
import { silentLog } from "../outbound/testing/net.ts";
import { queueConfigSchema } from "../queue/config.ts";
import { buildEnvelope } from "../queue/envelope.ts";
import type { EnqueueInput } from "../queue/types.ts";
import { PASSWORD, startHarness, type Harness } from "../testing/harness.ts";
import { mimeParts } from "../testing/mime-parts.ts";

let h: Harness;
let old: FakeSmtp;
let modern: FakeSmtp;
before(async () => {
  h = await startHarness({ dkim: "dual" });
  // Two real SMTP servers: one without 8BITMIME (nor SMTPUTF8), one with.
  old = await startFakeSmtp({ eightBitMime: false, smtpUtf8: false });
  modern = await startFakeSmtp({});
});
after(async () => {
  await old?.close();
  await modern?.close();
  await h?.stop();
});

const BOUNDARY = "=_mixed";
/** All-ASCII header fields, an 8-bit body: a text part, an HTML part, a binary attachment. */
function message(subject: string, to: string): Buffer {
  return Buffer.from(
    [
      "From: Alice <alice@example.test>",
      `To: ${to}`,
      `Subject: ${subject}`,
      "MIME-Version: 1.0",
      `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
      "",
      `--${BOUNDARY}`,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "Grüße aus Köln — ça va? 日本語のテキスト.",
      "A long line: " + "Straße ".repeat(30),
      `--${BOUNDARY}`,
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "<p>Grüße</p>",
      `--${BOUNDARY}`,
      "Content-Type: application/octet-stream",
      "Content-Transfer-Encoding: 8bit",
      "",
      "\u00ff\u00fe binary-ish",
      `--${BOUNDARY}--`,
      "",
    ].join("\r\n"),
    "utf8",
  );
}

async function submit(to: string[], raw: Buffer): Promise<void> {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: h.ports.submissions,
    secure: true,
    tls: { ca: h.caCert, servername: "mail.example.test" },
    auth: { user: "alice@example.test", pass: PASSWORD },
  });
  try {
    const sent = await transport.sendMail({
      envelope: { from: "alice@example.test", to },
      raw,
    });
    assert.deepEqual(sent.accepted, to);
  } finally {
    transport.close();
  }
}

async function signatures(raw: Buffer): Promise<string[]> {
  const result = await dkimVerify(raw, { resolver: h.resolver });
  return result.results.map((r) => `${r.selector ?? "?"}:${r.status.result}`).sort();
}

/** Delivers a queued message to one of the fake servers, as the queue would. */
async function relay(input: EnqueueInput, to: FakeSmtp): Promise<Buffer> {
  const before = to.messages.length;
  const config = queueConfigSchema.parse({
    spoolDir: `${h.dir}/unused-spool`,
    hostname: "mail.example.test",
    outbound: { port: to.port },
    timeouts: { connectSeconds: 5, greetingSeconds: 5, idleSeconds: 10 },
  });
  const deliverer = createDeliverer(config, {
    resolver: noDns,
    log: silentLog,
    random: () => 0,
  });
  const envelope = buildEnvelope("0000000000eightbit01", input, Date.now());
  const outcomes = await deliverer.deliver({
    envelope,
    raw: input.raw,
    recipients: envelope.recipients.map((recipient, index) => ({ index, recipient })),
    destination: { kind: "mx", domain: "[127.0.0.1]" },
  });
  assert.equal(outcomes.get(0)?.kind, "delivered", JSON.stringify([...outcomes.values()]));
  assert.equal(to.messages.length, before + 1);
  return to.messages.at(-1)!.raw;
}

/** Address literals need no DNS: any lookup is a bug. */
const noDns: DnsResolver = {
  resolveMx: () => Promise.reject(new Error("no DNS here")),
  resolve4: () => Promise.reject(new Error("no DNS here")),
  resolve6: () => Promise.reject(new Error("no DNS here")),
  resolveTxt: () => Promise.reject(new Error("no DNS here")),
};

const sevenBit = (raw: Buffer) => raw.every((b) => b < 0x80);

describe("8-bit submissions leaving our domains (RFC 6152 §3, RFC 6376 §5.3)", () => {
  it("are converted before signing: a server without 8BITMIME gets 7 bit, same text, DKIM passes", async () => {
    const original = message("eight-bit remote", "someone@remote.test");
    await submit(["someone@remote.test"], original);
    const queued = h.enqueued.at(-1)!;
    assert.equal(sevenBit(Buffer.from(queued.raw)), true, "queued 7-bit, signed as such");
    assert.equal(queued.eightBitMime, undefined, "no BODY=8BITMIME for a 7-bit body");
    assert.deepEqual(await signatures(Buffer.from(queued.raw)), ["ed1:pass", "rsa1:pass"]);

    const received = await relay(queued, old);
    assert.equal(old.messages.at(-1)!.mailParams.body, "7bit");
    assert.equal(sevenBit(received), true);
    assert.deepEqual(await mimeParts(received), await mimeParts(original));
    assert.deepEqual(await signatures(received), ["ed1:pass", "rsa1:pass"]);
  });

  it("keep their 8-bit body when every recipient is ours", async () => {
    await submit(["bob@example.test"], message("eight-bit local", "bob@example.test"));
    const [stored] = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("eight-bit local"),
    );
    assert.ok(stored?.includes("Grüße aus Köln"), "8-bit text as it was sent");
  });
});

describe("8-bit mail we did not sign, at relay time", () => {
  const input = (raw: Buffer): EnqueueInput => ({
    from: "x@remote.test",
    recipients: [{ address: "member@elsewhere.test" }],
    raw,
    origin: { kind: "inbound", remoteAddress: "192.0.2.1" },
    eightBitMime: true,
  });

  it("goes to a server without 8BITMIME converted to 7 bit, reading the same", async () => {
    const original = message("forwarded", "group@example.test");
    const received = await relay(input(original), old);
    assert.equal(sevenBit(received), true);
    assert.deepEqual(await mimeParts(received), await mimeParts(original));
  });

  it("goes to a server with 8BITMIME as it is, with BODY=8BITMIME", async () => {
    const original = message("forwarded as is", "group@example.test");
    assert.equal(hasEightBitBody(original), true);
    const received = await relay(input(original), modern);
    assert.equal(modern.messages.at(-1)!.mailParams.body, "8bitmime");
    assert.ok(received.equals(original), "byte for byte");
  });
});
