/**
 * Port 25 end to end with a real MDA and store, and a small real spam service over HTTP: the
 * verdict files into INBOX or Junk or refuses, the down-policies, the MDA down, the MDA's
 * per-recipient answers folded into one reply, and swaks as the client.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startHarness, type Harness } from "../testing/harness.ts";
import { Transcript } from "../testing/transcript.ts";

const run = promisify(execFile);

/** Answers by the Subject: reject-me, junk-me, anything else ham; `down` answers 503. */
let spamDown = false;
const seen: { facts: unknown; body: string }[] = [];
let spam: Server;
let spamUrl: string;

before(async () => {
  spam = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = String(request.headers["mailstack-facts"] ?? "");
      seen.push({ facts: JSON.parse(Buffer.from(header, "base64url").toString("utf8")), body });
      if (spamDown) {
        response.writeHead(503).end();
        return;
      }
      const action = /Subject: reject-me/.test(body)
        ? "reject"
        : /Subject: greylist-me/.test(body)
          ? "greylist"
          : /Subject: junk-me/.test(body)
            ? "junk"
            : "accept";
      response.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          action,
          score: action === "accept" ? -1.5 : 9.25,
          symbols: { BAYES: 3 },
          headers: [
            ["Authentication-Results", "mail.example.test; spf=pass smtp.mailfrom=remote.test"],
          ],
        }),
      );
    });
  });
  spam.listen(0, "127.0.0.1");
  await new Promise((resolve) => spam.once("listening", resolve));
  spamUrl = `http://127.0.0.1:${(spam.address() as AddressInfo).port}/check`;
});
after(() => new Promise<void>((resolve) => spam.close(() => resolve())));

const message = (subject: string) =>
  `From: x@remote.test\r\nTo: bob@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject}.${Date.now()}@remote.test>\r\n\r\nHello\r\n`;

/** One transaction; returns the final reply. */
async function send(
  h: Harness,
  rcpts: readonly string[],
  data: string,
  expected: number,
  text?: RegExp,
) {
  const t = await Transcript.open({ port: h.ports.smtp });
  await t.expect(220);
  await t.send("EHLO client.remote.test", 250);
  await t.send("MAIL FROM:<x@remote.test>", 250);
  for (const rcpt of rcpts) await t.send(`RCPT TO:<${rcpt}>`, 250);
  await t.send("DATA", 354);
  t.write(`${data}.\r\n`);
  const reply = await t.expect(expected, text);
  t.close();
  return reply;
}

describe("port 25 with the spam service (down-policy accept)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ spam: { url: spamUrl, whenDown: "accept", timeoutMs: 2000 } });
  });
  after(() => h.stop());

  it("files ham in INBOX with the verdict and the service's fields above our Received line", async () => {
    await send(h, ["bob@example.test"], message("hello-ham"), 250);
    const [stored = ""] = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("hello-ham"),
    );
    assert.match(
      stored,
      /\r\nX-Mailstack-Spam: ham; score=-1\.50\r\nAuthentication-Results: mail\.example\.test; spf=pass smtp\.mailfrom=remote\.test\r\nReceived: from client\.remote\.test/,
    );
    const facts = seen.at(-1)?.facts as { envelope: unknown; client: { address: string } };
    assert.deepEqual(facts.envelope, { from: "x@remote.test", to: ["bob@example.test"] });
    assert.equal(facts.client.address, "127.0.0.1");
  });

  it("files junk in the Junk folder", async () => {
    await send(h, ["bob@example.test"], message("junk-me"), 250);
    assert.equal(
      (await h.messages("bob@example.test")).filter((m) => m.includes("junk-me")).length,
      0,
    );
    const [junk = ""] = (await h.messages("bob@example.test", "Junk")).filter((m) =>
      m.includes("junk-me"),
    );
    assert.match(junk, /X-Mailstack-Spam: junk; score=9\.25\r\n/);
  });

  it("refuses what the service rejects with 550 5.7.1 and stores nothing", async () => {
    await send(
      h,
      ["bob@example.test"],
      message("reject-me"),
      550,
      /^5\.7\.1 Message refused as spam/,
    );
    const all = [
      ...(await h.messages("bob@example.test")),
      ...(await h.messages("bob@example.test", "Junk")),
    ];
    assert.equal(all.filter((m) => m.includes("reject-me")).length, 0);
  });

  it("answers 451 4.7.1 when the service greylists, and stores nothing", async () => {
    await send(h, ["bob@example.test"], message("greylist-me"), 451, /^4\.7\.1 Greylisted/);
    assert.equal(
      (await h.messages("bob@example.test")).filter((m) => m.includes("greylist-me")).length,
      0,
    );
  });

  it("accepts unchecked when the service is down, and says so", async () => {
    spamDown = true;
    try {
      await send(h, ["bob@example.test"], message("while-down"), 250);
    } finally {
      spamDown = false;
    }
    const [stored = ""] = (await h.messages("bob@example.test")).filter((m) =>
      m.includes("while-down"),
    );
    assert.match(stored, /X-Mailstack-Spam: unchecked; reason=spam service unavailable\r\n/);
  });

  it("takes mail from swaks over STARTTLS, certificate verified", async () => {
    const { stdout } = await run("swaks", [
      "--server",
      `127.0.0.1:${h.ports.smtp}`,
      "--ehlo",
      "swaks.remote.test",
      "--from",
      "x@remote.test",
      "--to",
      "bob@example.test",
      "--header",
      "Subject: via-swaks",
      "--tls",
      "--tls-verify",
      "--tls-ca-path",
      h.caPath,
      "--tls-sni",
      "mail.example.test",
    ]);
    assert.match(stdout, /<~ {2}250 2\.0\.0 Ok: delivered as /);
    assert.equal(
      (await h.messages("bob@example.test")).filter((m) => m.includes("via-swaks")).length,
      1,
    );
  });
});

describe("port 25 with the spam service down (down-policy tempfail)", () => {
  it("answers 451 4.3.0 and stores nothing", async () => {
    const h = await startHarness({ spam: { url: spamUrl, whenDown: "tempfail" } });
    spamDown = true;
    try {
      await send(
        h,
        ["bob@example.test"],
        message("tempfail"),
        451,
        /^4\.3\.0 Spam filter unavailable/,
      );
      assert.equal((await h.messages("bob@example.test")).length, 0);
    } finally {
      spamDown = false;
      await h.stop();
    }
  });
});

describe("port 25 and the MDA's answers", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mda: false });
  });
  after(() => h.stop());

  it("answers 451 4.3.0 while the MDA is down, keeps nothing, and delivers once when retried", async () => {
    const data = message("mda-down");
    await send(h, ["bob@example.test"], data, 451, /^4\.3\.0 Local delivery temporarily failed/);
    assert.equal(h.enqueued.length, 0, "nothing queued: the sender keeps it");
    await h.startMda();
    await send(h, ["bob@example.test"], data, 250);
    await send(h, ["bob@example.test"], data, 250); // a second retry: same Message-ID, dropped
    assert.equal(
      (await h.messages("bob@example.test")).filter((m) => m.includes("mda-down")).length,
      1,
    );
  });

  it("refuses with the MDA's 552 5.2.2 when every recipient is over quota", async () => {
    const big = message(`quota ${"z".repeat(4000)}`);
    await send(h, ["tiny@example.test"], big, 552, /^5\.2\.2 Mailbox full/);
    assert.equal(h.enqueued.length, 0);
  });

  it("answers 250 and queues the refused one when others were delivered (RFC 5321 §6.1)", async () => {
    const big = message(`partial ${"z".repeat(4000)}`);
    await send(h, ["bob@example.test", "tiny@example.test"], big, 250);
    assert.equal(
      (await h.messages("bob@example.test")).filter((m) => m.includes("partial")).length,
      1,
    );
    assert.deepEqual(
      h.enqueued.at(-1)?.recipients.map((r) => r.address),
      ["tiny@example.test"],
    );
  });
});
