/**
 * Where our MDA's time goes during an LMTP load: runs servers/mda/main.ts with `--cpu-prof`,
 * drives it with Postfix's smtp-source, stops it (the profile is written on exit), and breaks the
 * samples taken during the load down into idle, GC, and inclusive time of the functions that
 * matter (store commit, message parsing, the LMTP session, ...), plus the top self-time functions.
 * Also measures the time from TCP connect to the 220 greeting (our MDA, and Dovecot's LMTP with
 * `--dovecot`), which bounds throughput when every message comes on a new connection.
 *
 *   npx tsx bench/lmtp-profile.ts [--size 1024] [--messages 4000] [--mode reuse|connect]
 *       [--recipients 1] [--sessions 20] [--dovecot] [--keep <dir>]
 */
import { readdir, readFile, mkdir } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DOMAIN,
  makeTempDir,
  machine,
  median,
  procCpuSeconds,
  smtpSource,
  smtpSourceCommand,
  startDovecot,
  startOurMda,
  table,
} from "./lmtp-harness.ts";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "1024" },
    messages: { type: "string" },
    mode: { type: "string", default: "reuse" },
    recipients: { type: "string", default: "1" },
    sessions: { type: "string", default: "20" },
    dovecot: { type: "boolean", default: false },
    keep: { type: "string" },
  },
});

const size = Number(values.size);
const messages = Number(values.messages ?? (size > 16_384 ? 1000 : 4000));
const spread = Number(values.recipients);
const sessions = Number(values.sessions);
const reuse = values.mode === "reuse";

/** Milliseconds from connect to the first reply line (the 220 greeting), one connection at a time. */
async function greetingLatency(port: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const socket = connect(port, "127.0.0.1");
        socket.setTimeout(10_000, () => {
          socket.destroy();
          reject(new Error("no greeting in 10 s"));
        });
        socket.once("data", () => {
          const ms = performance.now() - t0;
          socket.end("QUIT\r\n");
          resolve(ms);
        });
        socket.once("error", reject);
      }),
    );
  }
  return out;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const dir = await makeTempDir("mailstack-lmtp-profile-");
const profDir = values.keep ?? join(dir, "prof");
await mkdir(profDir, { recursive: true });
const recipients = Array.from({ length: spread }, (_, k) =>
  spread === 1 ? `profile@${DOMAIN}` : `profile${k + 1}@${DOMAIN}`,
);
console.log(`machine: ${machine()}`);

// --- the greeting -----------------------------------------------------------------------------
await mkdir(join(dir, "mda"));
// One process (workers: 1): the breakdown is of one main thread, which each worker also is.
const mda = await startOurMda({
  dir: join(dir, "mda"),
  users: recipients,
  cpuProfDir: profDir,
  workers: 1,
});
const pid = mda.pids()[0]!;
const greetings: string[][] = [];
const ours = await greetingLatency(mda.port, 20);
greetings.push(["mailstack MDA", median(ours).toFixed(1), Math.max(...ours).toFixed(1)]);
if (values.dovecot) {
  await mkdir(join(dir, "dovecot"));
  const dovecot = await startDovecot({ dir: join(dir, "dovecot"), mailFsync: "optimized" });
  try {
    await greetingLatency(dovecot.port, 3); // the first connections fork lmtp processes
    const theirs = await greetingLatency(dovecot.port, 20);
    greetings.push(["Dovecot LMTP", median(theirs).toFixed(1), Math.max(...theirs).toFixed(1)]);
  } finally {
    await dovecot.stop();
  }
}
console.log("\nconnect -> 220 greeting, 20 sequential connections:");
console.log(table(["server", "median ms", "max ms"], greetings));

// --- the load ---------------------------------------------------------------------------------
const run = {
  messages,
  size,
  sessions,
  to: spread === 1 ? recipients[0]! : recipients,
  reuseConnections: reuse,
};
console.log(`\nload: ${smtpSourceCommand(mda.port, run)}`);
const cpu0 = procCpuSeconds(pid);
const windowStart = process.hrtime.bigint() / 1000n; // µs, CLOCK_MONOTONIC like the profile
const result = await smtpSource(mda.port, { ...run, timeoutMs: 300_000 });
const windowEnd = process.hrtime.bigint() / 1000n;
const cpu = procCpuSeconds(pid) - cpu0;
let delivered = 0;
for (const r of recipients) delivered += await mda.count(r);
await mda.stop();
console.log(
  `${messages} × ${size} B in ${result.seconds.toFixed(2)} s = ${(messages / result.seconds).toFixed(0)} msg/s;` +
    ` MDA CPU ${cpu.toFixed(2)} s (${((cpu / result.seconds) * 100).toFixed(0)}% of one core);` +
    ` delivered ${delivered}/${messages}` +
    (result.exitCode === 0 && !result.output
      ? ""
      : `; smtp-source: ${result.output.slice(0, 300)}`),
);

// --- the profile ------------------------------------------------------------------------------
const file = (await readdir(profDir)).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error(`no .cpuprofile in ${profDir}: did the MDA exit normally?`);
const profile = JSON.parse(await readFile(join(profDir, file), "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*\/node_modules\//, "")
    .replace(/.*\/main\//, "");
const frameName = (n: ProfileNode) =>
  `${n.callFrame.functionName || "(anonymous)"} ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ""}`;

/** Inclusive buckets: a sample counts in every bucket whose test matches a frame of its stack. */
const buckets: [
  string,
  (n: ProfileNode, parentNode: ProfileNode | undefined, leaf: boolean) => boolean,
][] = [
  [
    "store: Database.write (group-commit transaction)",
    (n) =>
      n.callFrame.functionName === "write" && n.callFrame.url.includes("store/sqlite/database"),
  ],
  [
    // node:sqlite's exec is native: its time shows as write's own (self) time.
    "  of which write's self time: native BEGIN IMMEDIATE/COMMIT (WAL write + fsync)",
    (n, _p, leaf) =>
      leaf &&
      n.callFrame.functionName === "write" &&
      n.callFrame.url.includes("store/sqlite/database"),
  ],
  ["  of which appendOne (inserts)", (n) => n.callFrame.functionName === "appendOne"],
  [
    "store: prepareMessage (MIME parse, envelope, search text)",
    (n) => n.callFrame.functionName === "prepareMessage",
  ],
  [
    "store: openAccount / close",
    (n) =>
      n.callFrame.url.includes("store/") &&
      /openAccount|release|closeIfIdle/.test(n.callFrame.functionName),
  ],
  ["store: change notifier (poll)", (n) => n.callFrame.url.includes("store/sqlite/notify")],
  ["mda: deliverToUser (all of it)", (n) => n.callFrame.functionName === "deliverToUser"],
  [
    "mda: headerFields / traceHeaders / messageId",
    (n) => /^(headerFields|traceHeaders|messageId)$/.test(n.callFrame.functionName),
  ],
  ["mda: DATA reader (end of data, unstuffing)", (n) => n.callFrame.url.includes("data-reader")],
  ["mda: LMTP session (commands, replies)", (n) => n.callFrame.url.includes("lmtp-session")],
  ["mda: directory resolve (RCPT)", (n) => n.callFrame.url.includes("shared/directory")],
  ["smtp-server (any frame)", (n) => n.callFrame.url.includes("smtp-server")],
  [
    "node:net / stream internals",
    (n) => /node:(net|internal\/streams|stream)/.test(n.callFrame.url),
  ],
  ["pino logging", (n) => n.callFrame.url.includes("pino")],
];
const inclusive = new Map<string, number>(buckets.map(([b]) => [b, 0]));
const self = new Map<string, number>();
let total = 0;
let idle = 0;
let gc = 0;
let program = 0;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  if (BigInt(Math.round(t)) < windowStart || BigInt(Math.round(t)) > windowEnd) continue;
  const leaf = byId.get(profile.samples[i]!)!;
  total += dt;
  const leafName = leaf.callFrame.functionName;
  if (leafName === "(idle)") idle += dt;
  else if (leafName === "(garbage collector)") gc += dt;
  else if (leafName === "(program)") program += dt;
  self.set(frameName(leaf), (self.get(frameName(leaf)) ?? 0) + dt);
  const hit = new Set<string>();
  for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
    const p = byId.get(parent.get(n.id) ?? -1);
    for (const [name, test] of buckets) if (!hit.has(name) && test(n, p, n === leaf)) hit.add(name);
  }
  for (const name of hit) inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
}
const ms = (us: number) => (us / 1000).toFixed(0);
const pct = (us: number) => ((us / total) * 100).toFixed(1) + "%";
console.log(
  `\nmain-thread profile over the load window (${ms(total)} ms of samples): idle ${pct(idle)}, GC ${pct(gc)}, (program) ${pct(program)}, JS/native ${pct(total - idle - gc - program)}`,
);
console.log(
  table(
    ["inclusive", "ms", "share of window"],
    [...inclusive].map(([k, v]) => [k, ms(v), pct(v)]),
  ),
);
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
console.log("\ntop self time:");
console.log(
  table(
    ["function", "ms", "share"],
    top.map(([k, v]) => [k, ms(v), pct(v)]),
  ),
);
console.log(
  `\nprofile: ${join(profDir, file)}${values.keep ? "" : " (removed at exit; --keep <dir> keeps it)"}`,
);
