/**
 * The MDA over real sockets: transcripts on TCP and on a Unix socket, nodemailer in LMTP mode,
 * Postfix's smtp-source, and the store read back afterwards.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { openFileDirectory } from "../shared/directory/file-directory.ts";
import { ensureLocalCa, issueServerCertificate } from "../shared/tls/local-ca.ts";
import { hashPassword } from "../shared/directory/passwords.ts";
import type { Directory } from "../shared/directory/types.ts";
import type { RunningServer } from "../shared/lifecycle.ts";
import { createLogger } from "../shared/log.ts";
import { openMailStore, type MailStore } from "../store/index.ts";
import { SmtpTranscript } from "../../test/helpers/smtp-transcript.ts";
import { mdaConfigSchema, type MdaConfig } from "./config.ts";
import { startMda } from "./server.ts";

const log = createLogger("mda-test", { level: "silent" });
const DOMAINS = ["example.test", "other.test"];
const SMTP_SOURCE = "/usr/sbin/smtp-source";

let dir: string;
let directory: Directory;
let store: MailStore;
let mda: RunningServer;
let port: number;
let socketPath: string;

async function writeDirectory(path: string) {
  const hash = await hashPassword("unused-in-these-tests");
  const user = (address: string, name: string, quotaBytes?: number) => ({
    address,
    name,
    passwordHash: hash,
    ...(quotaBytes === undefined ? {} : { quotaBytes }),
  });
  await writeFile(
    path,
    JSON.stringify({
      users: [
        user("alice@example.test", "Alice"),
        user("bob@example.test", "Bob"),
        user("tiny@example.test", "Tiny", 1500),
        user("carol@other.test", "Carol"),
      ],
      aliases: [{ address: "postmaster@example.test", to: "alice@example.test" }],
      groups: [
        {
          address: "team@example.test",
          members: [
            "alice@example.test",
            "bob@example.test",
            "tiny@example.test",
            "friend@remote.test",
          ],
        },
      ],
      catchAll: [{ domain: "other.test", to: "carol@other.test" }],
    }),
  );
}

function config(overrides: Partial<Record<keyof MdaConfig, unknown>> = {}): MdaConfig {
  return mdaConfigSchema.parse({
    hostname: "mail.example.test",
    domains: DOMAINS,
    listen: [
      { kind: "tcp", host: "127.0.0.1", port: 0 },
      { kind: "unix", path: socketPath },
    ],
    dataDir: join(dir, "data"),
    directory: { backend: "file", path: join(dir, "directory.json") },
    maxMessageBytes: 200_000,
    ...overrides,
  });
}

async function messages(userId: string, mailbox = "INBOX"): Promise<string[]> {
  const account = await store.openAccount(userId);
  try {
    const view = await account.openMailbox(mailbox);
    const list = await view.list();
    return Promise.all(
      list.map(async (m) =>
        Buffer.from((await view.read(m.uid)) ?? new Uint8Array()).toString("latin1"),
      ),
    );
  } finally {
    await account.close();
  }
}

const message = (id: string, extraHeaders = "") =>
  `${extraHeaders}From: sender@remote.test\r\nTo: someone\r\nSubject: test ${id}\r\nMessage-ID: <${id}@remote.test>\r\n\r\nBody of ${id}\r\n`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-mda-"));
  socketPath = join(dir, "lmtp.sock");
  await writeDirectory(join(dir, "directory.json"));
  directory = await openFileDirectory({
    path: join(dir, "directory.json"),
    domains: DOMAINS,
    watch: false,
  });
  store = openMailStore({ dataDir: join(dir, "data") });
  mda = await startMda(config(), { directory, store, log });
  port = mda.endpoints[0]?.port ?? 0;
});

after(async () => {
  await mda.stop();
  await store.close();
  await directory.close();
  await rm(dir, { recursive: true, force: true });
});

describe("MDA: LMTP transcript on TCP", () => {
  it("answers each recipient at RCPT and once per accepted recipient after DATA", async () => {
    const t = await SmtpTranscript.open({ port });
    await t.expect(220, /mail\.example\.test LMTP mailstack MDA/);
    await t.send("LHLO client.test", 250, /PIPELINING/);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    await t.send("RCPT TO:<alice@example.test>", 250);
    await t.send("RCPT TO:<nobody@example.test>", 550, /^5\.1\.1 No such user here/);
    await t.send("RCPT TO:<alice@elsewhere.test>", 550, /^5\.1\.1 Not a local domain/);
    await t.send("RCPT TO:<Postmaster@Example.TEST>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("t1")}.\r\n`);
    await t.expect(250, /^2\.\d\.\d Delivered/); // alice
    await t.expect(250, /^2\.\d\.\d Delivered/); // postmaster = alice again: same message, dropped
    await t.expect(250, /^2\.\d\.\d Delivered/); // bob
    await t.send("QUIT", 221);
    t.close();

    const alice = await messages("alice@example.test");
    assert.equal(alice.length, 1, "the second copy for alice's alias is suppressed");
    const [stored = ""] = alice;
    assert.match(
      stored,
      /^Return-Path: <sender@remote\.test>\r\nDelivered-To: alice@example\.test\r\nReceived: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mail\.example\.test \(mailstack mda\) with LMTP id \S+\r\n\tfor <alice@example\.test>; /,
    );
    assert.ok(stored.endsWith(message("t1")), "the message follows byte for byte");
    assert.equal((await messages("bob@example.test")).length, 1);
  });

  it("answers 552 5.2.2 for a full mailbox while the others get the message", async () => {
    const t = await SmtpTranscript.open({ port });
    await t.expect(220);
    await t.send("LHLO client.test", 250);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    await t.send("RCPT TO:<tiny@example.test>", 250);
    await t.send("RCPT TO:<carol@other.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("big", `X-Padding: ${"x".repeat(2000)}\r\n`)}.\r\n`);
    await t.expect(552, /^5\.2\.2 Mailbox full/);
    await t.expect(250);
    t.close();
    assert.equal((await messages("tiny@example.test")).length, 0);
    assert.equal((await messages("carol@other.test")).length, 1);
  });

  it("refuses a message over the size limit for every recipient and keeps the connection", async () => {
    const t = await SmtpTranscript.open({ port });
    await t.expect(220);
    await t.send("LHLO client.test", 250, /SIZE 200000/);
    await t.send("MAIL FROM:<sender@remote.test>", 250);
    await t.send("RCPT TO:<alice@example.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("huge", `X-Padding: ${"y".repeat(250_000)}\r\n`)}.\r\n`);
    await t.expect(552);
    await t.expect(552);
    await t.send("NOOP", 250);
    t.close();
  });

  it("answers bad commands with the right codes and goes on", async () => {
    const t = await SmtpTranscript.open({ port });
    await t.expect(220);
    await t.send("MAIL FROM:<a@b.test>", 503); // before LHLO
    await t.send("EHLO client.test", 500); // LMTP has no EHLO (RFC 2033 §4.1)
    await t.send("LHLO client.test", 250);
    await t.send("RCPT TO:<alice@example.test>", 503); // before MAIL
    await t.send("AUTH PLAIN AGFsaWNlAHg=", 500); // no AUTH on LMTP: not a command here
    await t.send("NOOP", 250);
    // An HTTP request on a mail port is an attack or a confused client: 421 and goodbye.
    await t.send("GET / HTTP/1.1", 421, /HTTP requests not allowed/);
    t.close();
  });
});

describe("MDA: routing", () => {
  it("files plus-addressed mail into the folder of that name, when the user has one", async () => {
    const account = await store.openAccount("bob@example.test");
    await account.createMailbox("Lists");
    await account.close();
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port,
      lmtp: true,
      secure: false,
      ignoreTLS: true,
    });
    const sent = await transport.sendMail({
      envelope: {
        from: "sender@remote.test",
        to: ["bob+lists@example.test", "bob+nofolder@example.test"],
      },
      raw: message("plus"),
    });
    assert.deepEqual(sent.accepted.sort(), ["bob+lists@example.test", "bob+nofolder@example.test"]);
    assert.equal((await messages("bob@example.test", "Lists")).length, 1);
    // The second copy (same message, INBOX) is new there, so it is kept.
    const inbox = await messages("bob@example.test");
    assert.ok(inbox.some((m) => m.includes("Delivered-To: bob+nofolder@example.test")));
  });

  it("expands a group to its local members and sends catch-all mail to its owner", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port,
      lmtp: true,
      secure: false,
      ignoreTLS: true,
    });
    const before = {
      alice: (await messages("alice@example.test")).length,
      carol: (await messages("carol@other.test")).length,
    };
    const sent = await transport.sendMail({
      envelope: { from: "sender@remote.test", to: ["team@example.test", "whoever@other.test"] },
      raw: message("group"),
    });
    assert.equal(sent.accepted.length, 2);
    assert.equal((await messages("alice@example.test")).length, before.alice + 1);
    assert.equal((await messages("carol@other.test")).length, before.carol + 1);
  });

  it("files into Junk only on our MTA's verdict above every Received line", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port,
      lmtp: true,
      secure: false,
      ignoreTLS: true,
    });
    await transport.sendMail({
      envelope: { from: "sender@remote.test", to: ["carol@other.test"] },
      raw: message("junk", "X-Mailstack-Spam: junk; score=12.5\r\nReceived: from mx by mta\r\n"),
    });
    await transport.sendMail({
      envelope: { from: "sender@remote.test", to: ["carol@other.test"] },
      raw: message("forged", "Received: from evil by somewhere\r\nX-Mailstack-Spam: junk\r\n"),
    });
    const junk = await messages("carol@other.test", "Junk");
    assert.equal(junk.length, 1);
    assert.match(junk[0] ?? "", /Subject: test junk/);
    assert.ok((await messages("carol@other.test")).some((m) => m.includes("Subject: test forged")));
  });
});

describe("MDA: Unix socket, failures, real clients", () => {
  it("delivers over the Unix socket", async () => {
    const t = await SmtpTranscript.open({ path: socketPath });
    await t.expect(220);
    await t.send("LHLO local", 250);
    await t.send("MAIL FROM:<>", 250);
    await t.send("RCPT TO:<carol@other.test>", 250);
    await t.send("DATA", 354);
    t.write(`${message("socket")}.\r\n`);
    await t.expect(250);
    t.close();
    const carol = await messages("carol@other.test");
    assert.ok(
      carol.some((m) => m.startsWith("Return-Path: <>\r\n") && m.includes("(local socket)")),
    );
  });

  it("answers 451 4.3.0 when the store cannot write, and loses nothing it acknowledged", async () => {
    const blocked = join(dir, "not-a-directory");
    await writeFile(blocked, "a file where the data directory should be");
    const broken = openMailStore({ dataDir: join(blocked, "data") });
    const failing = await startMda(
      config({
        listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
        dataDir: join(blocked, "data"),
      }),
      {
        directory,
        store: broken,
        log,
      },
    );
    try {
      const t = await SmtpTranscript.open({ port: failing.endpoints[0]?.port ?? 0 });
      await t.expect(220);
      await t.send("LHLO client.test", 250);
      await t.send("MAIL FROM:<sender@remote.test>", 250);
      await t.send("RCPT TO:<alice@example.test>", 250);
      await t.send("DATA", 354);
      t.write(`${message("fail")}.\r\n`);
      await t.expect(451, /^4\.3\.0 /);
      await t.send("NOOP", 250);
      t.close();
    } finally {
      await failing.stop();
      await broken.close();
    }
  });

  it("tells nodemailer in LMTP mode each recipient's own failure: 550 5.1.1, 552 5.2.2, or 452 4.2.2", async () => {
    const lmtp = (to: number) =>
      nodemailer.createTransport({ host: "127.0.0.1", port: to, lmtp: true, ignoreTLS: true });
    const padding = `X-Padding: ${"z".repeat(2000)}\r\n`; // more than tiny's 1,500-byte quota
    const envelope = {
      from: "sender@remote.test",
      to: ["bob@example.test", "nobody@example.test", "tiny@example.test"],
    };
    const before = (await messages("bob@example.test")).length;
    const tinyBefore = (await messages("tiny@example.test")).length;
    const sent = await lmtp(port).sendMail({ envelope, raw: message("each-own", padding) });
    assert.deepEqual(sent.accepted, ["bob@example.test"]);
    assert.deepEqual(sent.rejected.sort(), ["nobody@example.test", "tiny@example.test"]);
    const codes = (
      sent as unknown as { rejectedErrors: { recipient: string; response: string }[] }
    ).rejectedErrors
      .map((e) => `${e.recipient} ${e.response.slice(0, 9)}`)
      .sort();
    assert.deepEqual(codes, ["nobody@example.test 550 5.1.1", "tiny@example.test 552 5.2.2"]);
    assert.equal((await messages("bob@example.test")).length, before + 1);

    // Configured as temporary, a full mailbox makes the sender keep the message and retry.
    const temporary = await startMda(
      config({ listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }], overQuota: "temporary" }),
      { directory, store, log },
    );
    try {
      const again = await lmtp(temporary.endpoints[0]?.port ?? 0).sendMail({
        envelope,
        raw: message("each-own-temporary", padding),
      });
      const temporaryCodes = (
        again as unknown as { rejectedErrors: { recipient: string; response: string }[] }
      ).rejectedErrors
        .map((e) => `${e.recipient} ${e.response.slice(0, 9)}`)
        .sort();
      assert.deepEqual(temporaryCodes, [
        "nobody@example.test 550 5.1.1",
        "tiny@example.test 452 4.2.2",
      ]);
    } finally {
      await temporary.stop();
    }
    assert.equal((await messages("tiny@example.test")).length, tinyBefore, "nothing for tiny");
  });

  it("upgrades with STARTTLS and delivers over TLS (nodemailer requiring TLS)", async () => {
    const ca = await ensureLocalCa(join(dir, "ca"));
    const cert = await issueServerCertificate(ca, {
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      dir: join(dir, "tls"),
      name: "mda",
    });
    const secured = await startMda(
      config({
        listen: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
        tls: { certPath: cert.certPath, keyPath: cert.keyPath },
      }),
      { directory, store, log },
    );
    try {
      const securePort = secured.endpoints[0]?.port ?? 0;
      const t = await SmtpTranscript.open({ port: securePort });
      await t.expect(220);
      await t.send("LHLO client.test", 250, /STARTTLS/);
      t.close();
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: securePort,
        lmtp: true,
        secure: false,
        requireTLS: true,
        tls: { ca: ca.caCert, servername: "localhost" },
      });
      const before = (await messages("carol@other.test")).length;
      const sent = await transport.sendMail({
        envelope: { from: "sender@remote.test", to: ["carol@other.test"] },
        raw: message("over-tls"),
      });
      assert.deepEqual(sent.accepted, ["carol@other.test"]);
      assert.equal((await messages("carol@other.test")).length, before + 1);
    } finally {
      await secured.stop();
    }
  });

  it("takes a load from Postfix's smtp-source speaking LMTP", async () => {
    assert.ok(existsSync(SMTP_SOURCE), "smtp-source missing: .ci/run installs postfix");
    const before = (await messages("alice@example.test")).length;
    await promisify(execFile)(SMTP_SOURCE, [
      "-L",
      "-s",
      "5",
      "-m",
      "50",
      "-l",
      "1024",
      "-f",
      "sender@remote.test",
      "-t",
      "alice@example.test",
      `127.0.0.1:${port}`,
    ]);
    // Each of smtp-source's messages has a Message-Id of its own, so none is a duplicate.
    assert.equal((await messages("alice@example.test")).length, before + 50);
  });
});
