/**
 * The MTA as the local runner starts it: a process of its own (main.ts) beside the MDA's, its
 * config written by the runner (DKIM keys generated on the way), mail submitted with nodemailer
 * and received on port 25 reaching the store, signed.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import nodemailer from "nodemailer";
import { ensureDkimKeys } from "../../cli/runner/dkim-keys.ts";
import { SERVERS } from "../../cli/runner/servers.ts";
import { startRunner, type Runner } from "../../cli/runner/start.ts";
import { parseStackConfig } from "../../stacks/load.ts";
import { openMailStore } from "../store/index.ts";
import { Transcript } from "./testing/transcript.ts";
import { freePort } from "../../test/helpers/ports.ts";

describe("the MTA under the local runner", () => {
  let dir: string;
  let runner: Runner;
  let ports: { smtp: number; submission: number; submissions: number; lmtp: number };
  const config = () =>
    parseStackConfig(
      {
        domains: [{ name: "example.test" }],
        hostname: "mail.example.test",
        users: [
          { address: "alice@example.test", name: "Alice" },
          { address: "bob@example.test", name: "Bob" },
        ],
        local: { listen: "127.0.0.1", dataDir: "data", ports },
      },
      "test",
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mailstack-mta-main-"));
    ports = {
      smtp: await freePort(),
      submission: await freePort(),
      submissions: await freePort(),
      lmtp: await freePort(),
    };
    runner = await startRunner({
      config: config(),
      source: "test",
      baseDir: dir,
      servers: SERVERS.filter((p) => p.name === "mda" || p.name === "mta"),
    });
  });
  after(async () => {
    await runner.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports its three endpoints", () => {
    const mta = runner.status().servers.find((s) => s.name === "mta");
    assert.equal(mta?.state, "running");
    assert.deepEqual(mta.endpoints, [
      { name: "smtp", host: "127.0.0.1", port: ports.smtp, tls: "starttls" },
      { name: "submission", host: "127.0.0.1", port: ports.submission, tls: "starttls" },
      { name: "submissions", host: "127.0.0.1", port: ports.submissions, tls: "implicit" },
    ]);
  });

  it("takes submitted and inbound mail into the store, submitted mail DKIM-signed", async () => {
    const password = runner.generatedPasswords.find(
      (g) => g.address === "alice@example.test",
    )?.password;
    assert.ok(password);
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: ports.submission,
      requireTLS: true,
      tls: { ca: await readFile(runner.caFile, "utf8"), servername: "mail.example.test" },
      auth: { user: "alice@example.test", pass: password },
    });
    const sent = await transport.sendMail({
      from: "alice@example.test",
      to: "bob@example.test",
      subject: "through the runner",
      text: "Hello Bob.",
    });
    assert.deepEqual(sent.accepted, ["bob@example.test"]);
    transport.close();

    const t = await Transcript.open({ port: ports.smtp });
    await t.expect(220);
    await t.send("EHLO client.remote.test", 250);
    await t.send("MAIL FROM:<x@remote.test>", 250);
    await t.send("RCPT TO:<bob@example.test>", 250);
    await t.send("DATA", 354);
    t.write("From: x@remote.test\r\nSubject: from outside\r\n\r\nHi\r\n.\r\n");
    await t.expect(250);
    t.close();

    const records = new Map(
      (await ensureDkimKeys(config(), runner.dataDir)).map((k) => [k.recordName, k.recordValue]),
    );
    const store = openMailStore({ dataDir: runner.dataDir });
    try {
      const account = await store.openAccount("bob@example.test");
      const view = await account.openMailbox("INBOX");
      const texts = await Promise.all(
        (await view.list()).map(async (m) =>
          Buffer.from((await view.read(m.uid)) ?? new Uint8Array()).toString(),
        ),
      );
      await account.close();
      const submitted = texts.find((m) => m.includes("through the runner"));
      assert.ok(submitted);
      assert.ok(texts.some((m) => m.includes("Subject: from outside")));
      const verified = await dkimVerify(submitted, {
        resolver: (name: string) => {
          const value = records.get(name);
          return value
            ? Promise.resolve([[value]])
            : Promise.reject(Object.assign(new Error("none"), { code: "ENOTFOUND" }));
        },
      });
      assert.deepEqual(
        verified.results.map((r) => `${r.selector ?? ""}:${r.status.result}`),
        ["local:pass"],
      );
    } finally {
      await store.close();
    }
  });
});
