/**
 * Real clients against the running server: imapflow (login, list, fetch, flag, move, append,
 * IDLE seeing a delivery made by another process) and Python's imaplib.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { ImapFlow } from "imapflow";
import { spawnChild } from "../store/testing/spawn.ts";
import { createEnv, message, PASSWORD, seed, type TestEnv } from "./testing/harness.ts";
import { startTestServer, type RunningImap } from "./testing/server-fixture.ts";

const IMAPLIB_CLIENT = fileURLToPath(new URL("./testing/imaplib-client.py", import.meta.url));

describe("real IMAP clients", () => {
  let env: TestEnv;
  let imap: RunningImap;
  before(async () => {
    env = await createEnv();
    imap = await startTestServer(env);
  });
  after(async () => {
    await imap.server.stop();
    await env.close();
  });

  function flow(user: string, starttls = false): ImapFlow {
    return new ImapFlow({
      autoIdleDelay: 100,
      host: "127.0.0.1",
      port: starttls ? imap.starttlsPort : imap.implicitPort,
      secure: !starttls,
      doSTARTTLS: starttls ? true : undefined,
      tls: { ca: imap.ca, servername: "localhost" },
      auth: { user: `${user}@example.test`, pass: PASSWORD },
      logger: false,
    });
  }

  it("imapflow logs in, lists, fetches, flags, moves, appends and logs out", async () => {
    await seed(env, "alice", "INBOX", [
      message({ subject: "first" }),
      message({ subject: "second" }),
    ]);
    const client = flow("alice", true);
    await client.connect();
    try {
      const names = (await client.list()).map((m) => [m.path, m.specialUse]);
      assert.deepEqual(
        names.find(([p]) => p === "Junk"),
        ["Junk", "\\Junk"],
      );
      const lock = await client.getMailboxLock("INBOX");
      try {
        const subjects: string[] = [];
        for await (const m of client.fetch("1:*", {
          envelope: true,
          flags: true,
          bodyStructure: true,
          source: true,
        })) {
          subjects.push(m.envelope?.subject ?? "");
          assert.ok(m.source?.toString().includes("Hello Alice."));
          assert.equal(m.bodyStructure?.type, "text/plain");
        }
        assert.deepEqual(subjects, ["first", "second"]);
        assert.ok(await client.messageFlagsAdd("1", ["\\Flagged"]));
        const flagged = await client.fetchOne("1", { flags: true });
        assert.ok(flagged && flagged.flags?.has("\\Flagged"));
        const moved = await client.messageMove("2", "Archive");
        assert.ok(moved && moved.uidMap?.size === 1);
        const appended = await client.append("INBOX", message({ subject: "third" }), ["\\Seen"]);
        assert.ok(appended && appended.uid === 3);
        const found = await client.search({ subject: "third" }, { uid: true });
        assert.deepEqual(found, [3]);
      } finally {
        lock.release();
      }
      const status = await client.status("Archive", { messages: true });
      assert.ok(status && status.messages === 1);
    } finally {
      await client.logout();
    }
  });

  it("imapflow in IDLE sees a message another process delivers, within a second", async () => {
    const client = flow("bob");
    await client.connect();
    try {
      await client.mailboxOpen("INBOX");
      const seen = new Promise<number>((resolve) => client.on("exists", (e) => resolve(e.count)));
      // imapflow enters IDLE after autoIdleDelay of quiet (15 s by default; 100 ms here).
      await new Promise((resolve) => setTimeout(resolve, 400));
      const started = Date.now();
      const child = spawnChild([env.dataDir, "bob@example.test", "deliver", "1", "idle"]);
      await child.waitFor((line) => line.startsWith("ack "), 10_000);
      const delivered = Date.now();
      const count = await seen;
      assert.equal(count, 1);
      assert.ok(
        Date.now() - delivered < 1000,
        `EXISTS came ${Date.now() - delivered} ms after delivery`,
      );
      assert.ok(Date.now() - started < 15_000);
      await child.exited;
    } finally {
      await client.logout();
    }
  });

  it("Python's imaplib does the everyday commands", async () => {
    await seed(env, "carol", "INBOX", [message({ subject: "for python", body: "body text" })]);
    const { stdout } = await promisify(execFile)("python3", [IMAPLIB_CLIENT], {
      env: {
        ...process.env,
        IMAP_PORT: String(imap.implicitPort),
        IMAP_CA: imap.caPath,
        IMAP_USER: "carol@example.test",
        IMAP_PASSWORD: PASSWORD,
      },
    });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(out.login, "OK");
    assert.ok((out.list as string[]).includes('(\\HasNoChildren \\Junk) "/" "Junk"'));
    assert.equal(out.exists, 1);
    assert.equal(out.fetch_header, "Subject: for python");
    assert.equal(out.fetch_text, "body text\r\n");
    assert.deepEqual(out.store, ["1 (FLAGS (\\Seen \\Flagged \\Recent))"]);
    assert.equal(out.search, "1");
    assert.equal(out.uid_search, "1");
    assert.match((out.append as string[])[1] ?? "", /^\[APPENDUID \d+ 2\] APPEND completed$/);
    assert.match((out.copy as string[])[1] ?? "", /^\[COPYUID \d+ 1 1\] COPY completed$/);
    assert.equal(out.move, "OK");
    assert.equal(out.status_trash, '"Trash" (MESSAGES 1)');
    assert.equal(out.logout, "BYE");
  });
});
