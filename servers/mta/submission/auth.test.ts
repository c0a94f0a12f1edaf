/**
 * Submission on 587 (STARTTLS, then AUTH) and 465 (implicit TLS): transcripts for every AUTH
 * reply, then real clients (nodemailer, Python's smtplib, swaks) trusting the test CA.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { PASSWORD, startHarness, type Harness } from "../testing/harness.ts";
import { b64, plain, Transcript } from "../testing/transcript.ts";

const run = promisify(execFile);
/** Debian's own Python: a pyenv shim on PATH costs seconds per start. */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.stop());

async function secured587(): Promise<Transcript> {
  const t = await Transcript.open({ port: h.ports.submission });
  await t.expect(220);
  await t.send("EHLO mua.example.test", 250);
  await t.send("STARTTLS", 220);
  await t.startTls(h.caCert);
  return t;
}

describe("submission 587: before TLS", () => {
  it("offers STARTTLS but not AUTH, refuses AUTH (538 5.7.11) and MAIL (530 5.7.0)", async () => {
    const t = await Transcript.open({ port: h.ports.submission });
    await t.expect(220);
    const ehlo = await t.send("EHLO mua.example.test", 250);
    assert.ok(ehlo.lines.includes("STARTTLS"));
    assert.ok(!ehlo.lines.some((l) => l.startsWith("AUTH")), ehlo.text);
    await t.send(`AUTH PLAIN ${plain("alice@example.test", PASSWORD)}`, 538, /^5\.7\.11 /);
    await t.send("AUTH LOGIN", 538, /^5\.7\.11 /);
    await t.send("MAIL FROM:<alice@example.test>", 530, /^5\.7\.0 Authentication required/);
    t.close();
  });
});

describe("submission 587: AUTH under TLS", () => {
  it("lists AUTH PLAIN LOGIN and DSN, takes PLAIN (235 2.7.0), refuses a second AUTH", async () => {
    const t = await secured587();
    const ehlo = await t.send("EHLO mua.example.test", 250);
    assert.ok(ehlo.lines.includes("AUTH PLAIN LOGIN"), ehlo.text);
    assert.ok(ehlo.lines.includes("DSN") && ehlo.lines.includes("REQUIRETLS"), ehlo.text);
    await t.send("MAIL FROM:<alice@example.test>", 530, /^5\.7\.0 /);
    await t.send(`AUTH PLAIN ${plain("alice@example.test", PASSWORD)}`, 235, /^2\.7\.0 /);
    await t.send(`AUTH PLAIN ${plain("alice@example.test", PASSWORD)}`, 503, /^5\.5\.1 /);
    await t.send("MAIL FROM:<alice@example.test>", 250, /^2\.1\.0 /);
    t.close();
  });

  it("takes LOGIN in three steps", async () => {
    const t = await secured587();
    await t.send("EHLO mua.example.test", 250);
    await t.send("AUTH LOGIN", 334, /^VXNlcm5hbWU6$/);
    await t.send(b64("bob@example.test"), 334, /^UGFzc3dvcmQ6$/);
    await t.send(b64(PASSWORD), 235, /^2\.7\.0 /);
    t.close();
  });

  it("answers a wrong password 535 5.7.8, and the same for an unknown login", async () => {
    const t = await secured587();
    await t.send("EHLO mua.example.test", 250);
    await t.send(`AUTH PLAIN ${plain("bob@example.test", "wrong")}`, 535, /^5\.7\.8 /);
    await t.send(`AUTH PLAIN ${plain("nobody@example.test", "wrong")}`, 535, /^5\.7\.8 /);
    await t.send("AUTH LOGIN", 334);
    await t.send(b64("bob@example.test"), 334);
    await t.send(b64("also wrong"), 535, /^5\.7\.8 /);
    await t.send(`AUTH PLAIN ${plain("bob@example.test", PASSWORD)}`, 235);
    t.close();
  });

  it("refuses PLAIN acting as someone else (authzid), and unknown mechanisms", async () => {
    const t = await secured587();
    await t.send("EHLO mua.example.test", 250);
    await t.send(
      `AUTH PLAIN ${plain("bob@example.test", PASSWORD, "alice@example.test")}`,
      535,
      /^5\.7\.8 /,
    );
    await t.send("AUTH CRAM-MD5", 504, /^5\.5\.4 /);
    t.close();
  });

  it("throttles a login after five failures: 454 4.7.0, even with the right password", async () => {
    const t = await secured587();
    await t.send("EHLO mua.example.test", 250);
    for (let i = 0; i < 5; i++) {
      await t.send(`AUTH PLAIN ${plain("victim@example.test", `guess${i}`)}`, 535, /^5\.7\.8 /);
    }
    await t.send(
      `AUTH PLAIN ${plain("victim@example.test", PASSWORD)}`,
      454,
      /^4\.7\.0 Too many failed logins/,
    );
    await t.send(`AUTH PLAIN ${plain("bob@example.test", PASSWORD)}`, 235); // others are not locked out
    t.close();
  });

  it("answers 454 4.7.0 while the directory is down", async () => {
    const t = await secured587();
    await t.send("EHLO mua.example.test", 250);
    h.directoryDown = true;
    try {
      await t.send(
        `AUTH PLAIN ${plain("bob@example.test", PASSWORD)}`,
        454,
        /^4\.7\.0 Temporary authentication failure/,
      );
    } finally {
      h.directoryDown = false;
    }
    t.close();
  });
});

describe("submission 465: implicit TLS", () => {
  it("offers AUTH from the start and takes mail", async () => {
    const t = await Transcript.open({ port: h.ports.submissions, tlsCa: h.caCert });
    await t.expect(220);
    const ehlo = await t.send("EHLO mua.example.test", 250);
    assert.ok(ehlo.lines.includes("AUTH PLAIN LOGIN"));
    assert.ok(!ehlo.lines.includes("STARTTLS"));
    await t.send(`AUTH PLAIN ${plain("alice@example.test", PASSWORD)}`, 235);
    await t.send("MAIL FROM:<alice@example.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write("From: alice@example.test\r\nSubject: over-465\r\n\r\nHi\r\n.\r\n");
    await t.expect(250, /^2\.0\.0 Ok: delivered as /);
    t.close();
  });
});

describe("submission: clients that do not log in", () => {
  it("closes after ten commands without AUTH with 421, and after ten unknown ones", async () => {
    const t = await Transcript.open({ port: h.ports.submissions, tlsCa: h.caCert });
    await t.expect(220);
    await t.send("EHLO mua.example.test", 250);
    for (let i = 2; i < 10; i++) await t.send("NOOP", 250);
    await t.send("NOOP", 421, /too many unauthenticated commands/);
    await t.closedByServer();

    const u = await Transcript.open({ port: h.ports.submissions, tlsCa: h.caCert });
    await u.expect(220);
    for (let i = 1; i < 10; i++) await u.send(`XYZZY${i}`, 500);
    await u.send("XYZZY10", 421, /too many unrecognized commands/);
    await u.closedByServer();
  });
});

describe("submission with real clients", () => {
  const mail = (subject: string) => ({
    from: "Alice <alice@example.test>",
    to: "bob@example.test",
    subject,
    text: "Sent by a real client.",
  });

  for (const [name, port, secure] of [
    ["587 STARTTLS", "submission", false],
    ["465 TLS", "submissions", true],
  ] as const) {
    it(`nodemailer over ${name}, PLAIN and LOGIN`, async () => {
      for (const method of ["PLAIN", "LOGIN"]) {
        const transport = nodemailer.createTransport({
          host: "127.0.0.1",
          port: h.ports[port],
          secure,
          requireTLS: !secure,
          tls: { ca: h.caCert, servername: "mail.example.test" },
          auth: { user: "alice@example.test", pass: PASSWORD, method },
        });
        const info = await transport.sendMail(mail(`nodemailer ${name} ${method}`));
        assert.deepEqual(info.accepted, ["bob@example.test"]);
        transport.close();
      }
      const wrong = nodemailer.createTransport({
        host: "127.0.0.1",
        port: h.ports[port],
        secure,
        requireTLS: !secure,
        tls: { ca: h.caCert, servername: "mail.example.test" },
        auth: { user: "alice@example.test", pass: "nope" },
      });
      await assert.rejects(wrong.sendMail(mail("never")), { responseCode: 535 });
      wrong.close();
    });

    it(`Python smtplib over ${name}, PLAIN and LOGIN`, async () => {
      for (const method of ["PLAIN", "LOGIN"]) {
        const { stdout } = await run(PYTHON, [
          "-c",
          SMTPLIB,
          secure ? "tls" : "starttls",
          String(h.ports[port]),
          h.caPath,
          method,
          "alice@example.test",
          PASSWORD,
          `smtplib ${name} ${method}`,
        ]);
        assert.equal(stdout.trim(), "sent {}");
      }
    });
  }

  it("swaks over 587 with STARTTLS and AUTH PLAIN", async () => {
    const { stdout } = await run("swaks", [
      "--server",
      `127.0.0.1:${h.ports.submission}`,
      "--from",
      "alice@example.test",
      "--to",
      "bob@example.test",
      "--header",
      "Subject: swaks submission",
      "--tls",
      "--tls-verify",
      "--tls-ca-path",
      h.caPath,
      "--tls-sni",
      "mail.example.test",
      "--auth",
      "PLAIN",
      "--auth-user",
      "alice@example.test",
      "--auth-password",
      PASSWORD,
    ]);
    assert.match(stdout, /<~ {2}235 2\.7\.0 /);
    assert.match(stdout, /<~ {2}250 2\.0\.0 Ok: delivered as /);
  });

  it("delivered every message once into bob's INBOX", async () => {
    const subjects = (await h.messages("bob@example.test")).map(
      (m) => /\r\nSubject: (.*)\r\n/.exec(m)?.[1],
    );
    for (const expected of [
      "nodemailer 587 STARTTLS PLAIN",
      "nodemailer 465 TLS LOGIN",
      "smtplib 587 STARTTLS LOGIN",
      "smtplib 465 TLS PLAIN",
      "swaks submission",
    ]) {
      assert.equal(subjects.filter((s) => s === expected).length, 1, expected);
    }
  });
});

/** argv: mode port ca method user password subject */
const SMTPLIB = `
import smtplib, ssl, sys
from email.message import EmailMessage
mode, port, ca, method, user, password, subject = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
if mode == "tls":
    s = smtplib.SMTP_SSL("127.0.0.1", int(port), local_hostname="python.example.test", context=ctx)
else:
    s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="python.example.test")
    s.starttls(context=ctx)
s.ehlo("python.example.test")
s.user, s.password = user, password
if method == "LOGIN":
    s.auth("LOGIN", s.auth_login, initial_response_ok=False)
else:
    s.auth("PLAIN", s.auth_plain)
m = EmailMessage()
m["From"] = user
m["To"] = "bob@example.test"
m["Subject"] = subject
m.set_content("Sent by smtplib.")
print("sent", s.send_message(m))
s.quit()
`;
