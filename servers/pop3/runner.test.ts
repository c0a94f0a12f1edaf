/**
 * POP3 as `npm start` runs it: the local runner starts the MDA and the POP3 server as processes
 * with the runner's certificate; mail delivered over LMTP is fetched with Python's poplib over
 * STLS and implicit TLS, trusting the runner's CA.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { SERVERS } from "../../cli/runner/servers.ts";
import { startRunner, type Runner } from "../../cli/runner/start.ts";
import { parseStackConfig } from "../../stacks/load.ts";
import { freePort } from "../../test/helpers/ports.ts";
import { SmtpTranscript } from "../../test/helpers/smtp-transcript.ts";

const run = promisify(execFile);

const FETCH = `
import poplib, ssl, sys
mode, port, cafile, user, password = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
if mode == "pop3s":
    client = poplib.POP3_SSL("127.0.0.1", int(port), context=context, timeout=20)
else:
    client = poplib.POP3("127.0.0.1", int(port), timeout=20)
    client.stls(context=context)
client.user(user)
client.pass_(password)
count = client.stat()[0]
for n in range(1, count + 1):
    print(b"\\n".join(client.retr(n)[1]).decode())
    client.dele(n)
client.quit()
`;

describe("POP3 in the local runner", () => {
  let dir: string;
  let runner: Runner;
  let ports: { lmtp: number; pop3: number; pop3s: number };
  let password: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailstack-pop3-runner-"));
    ports = { lmtp: await freePort(), pop3: await freePort(), pop3s: await freePort() };
    runner = await startRunner({
      config: parseStackConfig(
        {
          domains: [{ name: "example.test" }],
          hostname: "mail.example.test",
          users: [{ address: "demo@example.test", name: "Demo User" }],
          local: { listen: "127.0.0.1", dataDir: "data", ports },
        },
        "test",
      ),
      source: "test",
      baseDir: dir,
      servers: SERVERS.filter((s) => s.name === "mda" || s.name === "pop3"),
    });
    password = runner.generatedPasswords[0]?.password ?? "";
  });
  after(async () => {
    await runner.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports both POP3 endpoints", () => {
    const pop3 = runner.status().servers.find((s) => s.name === "pop3");
    assert.equal(pop3?.state, "running");
    assert.deepEqual(pop3.endpoints, [
      { name: "pop3", host: "127.0.0.1", port: ports.pop3, tls: "starttls" },
      { name: "pop3s", host: "127.0.0.1", port: ports.pop3s, tls: "implicit" },
    ]);
  });

  it("hands out over STLS and implicit TLS what the MDA delivered, then deletes it", async () => {
    assert.ok(password, "the runner generated a password for the demo user");
    const deliver = async (subject: string) => {
      const t = await SmtpTranscript.open({ port: ports.lmtp });
      await t.expect(220);
      await t.send("LHLO local", 250);
      await t.send("MAIL FROM:<someone@remote.test>", 250);
      await t.send("RCPT TO:<demo@example.test>", 250);
      await t.send("DATA", 354);
      t.write(`Subject: ${subject}\r\nMessage-ID: <${subject}@remote.test>\r\n\r\nHi\r\n.\r\n`);
      await t.expect(250);
      t.close();
    };
    for (const [mode, port] of [
      ["stls", ports.pop3],
      ["pop3s", ports.pop3s],
    ] as const) {
      await deliver(`over-${mode}`);
      const { stdout } = await run(
        "python3",
        ["-c", FETCH, mode, String(port), runner.caFile, "demo@example.test", password],
        { timeout: 30_000 },
      );
      assert.match(stdout, new RegExp(`Subject: over-${mode}`));
      assert.match(stdout, /Delivered-To: demo@example\.test/);
      if (mode === "pop3s") assert.doesNotMatch(stdout, /over-stls/, "deleted at the first QUIT");
    }
  });
});
