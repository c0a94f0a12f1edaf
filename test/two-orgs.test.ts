/**
 * The acceptance test of the whole path of an email (../DESIGN.md, "The path of one message"):
 * two organisations, a.test on 127.0.0.2 and b.test on 127.0.0.3, each a stack file run by the
 * local runner with its own users, CA and DKIM keys. A real named on loopback serves both zones
 * exactly as `mailstack plan --config` renders them, and both MTAs and spam filters resolve
 * through it and nothing else (the root zone it also serves is empty: every other name does
 * not exist).
 *
 *   alice@a.test --submission, STARTTLS, AUTH--> a's MTA (DKIM-signs) --queue, MX lookup-->
 *   b's MX (port 25's stand-in, STARTTLS) --spam filter: SPF, DKIM, DMARC--> bob's INBOX
 *   --> bob reads it over IMAP (imapflow) and POP3 (Python's poplib), replies from b's webmail,
 *   and the reply takes the same path back to alice.
 *
 * Then what goes wrong: a message to a user b does not have comes back to alice as a DSN; a
 * message forged as a.test from an address a's SPF does not allow, sent straight to b's MX, is
 * refused per a's DMARC policy (reject); with b down, a's queue keeps the message and delivers
 * it once b is back, once. Last, a DKIM rotation at a through its stack file, step by step as
 * components/dkim/transitions.ts computes them: the new selector published, then signing (b
 * still verifies a's mail), and the old selector's record removed only after it retired.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { dkimTransitionProblems, nextRotationStep } from "../components/dkim/transitions.ts";
import { startNamed, type Named } from "./helpers/bind.ts";
import {
  headerValue,
  headerValues,
  Organisation,
  portFreeOn,
  waitFor,
} from "./helpers/organisation.ts";
import { SmtpTranscript } from "./helpers/smtp-transcript.ts";

const ROOT_ZONE = `$TTL 300
. IN SOA ns. hostmaster.ns. 1 3600 600 86400 60
. IN NS ns.
ns. IN A 127.0.0.1
`;

const ALICE = "alice@a.test";
const BOB = "bob@b.test";
/** Selector names follow the date; a fixed one keeps them the same every run. */
const ROTATION_DATE = new Date("2026-06-01T00:00:00Z");

describe("two organisations on one machine", () => {
  let named: Named;
  let a: Organisation;
  let b: Organisation;
  let resolver: string;

  /** Renders both zones with `mailstack plan --config` and has named serve them. */
  async function publishZones(): Promise<void> {
    const zones = await Promise.all([a.plannedZone(), b.plannedZone()]);
    await named.reload([{ zone: ".", text: ROOT_ZONE }, ...zones]);
  }

  /** The TXT strings named now serves at `name`, or [] when the name does not exist. */
  async function txt(name: string): Promise<string[]> {
    try {
      return (await named.resolver().resolveTxt(name)).map((chunks) => chunks.join(""));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOTFOUND") return [];
      throw error;
    }
  }

  /** alice sends through a's submission port (STARTTLS, AUTH) with nodemailer. */
  async function aliceSends(to: string, subject: string, text: string): Promise<string> {
    const transport = nodemailer.createTransport({
      host: a.spec.address,
      port: a.ports["submission"],
      secure: false,
      requireTLS: true,
      tls: { ca: [await readFile(a.runner.caFile, "utf8")], servername: a.hostname },
      auth: { user: ALICE, pass: a.password(ALICE) },
    });
    try {
      const sent = await transport.sendMail({ from: ALICE, to, subject, text });
      assert.deepEqual(sent.accepted, [to]);
      return sent.messageId;
    } finally {
      transport.close();
    }
  }

  before(async () => {
    // named first, with only the root zone: the stack files name its port as their resolver.
    named = await startNamed([{ zone: ".", text: ROOT_ZONE }]);
    resolver = `127.0.0.1:${named.port}`;
    const smtpPort = await portFreeOn(["127.0.0.2", "127.0.0.3"]);
    [a, b] = await Promise.all([
      Organisation.create({
        domain: "a.test",
        address: "127.0.0.2",
        users: [ALICE],
        dkim: [{ selector: "a2026a", algorithm: "rsa2048", state: "active", emergency: false }],
        dmarcPolicy: "reject",
        smtpPort,
        // alice sends and reads over IMAP only: a's POP3 and webmail would only cost time.
        servers: ["mda", "spam", "mta", "imap"],
      }),
      Organisation.create({
        domain: "b.test",
        address: "127.0.0.3",
        users: [BOB, "carol@b.test"],
        dkim: [{ selector: "b2026a", algorithm: "ed25519", state: "active", emergency: false }],
        dmarcPolicy: "quarantine",
        smtpPort,
      }),
    ]);
    await Promise.all([a.writeStack(resolver), b.writeStack(resolver)]);
    await publishZones();
    for (const zone of ["a.test", "b.test"]) {
      await waitFor(`named to serve ${zone}`, () =>
        named
          .resolver()
          .resolveSoa(zone)
          .catch(() => undefined),
      );
    }
    // One after the other: eleven servers loading TypeScript at once on two busy cores could
    // keep one from its ready message past the runner's deadline.
    await a.start();
    await b.start();
  });
  after(async () => {
    await Promise.all([a?.cleanup(), b?.cleanup()]);
    await named?.cleanup();
  });

  it("named serves both zones as the plan renders them, with the runners' own DKIM keys", async () => {
    const r = named.resolver();
    assert.deepEqual(
      (await r.resolveMx("b.test")).map((mx) => `${mx.priority} ${mx.exchange}`),
      ["10 mail.b.test"],
    );
    assert.deepEqual(await r.resolve4("mail.b.test"), ["127.0.0.3"]);
    assert.deepEqual(await r.resolve4("mail.a.test"), ["127.0.0.2"]);
    assert.deepEqual(await txt("a.test"), ["v=spf1 mx -all"]);
    assert.match((await txt("_dmarc.a.test"))[0] ?? "", /^v=DMARC1; p=reject/);
    assert.match((await txt("a2026a._domainkey.a.test"))[0] ?? "", /^v=DKIM1; k=rsa; p=MII/);
    assert.match((await txt("b2026a._domainkey.b.test"))[0] ?? "", /^v=DKIM1; k=ed25519; p=/);
    assert.ok((await r.resolveSrv("_submission._tcp.b.test")).length > 0);
    assert.deepEqual(await txt("_mta-sts.b.test").then((t) => t.length), 1);
    // Names outside the two zones do not exist: nothing else is asked of another server.
    assert.deepEqual(await txt("example.com"), []);
  });

  let firstId: string;
  let atBob: string;

  it("alice's mail reaches bob signed by a, with SPF, DKIM and DMARC passing at b", async () => {
    firstId = await aliceSends(BOB, "Hello from a", "Hello Bob, this is Alice at a.test.");
    atBob = await b.waitForMessage(BOB, "alice's message", (s) => s.includes(firstId));

    const signature = headerValue(atBob, "DKIM-Signature") ?? "";
    assert.match(signature, /\bd=a\.test;/);
    assert.match(signature, /\bs=a2026a;/);
    const results = headerValue(atBob, "Authentication-Results") ?? "";
    assert.match(results, /^mail\.b\.test;/, "added by b's spam filter");
    assert.match(results, /\bspf=pass\b[^;]*smtp\.mailfrom=(alice@)?a\.test/);
    assert.match(results, /\bdkim=pass\b[^;]*header\.(d=a\.test|i=@a\.test)/);
    assert.match(results, /\bdkim=pass\b[^;]*header\.s=a2026a/);
    assert.match(results, /\bdmarc=pass\b[^;]*header\.from=a\.test/);
    // b's MX took it over TLS from a's MTA, at a's address.
    const received = headerValues(atBob, "Received").join("\n");
    assert.match(received, /from mail\.a\.test \([^)]*127\.0\.0\.2/);
    assert.match(received, /with ESMTPS/);
  });

  it("bob reads it over IMAP (imapflow) and over POP3 (Python's poplib)", async () => {
    const client = await b.imap(BOB);
    try {
      const lock = await client.getMailboxLock("INBOX");
      try {
        const uids = await client.search({ header: { "message-id": firstId } }, { uid: true });
        assert.equal(uids && uids.length, 1);
        const m = await client.fetchOne(String(uids && uids[0]), { envelope: true }, { uid: true });
        assert.equal(m && m.envelope?.subject, "Hello from a");
        assert.equal(m && m.envelope?.from?.[0]?.address, ALICE);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }

    const script = `
import poplib, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[3])
pop = poplib.POP3_SSL(sys.argv[1], int(sys.argv[2]), context=context)
pop.user(sys.argv[4]); pop.pass_(sys.argv[5])
count, _ = pop.stat()
for i in range(1, count + 1):
    sys.stdout.write(b"\\r\\n".join(pop.retr(i)[1]).decode() + "\\n.\\n")
pop.quit()
`;
    const { stdout } = await promisify(execFile)("python3", [
      "-c",
      script,
      b.spec.address,
      String(b.ports["pop3s"]),
      b.runner.caFile,
      BOB,
      b.password(BOB),
    ]);
    assert.ok(stdout.includes(firstId), `no ${firstId} over POP3:\n${stdout.slice(0, 500)}`);
    assert.match(stdout, /Subject: Hello from a/);
  });

  it("bob replies from b's webmail and alice receives the reply, verified at a", async () => {
    const webmail = await b.webmail(BOB);
    const page = await webmail.get("/api/messages?folder=INBOX");
    assert.equal(page.status, 200, page.body);
    const listed = (
      JSON.parse(page.body) as { messages: { uid: number; subject: string }[] }
    ).messages.find((m) => m.subject === "Hello from a");
    assert.ok(listed, page.body);
    const sent = await webmail.post("/api/send", {
      to: [ALICE],
      subject: "Re: Hello from a",
      text: "Hi Alice, Bob here, answering from the webmail.",
      inReplyTo: firstId,
      references: firstId,
      answering: { folder: "INBOX", uid: listed.uid },
    });
    assert.ok(sent.status < 300, `${sent.status} ${sent.body}`);

    const reply = await a.waitForMessage(ALICE, "bob's reply", (s) =>
      /^Subject: Re: Hello from a\r?$/m.test(s),
    );
    assert.equal(headerValue(reply, "In-Reply-To"), firstId);
    assert.match(headerValue(reply, "DKIM-Signature") ?? "", /\bd=b\.test;.*\bs=b2026a;/);
    const results = headerValue(reply, "Authentication-Results") ?? "";
    assert.match(results, /^mail\.a\.test;/);
    assert.match(results, /\bspf=pass\b/);
    assert.match(results, /\bdkim=pass\b[^;]*header\.s=b2026a/);
    assert.match(results, /\bdmarc=pass\b[^;]*header\.from=b\.test/);
    // bob's copy is in b's Sent.
    const sentCopies = await b.messages(BOB, "Sent");
    assert.ok(sentCopies.some((m) => m.source.includes("Subject: Re: Hello from a")));
  });

  it("mail to a user b does not have comes back to alice as a DSN", async () => {
    const id = await aliceSends("nobody@b.test", "To nobody", "Is anyone there?");
    const bounce = await a.waitForMessage(
      ALICE,
      "the bounce",
      (s) =>
        /^Content-Type: multipart\/report;[^]*report-type="?delivery-status/im.test(s) &&
        s.includes(id),
    );
    assert.match(bounce, /^Final-Recipient: rfc822; ?nobody@b\.test\r?$/im);
    assert.match(bounce, /^Action: failed\r?$/im);
    assert.match(bounce, /^Status: 5\.1\.1\r?$/im);
    assert.match(bounce, /^Remote-MTA: dns; ?mail\.b\.test/im);
    // The bounce itself has no envelope sender (RFC 5321 §4.5.5), and a's queue is done with it.
    assert.match(bounce, /^Return-Path: <>\r?$/im);
    await waitFor("a's queue to be empty", async () =>
      (await a.queue()).length === 0 ? true : undefined,
    );
  });

  it("a message forged as a.test from an address a's SPF does not allow is refused at b (p=reject)", async () => {
    // Straight to b's MX from 127.0.0.1, which a's SPF (`mx`: 127.0.0.2 only) does not allow.
    const t = await SmtpTranscript.open({ host: b.spec.address, port: b.ports["smtp"] ?? 0 });
    try {
      await t.expect(220);
      await t.send("EHLO forger.example", 250);
      await t.send(`MAIL FROM:<${ALICE}>`, 250);
      await t.send(`RCPT TO:<${BOB}>`, 250);
      await t.send("DATA", 354);
      t.write(
        [
          `From: Alice <${ALICE}>`,
          `To: ${BOB}`,
          "Subject: Urgent: wire transfer",
          `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
          "Message-ID: <forged.1@a.test>",
          "",
          "Please wire the money today.",
          ".",
          "",
        ].join("\r\n"),
      );
      const reply = await t.reply(60_000);
      assert.equal(reply.code, 550, reply.text);
      assert.match(reply.text, /^5\.7\.1 /);
    } finally {
      t.close();
    }
    for (const folder of ["INBOX", "Junk"]) {
      const copies = await b.messages(BOB, folder).catch(() => []);
      assert.ok(!copies.some((m) => m.source.includes("<forged.1@a.test>")), folder);
    }
  });

  it("with b down, a's queue keeps alice's message and delivers it once b is back, once", async () => {
    await b.stop();
    const id = await aliceSends(BOB, "While you were out", "Sent while b.test was down.");
    // a tried and deferred it (connection refused), and will try again.
    const deferred = await waitFor("a's first failed attempt", async () => {
      const entry = (await a.queue()).find((e) => e.recipients.some((r) => r.address === BOB));
      const recipient = entry?.recipients[0];
      return recipient && recipient.attempts >= 1 ? recipient : undefined;
    });
    assert.equal(deferred.status, "pending");
    assert.match(deferred.dsn ?? "", /^4\./);

    await b.start();
    await b.waitForMessage(BOB, "the delayed message", (s) => s.includes(id));
    await waitFor("a's queue to be empty", async () =>
      (await a.queue()).length === 0 ? true : undefined,
    );
    // Nothing is left to retry: the copy in bob's INBOX is the only one there will be.
    const copies = (await b.messages(BOB)).filter((m) => m.source.includes(id));
    assert.equal(copies.length, 1);
  });

  it("rotates a's DKIM key through its stack file; b verifies a's mail throughout", async () => {
    const domain = "a.test";
    const step = (kind: string) => {
      const next = nextRotationStep(a.dkim, "rsa2048", { domain, now: ROTATION_DATE });
      assert.equal(next.kind, kind);
      assert.deepEqual(dkimTransitionProblems(domain, "dkim", a.dkim, next.selectors), []);
      return next.selectors;
    };
    const published = async (selector: string) =>
      (await txt(`${selector}._domainkey.${domain}`)).length === 1;

    // 1. publish: a2026b pending, in the zone; a2026a still signs.
    await a.writeStack(resolver, step("publish"));
    assert.deepEqual(
      a.dkim.map((s) => [s.selector, s.state]),
      [
        ["a2026a", "active"],
        ["a2026b", "pending"],
      ],
    );
    await publishZones();
    await waitFor("a2026b in DNS", async () => ((await published("a2026b")) ? true : undefined));
    assert.ok(await published("a2026a"));

    // Removing the active selector in one step is what the rules refuse.
    assert.ok(
      dkimTransitionProblems(
        domain,
        "dkim",
        a.dkim,
        a.dkim.filter((s) => s.selector !== "a2026a").map((s) => ({ ...s, state: "active" })),
      ).length > 0,
    );

    // 2. switch: a2026b signs, a2026a retiring and still published. The runner restarts on
    // the new stack file, as after `pulumi up`.
    await a.writeStack(resolver, step("switch"));
    await Promise.all([publishZones(), a.stop().then(() => a.start())]);
    const afterSwitch = await aliceSends(BOB, "Signed with the new key", "After the switch.");
    const switched = await b.waitForMessage(BOB, "the first mail after the switch", (s) =>
      s.includes(afterSwitch),
    );
    assert.match(headerValue(switched, "DKIM-Signature") ?? "", /\bs=a2026b;/);
    assert.match(
      headerValue(switched, "Authentication-Results") ?? "",
      /\bdkim=pass\b[^;]*header\.s=a2026b/,
    );
    assert.match(headerValue(switched, "Authentication-Results") ?? "", /\bdmarc=pass\b/);
    assert.ok(await published("a2026a"), "a retiring selector stays published");

    // 3. remove: a2026a leaves the stack file and the zone; a's mail still verifies.
    await a.writeStack(resolver, step("remove"));
    assert.deepEqual(
      a.dkim.map((s) => [s.selector, s.state]),
      [["a2026b", "active"]],
    );
    await publishZones();
    await waitFor("a2026a gone from DNS", async () =>
      (await published("a2026a")) ? undefined : true,
    );
    assert.ok(await published("a2026b"));
    const afterRemoval = await aliceSends(BOB, "After the rotation", "The old key is gone.");
    const last = await b.waitForMessage(BOB, "mail after the rotation", (s) =>
      s.includes(afterRemoval),
    );
    assert.match(
      headerValue(last, "Authentication-Results") ?? "",
      /\bdkim=pass\b[^;]*header\.s=a2026b/,
    );
  });
});
