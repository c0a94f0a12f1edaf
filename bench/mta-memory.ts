/**
 * Memory per idle SMTP connection (issue 5): our MTA's RSS before and after opening many idle
 * connections, divided by their number. Three kinds: port 25 after the greeting and EHLO;
 * port 587 after EHLO, STARTTLS and EHLO again (a client that has not logged in yet). For
 * comparison, a throwaway Postfix with as many smtpd processes allowed: the summed PSS of its
 * processes before and after (one smtpd process per connection).
 *
 *   npx tsx bench/mta-memory.ts [--connections 1000] [--postfix-connections 1000]
 */
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { makeTempDir, procStatus, table } from "./lmtp-harness.ts";
import {
  loadAverage,
  memoryOf,
  openIdle,
  openIdleTls,
  startOurStack,
  startPostfix,
} from "./mta-harness.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    "postfix-connections": { type: "string", default: "1000" },
  },
});
const connections = Number(values.connections);
const postfixConnections = Number(values["postfix-connections"]);
const BATCH = 50;
const SETTLE_MS = 3000;

async function openMany(n: number, open: () => Promise<Socket>): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += BATCH) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, open))));
  }
  return sockets;
}

const dir = await makeTempDir("mailstack-bench-mta-memory-");
console.log(`load average at start: ${loadAverage()}`);
const rows: string[][] = [];
const ours = await startOurStack({
  dir: `${dir}/ours`,
  greetingDelayMs: 0,
  dkim: "none",
  maxConnections: connections + 100,
});
try {
  const rss = () => procStatus(ours.mtaPid)?.rss ?? 0;
  const kinds: [string, () => Promise<Socket>][] = [
    ["mailstack MTA, port 25, after EHLO", () => openIdle(ours.port, { ehlo: true })],
    [
      "mailstack MTA, port 587, after STARTTLS + EHLO",
      () => openIdleTls(ours.submissionPort, ours.caCert),
    ],
  ];
  for (const [kind, open] of kinds) {
    await sleep(SETTLE_MS);
    const before = rss();
    const sockets = await openMany(connections, open);
    await sleep(SETTLE_MS);
    const after = rss();
    const perConnection = ((after - before) / connections).toFixed(1);
    rows.push([
      kind,
      String(connections),
      `${before} kB`,
      `${after} kB`,
      `${perConnection} kB`,
      loadAverage(),
    ]);
    console.log(`${kind}: ${before} -> ${after} kB RSS, ${perConnection} kB per connection`);
    for (const s of sockets) s.destroy();
  }
} finally {
  await ours.stop();
}

if (postfixConnections > 0) {
  const postfix = await startPostfix({
    dir: `${dir}/postfix`,
    mailFsync: "always",
    smtpdProcesses: postfixConnections + 10,
  });
  try {
    await sleep(SETTLE_MS);
    const before = memoryOf(postfix.pids());
    const sockets = await openMany(postfixConnections, () =>
      openIdle(postfix.port, { ehlo: true }),
    );
    await sleep(SETTLE_MS);
    const after = memoryOf(postfix.pids());
    const perConnection = ((after.pss - before.pss) / postfixConnections).toFixed(1);
    rows.push([
      "Postfix, smtpd after EHLO (summed PSS)",
      String(postfixConnections),
      `${before.pss} kB`,
      `${after.pss} kB`,
      `${perConnection} kB`,
      loadAverage(),
    ]);
    console.log(
      `Postfix: PSS ${before.pss} -> ${after.pss} kB (RSS ${before.rss} -> ${after.rss} kB)`,
    );
    for (const s of sockets) s.destroy();
  } finally {
    await postfix.stop();
  }
}
console.log();
console.log(
  table(["what", "connections", "before", "after", "per connection", "load average"], rows),
);
