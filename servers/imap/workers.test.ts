/**
 * IMAP as a primary with worker processes (`workers: 2`), started as the runner starts it:
 * servers/imap/main.ts as a child with an IPC channel. Connections on both workers over
 * STARTTLS and implicit TLS, the per-address limit and login throttling counted across workers,
 * IDLE in one worker seeing a delivery by the MDA (another process) and an APPEND in the other
 * worker, a killed worker's connections released and the worker replaced, and a clean SIGTERM.
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../test/helpers/ports.ts";
import { SmtpTranscript } from "../../test/helpers/smtp-transcript.ts";
import { hashPassword } from "../shared/directory/passwords.ts";
import { ensureLocalCa, issueServerCertificate } from "../shared/tls/local-ca.ts";
import { SocketClient } from "./testing/socket-client.ts";

const IMAP_MAIN = resolve(import.meta.dirname, "main.ts");
const MDA_MAIN = resolve(import.meta.dirname, "../mda/main.ts");
const PASSWORD = "correct horse";
/** Connections one client address may hold, all workers together. */
const PER_CLIENT = 4;

interface Child {
  readonly process: ChildProcess;
  /** Its log lines (JSON), the primary's and the workers', as they come. */
  readonly lines: Record<string, unknown>[];
}

let dir: string;
let ca: string;
let imap: Child;
let mda: Child;
let starttlsPort: number;
let implicitPort: number;
let lmtpPort: number;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function start(main: string, config: unknown, name: string): Promise<Child> {
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(config));
  const child = fork(main, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, MAILSTACK_CONFIG: path, LOG_LEVEL: "debug" },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const lines: Record<string, unknown>[] = [];
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    for (const line of parts) if (line.trim()) lines.push(JSON.parse(line) as never);
  });
  const [message] = (await Promise.race([
    once(child, "message"),
    once(child, "exit").then(([code]) => {
      throw new Error(`${name} exited with ${String(code)} before it was ready`);
    }),
  ])) as [{ type: string }];
  assert.equal(message.type, "ready");
  return { process: child, lines };
}

/** Pids of the IMAP workers that logged "worker listening", oldest first. */
function imapWorkers(): number[] {
  return imap.lines.filter((l) => l.msg === "worker listening").map((l) => Number(l.pid));
}

/** The pid of the worker that logged the last `connected` line. */
function lastConnectedPid(): number {
  const connected = imap.lines.filter((l) => l.msg === "connected");
  return Number(connected.at(-1)?.pid);
}

/** A connection on the implicit-TLS port that has read the greeting, or the refusal. */
async function connect(): Promise<{ client: SocketClient; greeting: string }> {
  const client = await SocketClient.connect(implicitPort, { tls: true, ca });
  return { client, greeting: await client.output.nextLine() };
}

async function login(user: string, password: string): Promise<string> {
  const { client, greeting } = await connect();
  try {
    assert.match(greeting, /^\* OK /);
    client.write(`a LOGIN ${user}@example.test "${password}"\r\n`);
    for (;;) {
      const line = await client.output.nextLine();
      if (line.startsWith("a ")) return line;
    }
  } finally {
    client.end();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-imap-workers-"));
  const authority = await ensureLocalCa(join(dir, "ca"));
  const cert = await issueServerCertificate(authority, {
    dir: join(dir, "ca"),
    name: "imap",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  ca = await readFile(authority.caCertPath, "utf8");
  const hash = await hashPassword(PASSWORD);
  await writeFile(
    join(dir, "directory.json"),
    JSON.stringify({
      users: ["alice", "bob", "carol", "dave"].map((u) => ({
        address: `${u}@example.test`,
        name: u,
        passwordHash: hash,
      })),
    }),
  );
  starttlsPort = await freePort();
  implicitPort = await freePort();
  lmtpPort = await freePort();
  const common = {
    hostname: "mail.example.test",
    domains: ["example.test"],
    dataDir: join(dir, "data"),
    directory: { backend: "file", path: join(dir, "directory.json") },
  };
  mda = await start(
    MDA_MAIN,
    { ...common, listen: [{ kind: "tcp", host: "127.0.0.1", port: lmtpPort }], workers: 1 },
    "mda",
  );
  imap = await start(
    IMAP_MAIN,
    {
      ...common,
      listen: [
        { host: "127.0.0.1", port: starttlsPort, tls: "starttls" },
        { host: "127.0.0.1", port: implicitPort, tls: "implicit" },
      ],
      tls: { certPath: cert.certPath, keyPath: cert.keyPath },
      maxConnectionsPerClient: PER_CLIENT,
      workers: 2,
    },
    "imap",
  );
});

after(async () => {
  for (const child of [imap, mda]) {
    const p = child?.process;
    if (p && p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  }
  for (const pid of imap ? imapWorkers() : []) if (alive(pid)) process.kill(pid, "SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

/** Reads lines until one matches (untagged updates may come in any order around it). */
async function lineMatching(client: SocketClient, pattern: RegExp): Promise<string> {
  for (;;) {
    const line = await client.output.nextLine();
    if (pattern.test(line)) return line;
  }
}

/** `count` greeted connections, and the pids of the workers that took them. */
async function hold(count: number): Promise<{ clients: SocketClient[]; pids: number[] }> {
  const clients: SocketClient[] = [];
  for (let i = 0; i < count; i++) {
    const { client, greeting } = await connect();
    clients.push(client);
    assert.match(greeting, /^\* OK /, `connection ${i + 1} of ${count} is served`);
  }
  const connected = await until("the connection logs", () => {
    const lines = imap.lines.filter((l) => l.msg === "connected");
    return lines.length >= count ? lines : undefined;
  });
  return { clients, pids: connected.slice(-count).map((l) => Number(l.pid)) };
}

/** Opens connections until one is served (releases reach the primary asynchronously). */
async function admitted(): Promise<SocketClient> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { client, greeting } = await connect();
    if (greeting.startsWith("* OK ")) return client;
    client.end();
    if (Date.now() > deadline) throw new Error(`still refused: ${greeting}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("IMAP worker processes", () => {
  it("serves STARTTLS and implicit TLS from both workers", async () => {
    // The log lines come through a pipe, the ready message through IPC: either may be first.
    await until("two workers", () => (imapWorkers().length >= 2 ? true : undefined));
    for (let i = 0; i < 2; i++) {
      const plain = await SocketClient.connect(starttlsPort);
      await plain.run(`
        S: * OK [CAPABILITY ... STARTTLS LOGINDISABLED ...] mail.example.test IMAP ready
        C: a STARTTLS
        S: a OK Begin TLS negotiation now
      `);
      await plain.startTls(ca);
      await plain.run(`
        C: b LOGIN alice@example.test "${PASSWORD}"
        S: b OK [CAPABILITY ...] Logged in
        C: c LOGOUT
        S: * BYE ...
        S: c OK LOGOUT completed
        S: (closed)
      `);
      assert.match(await login("alice", PASSWORD), /^a OK \[CAPABILITY .*\] Logged in$/);
    }
    const connected = await until("four connection logs", () => {
      const lines = imap.lines.filter((l) => l.msg === "connected");
      return lines.length >= 4 ? lines : undefined;
    });
    const pids = new Set(connected.map((l) => Number(l.pid)));
    assert.deepEqual([...pids].sort(), [...imapWorkers()].sort(), "both workers served");
  });

  it("limits connections per client address across the workers", async () => {
    const { clients, pids } = await hold(PER_CLIENT);
    try {
      assert.equal(new Set(pids).size, 2, "the connections are on both workers");
      // Each worker holds fewer than the limit: only a count across workers refuses this one.
      const { client, greeting } = await connect();
      assert.equal(
        greeting,
        "* BYE [UNAVAILABLE] Too many connections from your address, try again later",
      );
      await client.output.waitClosed();
      clients.shift()?.end();
      clients.push(await admitted());
    } finally {
      for (const client of clients) client.end();
    }
  });

  it("releases the connections of a killed worker and replaces it", async () => {
    const before = imapWorkers();
    const { clients, pids } = await hold(PER_CLIENT);
    try {
      const victim = pids[0] ?? 0;
      const kept = pids.filter((pid) => pid !== victim).length;
      process.kill(victim, "SIGKILL");
      // A worker starts as slowly as the whole server on a loaded machine (tsx compiles again).
      const replacement = await until(
        "a new worker",
        () => imapWorkers().find((pid) => !before.includes(pid)),
        150_000,
      );
      assert.ok(!alive(victim));
      assert.ok(alive(replacement));
      assert.ok(imap.lines.some((l) => l.msg === "IMAP worker died; starting another"));
      // Only the survivor's connections still count: the rest of the limit is free again.
      for (let i = kept; i < PER_CLIENT; i++) clients.push(await admitted());
      const { client, greeting } = await connect();
      client.end();
      assert.match(greeting, /^\* BYE \[UNAVAILABLE\] Too many connections from your address/);
    } finally {
      for (const client of clients) client.end();
    }
  });

  it("throttles a login whose failures were spread over the workers", async () => {
    const before = imap.lines.filter((l) => l.msg === "connected").length;
    // The directory allows 5 failures per login in each process; 5 spread over two workers
    // stay under that in both, so only the primary's count can refuse the right password next.
    for (let i = 0; i < 5; i++) {
      assert.equal(
        await login("bob", "wrong"),
        "a NO [AUTHENTICATIONFAILED] Authentication failed",
      );
    }
    const failedOn = await until("the connection logs", () => {
      const lines = imap.lines.filter((l) => l.msg === "connected").slice(before);
      return lines.length >= 5 ? new Set(lines.map((l) => Number(l.pid))) : undefined;
    });
    assert.equal(failedOn.size, 2, "the failures were on both workers");
    assert.equal(
      await login("bob", PASSWORD),
      "a NO [UNAVAILABLE] Too many failures; try again later",
    );
    assert.match(await login("dave", PASSWORD), /^a OK /, "other logins are not affected");
  });

  it("IDLE in one worker sees a delivery by the MDA and an APPEND from the other worker", async () => {
    const { client: idler } = await connect();
    const clients = [idler];
    try {
      const idlerPid = await until("the connection log", () => {
        const pid = lastConnectedPid();
        return Number.isNaN(pid) ? undefined : pid;
      });
      idler.write(`a LOGIN carol@example.test "${PASSWORD}"\r\n`);
      assert.match(await lineMatching(idler, /^a /), /^a OK /);
      idler.write("b SELECT INBOX\r\n");
      assert.match(await lineMatching(idler, /^b /), /^b OK \[READ-WRITE\]/);
      idler.write("c IDLE\r\n");
      assert.equal(await idler.output.nextLine(), "+ idling");
      const lmtp = await SmtpTranscript.open({ port: lmtpPort });
      await lmtp.expect(220);
      await lmtp.send("LHLO client.test", 250);
      await lmtp.send("MAIL FROM:<sender@remote.test>", 250);
      await lmtp.send("RCPT TO:<carol@example.test>", 250);
      await lmtp.send("DATA", 354);
      lmtp.write("Subject: by the MDA\r\n\r\nbody\r\n.\r\n");
      await lmtp.expect(250, /^2\.0\.0 Delivered/);
      await lmtp.send("QUIT", 221);
      lmtp.close();
      await lineMatching(idler, /^\* 1 EXISTS$/);

      // The next connection goes to the other worker (round robin); open until it does.
      let appender: SocketClient | undefined;
      for (let i = 0; i < 4 && !appender; i++) {
        const { client, greeting } = await connect();
        clients.push(client);
        assert.match(greeting, /^\* OK /);
        const pid = await until("the connection log", () => {
          const lines = imap.lines.filter((l) => l.msg === "connected");
          return lines.length > 0 ? Number(lines.at(-1)?.pid) : undefined;
        });
        if (pid !== idlerPid) appender = client;
      }
      assert.ok(appender, "a connection on the other worker");
      appender.write(`a LOGIN carol@example.test "${PASSWORD}"\r\n`);
      assert.match(await lineMatching(appender, /^a /), /^a OK /);
      const message = Buffer.from("Subject: by IMAP\r\n\r\nbody\r\n");
      appender.write(`b APPEND INBOX {${message.length}+}\r\n`);
      appender.write(Buffer.concat([message, Buffer.from("\r\n")]));
      assert.match(await lineMatching(appender, /^b /), /^b OK \[APPENDUID \d+ 2\]/);
      await lineMatching(idler, /^\* 2 EXISTS$/);
      idler.write("DONE\r\n");
      assert.match(await lineMatching(idler, /^c /), /^c OK /);
    } finally {
      for (const client of clients) client.end();
    }
  });

  it("stops cleanly on SIGTERM: sessions get BYE, every worker exits, exit code 0", async () => {
    const workers = imapWorkers().filter(alive);
    assert.equal(workers.length, 2);
    const { client, greeting } = await connect();
    assert.match(greeting, /^\* OK /);
    const exited = once(imap.process, "exit");
    imap.process.kill("SIGTERM");
    assert.equal(await client.output.nextLine(), "* BYE Server shutting down");
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    await until("the workers to exit", () => (workers.some(alive) ? undefined : true));
    mda.process.kill("SIGTERM");
    await once(mda.process, "exit");
  });
});
