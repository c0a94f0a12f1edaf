/**
 * Real POP3 clients against a running server, each logging in, listing, retrieving, deleting
 * and quitting, with the store read back afterwards: Python's poplib (POP3_SSL, and POP3 with
 * stls()), curl (pop3s:// and pop3:// with --ssl-reqd) and fetchmail (STLS and implicit TLS).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { RunningServer } from "../shared/lifecycle.ts";
import { startPop3 } from "./server.ts";
import { createFixture, log, message, USERS, type Fixture } from "./testing/fixtures.ts";
import { SocketTranscript } from "./testing/transcript.ts";

const run = promisify(execFile);
let f: Fixture;
let server: RunningServer;
let plainPort: number;
let tlsPort: number;

before(async () => {
  f = await createFixture();
  server = await startPop3(f.config(), { directory: f.directory, store: f.store, log });
  plainPort = server.endpoints.find((e) => e.name === "pop3")?.port ?? 0;
  tlsPort = server.endpoints.find((e) => e.name === "pop3s")?.port ?? 0;
});
after(async () => {
  await server.stop();
  await f.close();
});

/** Gives `user` exactly these messages. */
async function fill(user: string, ids: string[]): Promise<void> {
  const account = await f.store.openAccount(user);
  await (await account.openMailbox("INBOX")).expunge({ onlyDeleted: false });
  await account.close();
  for (const id of ids) await f.deliver(user, message(id, `Body of ${id}\r\n.dot line`));
}

const subjects = async (user: string) =>
  (await f.inbox(user)).map((m) => /^Subject: (.*)$/m.exec(m.text)?.[1]);

const POPLIB = `
import json, poplib, ssl, sys
mode, port, cafile, user, password = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
before = None
if mode == "pop3s":
    client = poplib.POP3_SSL("127.0.0.1", int(port), context=context, timeout=20)
else:
    client = poplib.POP3("127.0.0.1", int(port), timeout=20)
    before = sorted(client.capa())
    client.stls(context=context)
caps = sorted(client.capa())
client.user(user)
client.pass_(password)
result = dict(
    before=before,
    caps=caps,
    stat=client.stat(),
    listing=[l.decode() for l in client.list()[1]],
    uidl=[l.decode() for l in client.uidl()[1]],
    retr=[l.decode("latin1") for l in client.retr(1)[1]],
    top=[l.decode("latin1") for l in client.top(2, 0)[1]],
    dele=client.dele(1).decode(),
    quit=client.quit().decode(),
)
print(json.dumps(result))
`;

describe("Python poplib", () => {
  for (const mode of ["pop3s", "stls"] as const) {
    it(`logs in, lists, retrieves, deletes and quits over ${mode}`, async () => {
      const { bob } = USERS;
      await fill(bob.address, ["p1", "p2"]);
      const port = mode === "pop3s" ? tlsPort : plainPort;
      const { stdout } = await run(
        "python3",
        ["-c", POPLIB, mode, String(port), f.caPath, bob.address, bob.password],
        { timeout: 30_000 },
      );
      const result = JSON.parse(stdout) as Record<string, unknown>;
      if (mode === "stls") {
        assert.ok((result.before as string[]).includes("STLS"));
        assert.ok(!(result.before as string[]).includes("USER"));
      }
      assert.ok((result.caps as string[]).includes("SASL"));
      assert.equal((result.stat as number[])[0], 2);
      assert.deepEqual(
        (result.listing as string[]).map((l) => l.split(" ")[0]),
        ["1", "2"],
      );
      assert.equal((result.uidl as string[]).length, 2);
      assert.deepEqual((result.retr as string[]).slice(-2), ["Body of p1", ".dot line"]);
      assert.ok((result.top as string[]).includes("Subject: p2"));
      assert.match(result.quit as string, /^\+OK Bye, 1 messages deleted/);
      assert.deepEqual(await subjects(bob.address), ["p2"]);
    });
  }
});

describe("curl", () => {
  const curl = (url: string, extra: string[] = []) =>
    run(
      "curl",
      [
        "--silent",
        "--show-error",
        "--max-time",
        "20",
        "--cacert",
        f.caPath,
        "--user",
        `${USERS.carol.address}:${USERS.carol.password}`,
        ...extra,
        url,
      ],
      { timeout: 30_000 },
    );

  it("lists, retrieves and deletes over pop3s:// (implicit TLS)", async () => {
    await fill(USERS.carol.address, ["c1", "c2"]);
    const base = `pop3s://127.0.0.1:${tlsPort}`;
    const list = await curl(`${base}/`);
    assert.match(list.stdout, /^1 \d+\r\n2 \d+\r\n$/);
    const retr = await curl(`${base}/2`);
    assert.match(retr.stdout, /Subject: c2\r\n[\s\S]*Body of c2\r\n\.dot line\r\n$/);
    await curl(`${base}/1`, ["--request", "DELE", "--head"]);
    assert.deepEqual(await subjects(USERS.carol.address), ["c2"]);
  });

  it("upgrades with STLS on pop3:// with --ssl-reqd", async () => {
    await fill(USERS.carol.address, ["c3"]);
    const base = `pop3://127.0.0.1:${plainPort}`;
    const uidl = await curl(`${base}/`, ["--ssl-reqd", "--request", "UIDL"]);
    assert.match(uidl.stdout, /^1 \d+\.\d+\r\n$/);
    const retr = await curl(`${base}/1`, ["--ssl-reqd"]);
    assert.match(retr.stdout, /Subject: c3/);
    await curl(`${base}/1`, ["--ssl-reqd", "--request", "DELE", "--head"]);
    assert.deepEqual(await subjects(USERS.carol.address), []);
  });

  it("gets nothing on pop3:// without TLS: the server refuses a cleartext login", async () => {
    await fill(USERS.carol.address, ["c4"]);
    await assert.rejects(curl(`pop3://127.0.0.1:${plainPort}/1`));
    assert.deepEqual(await subjects(USERS.carol.address), ["c4"]);
  });
});

describe("fetchmail", () => {
  for (const mode of ["stls", "implicit"] as const) {
    it(`fetches and deletes everything once (${mode} TLS, certificate checked)`, async (t) => {
      assert.ok(existsSync("/usr/bin/fetchmail"), "fetchmail missing: .ci/run installs it");
      const { dave } = USERS;
      await fill(dave.address, ["f1", "f2", "f3"]);
      const home = join(f.dir, `fetchmail-${mode}`);
      await mkdir(home, { recursive: true });
      const rc = join(home, "fetchmailrc");
      const port = mode === "implicit" ? tlsPort : plainPort;
      await writeFile(
        rc,
        [
          "set no bouncemail",
          `poll localhost service ${port} protocol POP3 uidl timeout 20`,
          `  user "${dave.address}" there with password "${dave.password}" is "root" here`,
          `  ${mode === "implicit" ? "ssl " : ""}sslproto 'TLS1.2+' sslcertck sslcertfile "${f.caPath}"`,
          "  fetchall",
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      const out = join(home, "out.bsmtp");
      const result = await run("fetchmail", ["-f", rc, "--bsmtp", out, "--nosyslog", "-v"], {
        timeout: 60_000,
        env: { ...process.env, FETCHMAILHOME: home, HOME: home },
      });
      t.diagnostic(result.stdout.trim().split("\n").slice(-2).join(" | "));
      const bsmtp = await readFile(out, "latin1");
      for (const id of ["f1", "f2", "f3"]) assert.match(bsmtp, new RegExp(`Subject: ${id}`));
      assert.match(bsmtp, /\r?\n\.\.dot line\r?\n/, "BSMTP re-stuffs the dot line");
      assert.deepEqual(await subjects(dave.address), []);
    });
  }
});

describe("the store changes under a session (as IMAP would change it)", () => {
  it("hides new mail until the next login; DELE then a drop keeps, DELE then QUIT removes", async () => {
    const { erin } = USERS;
    await fill(erin.address, ["e1"]);
    const t = await SocketTranscript.open(tlsPort, { ca: f.ca });
    await t.expect("+OK");
    await t.login(erin.address, erin.password);
    await f.deliver(erin.address, message("e2"));
    await t.send("STAT", "+OK", /^1 /);
    await t.send("DELE 1", "+OK");
    t.close();
    await t.closedByServer();

    const u = await SocketTranscript.open(tlsPort, { ca: f.ca });
    await u.expect("+OK");
    // The server may see the drop a moment after the client: [IN-USE] until it does.
    for (let i = 0; i < 20; i++) {
      await u.send(`USER ${erin.address}`, "+OK");
      u.write(`PASS ${erin.password}\r\n`);
      const reply = await u.line();
      if (reply.startsWith("+OK")) break;
      assert.match(reply, /\[IN-USE\]/);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await u.send("STAT", "+OK", /^2 /);
    await u.send("DELE 1", "+OK");
    await u.send("QUIT", "+OK", /1 messages deleted, 1 left/);
    assert.deepEqual(await subjects(erin.address), ["e2"]);
  });
});
