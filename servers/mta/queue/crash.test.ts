/**
 * kill -9 during a load: a child process enqueues in a loop (and, in the second test, delivers
 * at the same time) and is killed with SIGKILL at random moments, five times. Then a queue
 * opened on the same spool delivers what is left to a real SMTP server, and every message the
 * child acknowledged must have arrived:
 *
 *   - enqueue only: exactly once;
 *   - enqueue while delivering: at least once, and more than once only inside the window SMTP
 *     itself cannot close (the server accepted the message, the process died before recording
 *     it: RFC 1047). That window is bounded by the transactions in flight at each kill.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startFakeSmtp, type FakeSmtp } from "../outbound/testing/fake-smtp.ts";
import { silentLog } from "../outbound/testing/net.ts";
import { queueConfigSchema } from "./config.ts";
import { openQueue } from "./index.ts";
import { waitFor } from "./testing/wait.ts";

const CHILD = join(import.meta.dirname, "testing", "crash-child.ts");
const KILLS = 5;

let dir: string;
let server: FakeSmtp;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mailstack-crash-"));
  server = await startFakeSmtp({ host: "127.0.0.1" });
});
after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

interface ChildRun {
  readonly tried: number[];
  readonly acked: number[];
}

/** Runs the child until a random moment after it is ready, then SIGKILLs it. */
async function runAndKill(spoolDir: string, mode: string, first: number): Promise<ChildRun> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, spoolDir, String(server.port), mode, String(first)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  await waitFor(
    `child ready (${err})`,
    () => out.includes("READY\n") || child.exitCode !== null,
    20_000,
  );
  assert.equal(child.exitCode, null, `child exited early: ${err}`);
  await sleep(100 + Math.random() * 500);
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  // Only complete lines count: the kill may cut the last one.
  const lines = out.slice(0, out.lastIndexOf("\n") + 1).split("\n");
  const numbers = (tag: string) =>
    lines.filter((l) => l.startsWith(`${tag} `)).map((l) => Number(l.split(" ")[1]));
  return { tried: numbers("TRY"), acked: numbers("ACK") };
}

function seqsReceived(): number[] {
  return server.messages.map((m) => Number(/^X-Seq: (\d+)\r$/m.exec(m.raw.toString())?.[1]));
}

async function crashRun(mode: "enqueue" | "deliver") {
  const spoolDir = join(dir, mode);
  server.messages.length = 0;
  const tried = new Set<number>();
  const acked = new Set<number>();
  let next = 1;
  for (let kill = 0; kill < KILLS; kill++) {
    const run = await runAndKill(spoolDir, mode, next);
    run.tried.forEach((n) => tried.add(n));
    run.acked.forEach((n) => acked.add(n));
    next = Math.max(next, ...run.tried) + 1;
  }
  assert.ok(acked.size >= KILLS, `the child acknowledged ${acked.size} messages`);

  const config = queueConfigSchema.parse({
    spoolDir,
    hostname: "mta.crash.test",
    outbound: { port: server.port },
  });
  const queue = await openQueue(config, { log: silentLog });
  queue.start();
  try {
    await waitFor("the spool to drain", () => queue.list().length === 0, 30_000);
  } finally {
    await queue.stop();
  }
  const received = seqsReceived();
  const counts = new Map<number, number>();
  for (const n of received) counts.set(n, (counts.get(n) ?? 0) + 1);
  for (const n of acked) assert.ok(counts.has(n), `acknowledged message ${n} was lost`);
  for (const n of counts.keys()) assert.ok(tried.has(n), `message ${n} was never enqueued`);
  const duplicates = [...counts.values()].reduce((sum, c) => sum + c - 1, 0);
  return { acked: acked.size, received: received.length, duplicates };
}

describe("crash safety (SIGKILL at random moments)", () => {
  it("loses no acknowledged message and delivers each exactly once (enqueue under kill -9)", async (t) => {
    const result = await crashRun("enqueue");
    t.diagnostic(JSON.stringify(result));
    assert.equal(result.duplicates, 0, JSON.stringify(result));
  });
  it("loses nothing while delivering; duplicates only within the documented window", async (t) => {
    const result = await crashRun("deliver");
    t.diagnostic(JSON.stringify(result));
    // At most the transactions in flight at each kill: all go to one destination, so at most
    // perDestinationConcurrency (default 5) of them.
    const perKill = queueConfigSchema.parse({
      spoolDir: "x",
      hostname: "x",
    }).perDestinationConcurrency;
    assert.ok(result.duplicates <= KILLS * perKill, JSON.stringify(result));
  });
});
