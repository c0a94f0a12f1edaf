/**
 * Memory per IMAP connection in IDLE (issue 6): open many logged-in connections (LOGIN, SELECT
 * INBOX, IDLE) to our server and to Dovecot and divide the growth of the servers' memory by
 * their number.
 *
 * Ours: the summed RSS and PSS of the server's processes (serve.ts: a cluster primary and its
 * `--workers` IMAP workers, one per CPU by default, as servers/imap/main.ts) before and after.
 * Dovecot: the summed PSS of all its processes (master, auth, anvil, log, config, login and one
 * `imap` process per connection) before and after; also the summed PSS and RSS of its `imap`
 * processes alone, divided by the connections (RSS counts the shared libraries in every process).
 * Connections go to `--users` users in turn (5 each by default: Dovecot's
 * mail_max_userip_connections is 10).
 *
 *   flock /tmp/mailstack-bench.lock npx tsx bench/imap-idle-memory.ts [--connections 1000]
 *     [--users 200] [--settle 5] [--workers N]
 */
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import {
  assertNoLock,
  dovecotProblems,
  dropInheritedLock,
  lastDovecotConf,
  loadAverage,
  memoryOf,
  openIdleImap,
  startDovecotImap,
  startOurImap,
  userName,
  type ImapServer,
} from "./imap-harness.ts";
import { machine, makeTempDir, table } from "./lmtp-harness.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    users: { type: "string", default: "200" },
    settle: { type: "string", default: "5" },
    /** Our IMAP worker processes (default: serve.ts's, one per CPU). */
    workers: { type: "string" },
  },
});
const connections = Number(values.connections);
const users = Number(values.users);
const settleMs = Number(values.settle) * 1000;
/** Connections opened at once (each logs in: an argon2id verification on both servers). */
const BATCH = 25;

async function openMany(port: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < connections; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, connections - i) }, (_, j) =>
      openIdleImap(port, userName(((i + j) % users) + 1)),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function measure(
  server: ImapServer,
): Promise<{ before: { rss: number; pss: number }; after: { rss: number; pss: number } }> {
  await sleep(settleMs);
  const before = memoryOf(server.pids());
  const started = performance.now();
  const sockets = await openMany(server.port);
  console.log(
    `  ${sockets.length} connections in IDLE after ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await sleep(settleMs);
  const after = memoryOf(server.pids());
  open.push(...sockets);
  return { before, after };
}

/** The connections of the current server, closed before it is stopped. */
const open: Socket[] = [];
function closeAll(): void {
  for (const s of open.splice(0)) s.destroy();
}

dropInheritedLock();
const dir = await makeTempDir("mailstack-bench-imap-idle-");
console.log(machine());
const nofile = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
console.log(`open files limit (ulimit -n, inherited by both servers): ${nofile}`);
const rows: string[][] = [];

console.log(`mailstack IMAP: load average ${loadAverage()}`);
const ours = await startOurImap({
  dir: `${dir}/ours`,
  users,
  workers: values.workers === undefined ? undefined : Number(values.workers),
});
try {
  assertNoLock(ours.pids());
  const processes = ours.pids().length;
  const { before, after } = await measure(ours);
  const load = loadAverage();
  for (const kind of ["rss", "pss"] as const) {
    rows.push([
      `mailstack IMAP, its ${processes} processes (summed ${kind.toUpperCase()})`,
      String(connections),
      `${before[kind]} kB`,
      `${after[kind]} kB`,
      `${((after[kind] - before[kind]) / connections).toFixed(1)} kB`,
      load,
    ]);
  }
  console.log(
    `  ${processes} processes: RSS ${before.rss} -> ${after.rss} kB, ` +
      `${((after.rss - before.rss) / connections).toFixed(1)} kB per connection; ` +
      `PSS ${before.pss} -> ${after.pss} kB`,
  );
  closeAll();
} finally {
  await ours.stop();
}

console.log(`Dovecot IMAP: load average ${loadAverage()}`);
const dovecot = await startDovecotImap({
  dir: `${dir}/dovecot`,
  users,
  connections,
  passwordScheme: "ARGON2ID",
});
try {
  assertNoLock(dovecot.pids());
  const { before, after } = await measure(dovecot);
  const imap = dovecot.imapPids();
  const imapMemory = memoryOf(imap);
  const load = loadAverage();
  rows.push([
    "Dovecot, all processes (summed PSS)",
    String(connections),
    `${before.pss} kB`,
    `${after.pss} kB`,
    `${((after.pss - before.pss) / connections).toFixed(1)} kB`,
    load,
  ]);
  rows.push([
    `Dovecot, its ${imap.length} imap processes (summed PSS)`,
    String(connections),
    "0 kB",
    `${imapMemory.pss} kB`,
    `${(imapMemory.pss / connections).toFixed(1)} kB`,
    load,
  ]);
  rows.push([
    `Dovecot, its ${imap.length} imap processes (summed RSS)`,
    String(connections),
    "0 kB",
    `${imapMemory.rss} kB`,
    `${(imapMemory.rss / connections).toFixed(1)} kB`,
    load,
  ]);
  console.log(
    `  all processes: PSS ${before.pss} -> ${after.pss} kB, RSS ${before.rss} -> ${after.rss} kB`,
  );
  for (const line of dovecotProblems(`${dir}/dovecot`).slice(0, 10)) console.log(`  ${line}`);
  closeAll();
} finally {
  await dovecot.stop();
}

console.log("\nDovecot's configuration:\n" + lastDovecotConf);
console.log(
  table(["what", "connections", "before", "after", "per connection", "load average"], rows),
);
