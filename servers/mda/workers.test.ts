/**
 * The MDA as a primary with LMTP worker processes (`workers: 2`), started as the runner starts
 * it: servers/mda/main.ts as a child with an IPC channel. Deliveries through both workers, a
 * killed worker replaced, and a clean stop.
 */
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { hashPassword } from "../shared/directory/passwords.ts";
import { openMailStore } from "../store/index.ts";
import { SmtpTranscript } from "../../test/helpers/smtp-transcript.ts";

const MAIN = resolve(import.meta.dirname, "main.ts");

let dir: string;
let child: ChildProcess;
let port: number;
let socketPath: string;
/** The primary's and the workers' log lines (JSON), as they come. */
const logLines: Record<string, unknown>[] = [];

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Pids of the workers that logged "worker listening", newest last. */
function listeningWorkers(): number[] {
  return logLines.filter((l) => l.msg === "worker listening").map((l) => Number(l.pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function deliver(target: { port: number } | { path: string }, id: string): Promise<void> {
  const t = await SmtpTranscript.open(target);
  await t.expect(220);
  await t.send("LHLO client.test", 250);
  await t.send("MAIL FROM:<sender@remote.test>", 250);
  await t.send("RCPT TO:<alice@example.test>", 250);
  await t.send("DATA", 354);
  t.write(`Subject: ${id}\r\nMessage-ID: <${id}@remote.test>\r\n\r\nbody\r\n.\r\n`);
  await t.expect(250, /^2\.0\.0 Delivered/);
  await t.send("QUIT", 221);
  t.close();
}

async function inboxCount(): Promise<number> {
  const store = openMailStore({ dataDir: join(dir, "data"), idleCloseMs: 0 });
  try {
    const account = await store.openAccount("alice@example.test");
    try {
      return (await (await account.openMailbox("INBOX")).list()).length;
    } finally {
      await account.close();
    }
  } finally {
    await store.close();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-mda-workers-"));
  socketPath = join(dir, "lmtp.sock");
  const hash = await hashPassword("unused");
  await writeFile(
    join(dir, "directory.json"),
    JSON.stringify({ users: [{ address: "alice@example.test", name: "A", passwordHash: hash }] }),
  );
  await writeFile(
    join(dir, "mda.json"),
    JSON.stringify({
      hostname: "mail.example.test",
      domains: ["example.test"],
      listen: [
        { kind: "tcp", host: "127.0.0.1", port: 0 },
        { kind: "unix", path: socketPath },
      ],
      dataDir: join(dir, "data"),
      directory: { backend: "file", path: join(dir, "directory.json") },
      workers: 2,
    }),
  );
  child = fork(MAIN, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, MAILSTACK_CONFIG: join(dir, "mda.json"), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) logLines.push(JSON.parse(line) as never);
  });
  const [ready] = (await once(child, "message")) as [{ endpoints: { port: number }[] }];
  port = ready.endpoints[0]?.port ?? 0;
});

after(async () => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const pid of listeningWorkers()) if (alive(pid)) process.kill(pid, "SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

describe("MDA worker processes", () => {
  it("starts the configured number of workers and delivers through each of them", async () => {
    // The log lines come through a pipe, the ready message through IPC: either may be first.
    await until("two workers", () => (listeningWorkers().length >= 2 ? true : undefined));
    assert.equal(listeningWorkers().length, 2);
    assert.ok(port > 0);
    // Round robin: consecutive connections go to different workers.
    for (let i = 0; i < 6; i++) await deliver({ port }, `tcp-${i}`);
    await deliver({ path: socketPath }, "unix-1");
    await deliver({ path: socketPath }, "unix-2");
    await until("the delivery log", () =>
      logLines.filter((l) => l.msg === "delivered").length >= 8 ? true : undefined,
    );
    const delivering = new Set(
      logLines.filter((l) => l.msg === "delivered").map((l) => Number(l.pid)),
    );
    assert.equal(delivering.size, 2, "both workers delivered");
    for (const pid of delivering) assert.ok(listeningWorkers().includes(pid));
    assert.equal(await inboxCount(), 8);
  });

  it("replaces a worker that was killed, and keeps delivering meanwhile", async () => {
    const [victim, survivor] = listeningWorkers();
    assert.ok(victim && survivor);
    process.kill(victim, "SIGKILL");
    const replacement = await until("a new worker", () =>
      listeningWorkers().find((pid) => pid !== victim && pid !== survivor),
    );
    assert.ok(!alive(victim));
    assert.ok(logLines.some((l) => l.msg === "LMTP worker died; starting another"));
    const before = await inboxCount();
    for (let i = 0; i < 4; i++) await deliver({ port }, `after-kill-${i}`);
    assert.equal(await inboxCount(), before + 4);
    await until("the delivery log", () =>
      logLines.filter((l) => l.msg === "delivered").length >= 12 ? true : undefined,
    );
    const last = logLines.filter((l) => l.msg === "delivered").slice(-4);
    assert.ok(
      last.some((l) => Number(l.pid) === replacement),
      "the new worker delivers",
    );
  });

  it("stops cleanly on SIGTERM: sessions get 421, every worker exits, exit code 0", async () => {
    const workers = listeningWorkers().filter(alive);
    assert.equal(workers.length, 2);
    const idle = await SmtpTranscript.open({ port });
    await idle.expect(220);
    await idle.send("LHLO client.test", 250);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await idle.expect(421, /Service shutting down/);
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    await until("the workers to exit", () => (workers.some(alive) ? undefined : true));
    await until("the last log lines", () =>
      logLines.some((l) => l.msg === "stopped" && l.worker === undefined) ? true : undefined,
    );
    assert.ok(logLines.some((l) => l.msg === "stopped" && l.worker === undefined));
  });
});
