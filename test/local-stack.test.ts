/**
 * The system as `npm start` runs it: the runner starts every server that exists as a process,
 * and mail travels between them over real sockets.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import nodemailer from "nodemailer";
import { lmtpSocketPath } from "../cli/runner/servers.ts";
import { startRunner, type Runner } from "../cli/runner/start.ts";
import { openMailStore } from "../servers/store/index.ts";
import { parseStackConfig } from "../stacks/load.ts";
import { SmtpTranscript } from "./helpers/smtp-transcript.ts";
import { freeRunnerPorts } from "./helpers/ports.ts";

describe("the local stack", () => {
  let dir: string;
  let runner: Runner;
  let lmtpPort: number;
  let otherPorts: Record<string, number>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailstack-local-"));
    // Every server binds its own ports: free ones, so the test never meets a running `npm start`.
    otherPorts = await freeRunnerPorts();
    lmtpPort = otherPorts["lmtp"] ?? 0;
    runner = await startRunner({
      config: parseStackConfig(
        {
          domains: [{ name: "example.test" }],
          hostname: "mail.example.test",
          users: [{ address: "demo@example.test", name: "Demo User", quota: "1GiB" }],
          aliases: [{ address: "postmaster@example.test", to: "demo@example.test" }],
          local: { listen: "127.0.0.1", dataDir: "data", ports: { lmtp: lmtpPort, ...otherPorts } },
        },
        "test",
      ),
      source: "test",
      baseDir: dir,
    });
  });
  after(async () => {
    await runner.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs the MDA and reports its LMTP endpoint", () => {
    const mda = runner.status().servers.find((s) => s.name === "mda");
    assert.equal(mda?.state, "running");
    assert.deepEqual(mda.endpoints, [
      { name: "lmtp", host: "127.0.0.1", port: lmtpPort, tls: "none" },
    ]);
  });

  it("delivers over LMTP (TCP and the Unix socket) into the demo user's INBOX", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: lmtpPort,
      lmtp: true,
      ignoreTLS: true,
    });
    const sent = await transport.sendMail({
      from: "someone@remote.test",
      to: "postmaster@example.test",
      subject: "hello over LMTP",
      text: "It works.",
    });
    assert.deepEqual(sent.accepted, ["postmaster@example.test"]);

    const t = await SmtpTranscript.open({ path: lmtpSocketPath(runner.dataDir) });
    await t.expect(220);
    await t.send("LHLO local", 250);
    await t.send("MAIL FROM:<someone@remote.test>", 250);
    await t.send("RCPT TO:<demo@example.test>", 250);
    await t.send("RCPT TO:<ghost@example.test>", 550, /^5\.1\.1/);
    await t.send("DATA", 354);
    t.write("Subject: over the socket\r\nMessage-ID: <sock@remote.test>\r\n\r\nHi\r\n.\r\n");
    await t.expect(250);
    t.close();

    // Another process (this one) reads what the MDA process stored.
    const store = openMailStore({ dataDir: runner.dataDir });
    const account = await store.openAccount("demo@example.test");
    const inbox = await account.openMailbox("INBOX");
    const subjects = await Promise.all(
      (await inbox.list()).map(
        async (m) =>
          /^Subject: (.*)$/m.exec(Buffer.from((await inbox.read(m.uid)) ?? []).toString())?.[1],
      ),
    );
    assert.deepEqual(subjects, ["hello over LMTP", "over the socket"]);
    await account.close();
    await store.close();
  });
});
